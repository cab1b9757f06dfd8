/**
 * Lunar's test program's run shape: 100,000 messages for 20 rockets plus 1% resends, from
 * 3 senders with a new connection per message; how long Beacon takes to absorb them all,
 * and whether every rocket ends in exactly the state its history gives.
 */
import { rng } from '../../test/helpers/random';
import { WireMessage, expectedState, rocketHistory } from '../../test/helpers/rocket-history';
import { LaunchReport, launchMessages } from '../../test/helpers/rocket-launcher';
import { getJson } from '../lib/http';
import { Scenario, figure, withBeacon } from '../lib/scenario';
import type { Server } from '../lib/server';

export const rocketsProgram: Scenario = {
  name: 'rockets-program',
  run: (ctx) =>
    withBeacon(ctx, async (beacon) => {
      const { report, exact } = await testProgramRun(beacon);
      const taken = Object.values(report.statuses).reduce((a, b) => a + b, 0);
      return [
        figure({
          scenario:
            'rockets: test-program shape, 100,000 msgs + 1% resends, 3 senders, new conn each',
          rps: (taken * 1000) / report.elapsedMs,
          rssMb: beacon.rssMb(),
          vs: `${(report.elapsedMs / 1000).toFixed(1)} s to absorb all; states ${exact ? 'exact' : 'WRONG'}`,
          note: `${report.retries} retries; ${JSON.stringify(report.statuses)}`,
        }),
      ];
    }),
};

/**
 * 100,000 messages for 20 rockets, interleaved as concurrent senders deliver them: each
 * message displaced by up to 200 places, and 1% sent twice (the program's timeout resends).
 */
function testProgramMessages(seed = 3): {
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

async function testProgramRun(server: Server): Promise<{ report: LaunchReport; exact: boolean }> {
  const { messages, histories } = testProgramMessages();
  const report = await launchMessages(server.url, messages, 3, 500);
  let exact = true;
  for (const h of histories) {
    const want = expectedState(h);
    const got = await getJson<Record<string, unknown>>(`${server.url}/rockets/${want.id}`);
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
