/**
 * Rockets scenarios: Lunar's test program's run shape (3 senders, a new connection per
 * message), keep-alive throughput against the bare-Nest baseline, and GET /rockets with
 * 10,000 rockets.
 */
import { rng } from '../test/helpers/random';
import { WireMessage, expectedState, rocketHistory } from '../test/helpers/rocket-history';
import { LaunchReport, launchMessages } from '../test/helpers/rocket-launcher';
import { LoadResult, Server, load } from './lib';

/**
 * 100,000 messages for 20 rockets, interleaved as concurrent senders deliver them: each
 * message displaced by up to 200 places, and 1% sent twice (the program's timeout resends).
 */
export function testProgramMessages(seed = 3): {
  messages: WireMessage[];
  histories: WireMessage[][];
} {
  const random = rng(seed);
  const histories = Array.from({ length: 20 }, (_, i) => {
    // No explosion, so all 5,000 messages of every rocket change its state.
    const h = rocketHistory(`bench-rocket-${i}`, 5000, random).map((m) =>
      m.metadata.messageType === 'RocketExploded'
        ? {
            ...m,
            metadata: { ...m.metadata, messageType: 'RocketSpeedIncreased' },
            message: { by: 1 },
          }
        : m,
    );
    return h;
  });
  const interleaved: WireMessage[] = [];
  for (let n = 0; n < 5000; n++) for (const h of histories) interleaved.push(h[n]);
  const keyed = interleaved.map((m, i) => ({ m, key: i + random() * 200 }));
  keyed.sort((a, b) => a.key - b.key);
  const messages = keyed.map((k) => k.m);
  for (let i = 0; i < interleaved.length / 100; i++) {
    const at = Math.floor(random() * messages.length);
    messages.splice(at + Math.floor(random() * 50), 0, messages[at]);
  }
  return { messages, histories };
}

export async function testProgramRun(
  server: Server,
): Promise<{ report: LaunchReport; exact: boolean }> {
  const { messages, histories } = testProgramMessages();
  const report = await launchMessages(server.url, messages, 3, 500);
  let exact = true;
  for (const h of histories) {
    const want = expectedState(h);
    const got = (await (await fetch(`${server.url}/rockets/${want.id}`)).json()) as Record<
      string,
      unknown
    >;
    if (
      got.speed !== want.speed ||
      got.lastMessageNumber !== want.lastMessageNumber ||
      got.mission !== want.mission
    ) {
      exact = false;
    }
  }
  return { report, exact };
}

/** Fresh in-order messages over 1,000 rockets, so every POST is a real `applied`. */
export function keepAliveMessages(
  server: Server,
  path: string,
  duration: number,
  connections: number,
  prefix: string,
) {
  const next = new Map<number, number>();
  let i = 0;
  return load({
    url: server.url + path,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections,
    duration,
    requests: [
      {
        setupRequest: (req) => {
          const r = i++ % 1000;
          const n = (next.get(r) ?? 0) + 1;
          next.set(r, n);
          const body: WireMessage = {
            metadata: {
              channel: `${prefix}-${r}`,
              messageNumber: n,
              messageTime: new Date().toISOString(),
              messageType: n === 1 ? 'RocketLaunched' : 'RocketSpeedIncreased',
            },
            message:
              n === 1 ? { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' } : { by: 1 },
          };
          return { ...req, body: JSON.stringify(body) };
        },
      },
    ],
  });
}

/** 10,000 launched rockets with random speeds, then GET /rockets?sort=speed under load. */
export async function listTenThousand(
  server: Server,
  duration: number,
  connections: number,
): Promise<LoadResult> {
  const random = rng(10);
  for (let i = 0; i < 10_000; i += 200) {
    await Promise.all(
      Array.from({ length: 200 }, (_, k) =>
        fetch(`${server.url}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            metadata: {
              channel: `list-${i + k}`,
              messageNumber: 1,
              messageTime: new Date().toISOString(),
              messageType: 'RocketLaunched',
            },
            message: {
              type: 'Falcon-9',
              launchSpeed: Math.floor(random() * 1e6),
              mission: 'ARTEMIS',
            },
          }),
        }),
      ),
    );
  }
  return load({ url: `${server.url}/rockets?sort=speed&order=desc`, connections, duration });
}

const launchBody = (channel: string, speed: number) =>
  JSON.stringify({
    metadata: {
      channel,
      messageNumber: 1,
      messageTime: new Date().toISOString(),
      messageType: 'RocketLaunched',
    },
    message: { type: 'Falcon-9', launchSpeed: speed, mission: 'ARTEMIS' },
  });

/**
 * Issue 16's "one client alternating POST and GET /rockets": `rockets` rockets, then
 * other clients reading one rocket each (10 connections) for `duration` s, first alone,
 * then while one client posts a new rocket and lists them all, over and over (each list
 * follows a change, so it is built anew). Compares the others' latency in the two phases.
 */
export async function listChurn(
  server: Server,
  rockets: number,
  duration: number,
): Promise<{ alone: LoadResult; churned: LoadResult; lists: number; listMs: number[] }> {
  const post = (channel: string, speed: number) =>
    fetch(`${server.url}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: launchBody(channel, speed),
    });
  for (let i = 0; i < rockets; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, rockets - i) }, (_, k) => post(`churn-${i + k}`, i + k)),
    );
  }
  const others = () =>
    load({ url: `${server.url}/rockets/churn-7`, connections: 10, duration, warmup: 1 });
  const alone = await others();
  let stop = false;
  const listMs: number[] = [];
  const churner = (async () => {
    for (let n = 0; !stop && n < 100_000; n++) {
      const res = await post(`churn-new-${n}`, n);
      if (res.status !== 202) throw new Error(`churner POST answered ${res.status}`);
      const started = performance.now();
      await (await fetch(`${server.url}/rockets?sort=speed&order=desc`)).arrayBuffer();
      listMs.push(performance.now() - started);
    }
  })();
  const churned = await others();
  stop = true;
  await churner;
  return { alone, churned, lists: listMs.length, listMs };
}
