/** Rocket messages as Lunar's senders post them, and a keep-alive load of them. */
import type { WireMessage } from '../../test/helpers/rocket-history';
import { rng } from '../../test/helpers/random';
import { postJson } from './http';
import { LoadResult, postEach } from './load';
import type { Server } from './server';

export function launchMessage(
  channel: string,
  launchSpeed: number,
  messageTime = new Date().toISOString(),
): WireMessage {
  return {
    metadata: { channel, messageNumber: 1, messageTime, messageType: 'RocketLaunched' },
    message: { type: 'Falcon-9', launchSpeed, mission: 'ARTEMIS' },
  };
}

/** Message `n` of a rocket that launches, then only speeds up: every message changes it. */
export function inOrderMessage(
  channel: string,
  n: number,
  messageTime = new Date().toISOString(),
): WireMessage {
  return n === 1
    ? launchMessage(channel, 500, messageTime)
    : {
        metadata: {
          channel,
          messageNumber: n,
          messageTime,
          messageType: 'RocketSpeedIncreased',
        },
        message: { by: 1 },
      };
}

/** Fresh in-order messages over 1,000 rockets, so every POST is a real `applied`. */
export function keepAliveMessages(
  server: Server,
  path: string,
  duration: number,
  connections: number,
  prefix: string,
): Promise<LoadResult> {
  const next = new Map<number, number>();
  let i = 0;
  return postEach(
    server.url + path,
    () => {
      const r = i++ % 1000;
      const n = (next.get(r) ?? 0) + 1;
      next.set(r, n);
      return JSON.stringify(inOrderMessage(`${prefix}-${r}`, n));
    },
    { connections, duration },
  );
}

/** Launches `count` rockets `<prefix>-<n>` with random speeds (seeded), 200 at a time. */
export async function launchRockets(
  server: Server,
  count: number,
  prefix: string,
  seed: number,
): Promise<void> {
  const random = rng(seed);
  for (let i = 0; i < count; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, count - i) }, (_, k) =>
        postJson(
          `${server.url}/messages`,
          JSON.stringify(launchMessage(`${prefix}-${i + k}`, Math.floor(random() * 1e6))),
        ),
      ),
    );
  }
}
