/**
 * The /ws live feed: 100 WebSocket clients while 10,000 records/s arrive over UDP, Beacon
 * (coalesced per tick) against the seed's send-per-record (bench/seed-udp-ws.ts).
 */
import { freshSchema } from '../../test/helpers/postgres';
import { FanOut, fanOutNote, runFanOut } from '../lib/fan-out';
import { Scenario, figure } from '../lib/scenario';
import { StartBeacon, startSeedBaseline } from '../lib/server';
import { udpHealth } from '../lib/udp';

export const ws: Scenario = {
  name: 'ws',
  run: async (ctx) => {
    const { beacon, baseline } = await wsFanOut(ctx.startBeacon, 100, 10_000, ctx.duration);
    const line = (name: string, f: FanOut, vs?: string) =>
      figure({
        scenario: name,
        rps: f.delivered,
        p99: f.slowestP99LagMs,
        vs,
        note: fanOutNote(f),
      });
    return [
      line(
        'baseline: seed-style fan-out, 100 clients × 10,000 records/s (a message per record)',
        baseline,
      ),
      line(
        'api-metrics: /ws fan-out, 100 clients × 10,000 records/s (coalesced per tick)',
        beacon,
        `${((100 * beacon.delivered) / baseline.delivered).toFixed(0)}% of baseline deliveries; p99 lag of slowest client in p99 column (ms)`,
      ),
    ];
  },
};

async function wsFanOut(
  startBeacon: StartBeacon,
  clients: number,
  rate: number,
  seconds: number,
): Promise<{ beacon: FanOut; baseline: FanOut }> {
  const schema = await freshSchema('beacon_bench_ws');
  const beacon = await startBeacon({
    API_METRICS_ENABLED: 'true',
    DATABASE_URL: schema.url,
    WS_MAX_CLIENTS: String(clients),
  });
  const base = await startSeedBaseline();
  try {
    const udpPort = (await udpHealth(beacon)).apiMetrics.udp.port;
    const wsBeacon = `${beacon.url.replace('http', 'ws')}/ws`;
    const ours = await runFanOut(wsBeacon, udpPort, clients, rate, seconds);
    const theirs = await runFanOut(
      `ws://127.0.0.1:${base.wsPort}`,
      base.udpPort,
      clients,
      rate,
      seconds,
    );
    return { beacon: ours, baseline: theirs };
  } finally {
    base.stop();
    await beacon.stop();
    await schema.drop();
  }
}
