/** Beacon consuming the stream simulator over loopback, asked for 10,000 and 100,000 posts/s. */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator } from '../../scripts/stream-simulator';
import { getJson } from '../lib/http';
import { Row, Scenario, figure } from '../lib/scenario';
import type { StartBeacon } from '../lib/server';

export const streamIngest: Scenario = {
  name: 'stream-ingest',
  run: async (ctx) => {
    const rows: Row[] = [];
    for (const rate of [10_000, 100_000]) {
      const r = await ingestRate(ctx.startBeacon, rate, ctx.duration);
      rows.push(
        figure({
          scenario: `stream: consumer ingest from the simulator asked for ${rate.toLocaleString('en-US')} posts/s`,
          rps: r.perSecond,
          vs: `${Math.round(r.perSecond).toLocaleString('en-US')} posts/s parsed and stored`,
          note: `simulator actually sent ${Math.round(r.sent).toLocaleString('en-US')}/s; ${r.parseErrors} parse errors`,
        }),
      );
    }
    return rows;
  },
};

/** Beacon consuming the simulator at `rate` posts/s: posts/s it parsed and stored. */
async function ingestRate(
  startBeacon: StartBeacon,
  rate: number,
  seconds: number,
): Promise<{ sent: number; received: number; perSecond: number; parseErrors: number }> {
  const sim = await startSimulator({ rate, seed: 5 });
  const beacon = await startBeacon({ STREAM_ENABLED: 'true', STREAM_URL: sim.url });
  const status = () =>
    getJson<{ postsReceived: number; parseErrors: number }>(`${beacon.url}/analysis/status`);
  await sleep(2000); // warm-up
  const a = await status();
  const sentA = sim.eventsSent();
  const t = performance.now();
  await sleep(seconds * 1000);
  const b = await status();
  const elapsed = (performance.now() - t) / 1000;
  const sent = sim.eventsSent() - sentA;
  await beacon.stop();
  await sim.close();
  return {
    sent: sent / elapsed,
    received: b.postsReceived - a.postsReceived,
    perSecond: (b.postsReceived - a.postsReceived) / elapsed,
    parseErrors: b.parseErrors - a.parseErrors,
  };
}
