/**
 * The /ws fan-out with two instances in redis mode on one database: records arrive by UDP
 * at the first, and half the clients are on the second (the feed crosses through Redis).
 */
import { freshSchema } from '../../test/helpers/postgres';
import { FanOut, fanOutNote, runFanOut } from '../lib/fan-out';
import { redisEnv, withPrefix } from '../lib/redis';
import { Scenario, figure } from '../lib/scenario';
import type { Server, StartBeacon } from '../lib/server';
import { udpHealth } from '../lib/udp';

export const sharedWs: Scenario = {
  name: 'shared-ws',
  run: async (ctx) => {
    const f = await withPrefix('bench-ws', (prefix) =>
      wsFanOutShared(ctx.startBeacon, redisEnv(prefix), 100, 10_000, ctx.duration),
    );
    return [
      figure({
        scenario:
          'redis mode: /ws fan-out, 2 instances, 100 clients (50 each), 10,000 records/s into one',
        rps: f.delivered,
        p99: f.slowestP99LagMs,
        vs: `${((100 * f.delivered) / (100 * 10_000)).toFixed(2)}% of records delivered; slowest client's p99 lag in p99 column (ms)`,
        note: fanOutNote(f),
      }),
    ];
  },
};

async function wsFanOutShared(
  startBeacon: StartBeacon,
  redisEnv: Record<string, string>,
  clients: number,
  rate: number,
  seconds: number,
): Promise<FanOut> {
  const schema = await freshSchema('beacon_bench_ws_shared');
  const env = {
    ...redisEnv,
    API_METRICS_ENABLED: 'true',
    DATABASE_URL: schema.url,
    WS_MAX_CLIENTS: String(clients),
  };
  const a = await startBeacon(env);
  const b = await startBeacon(env);
  try {
    const udpPort = (await udpHealth(a)).apiMetrics.udp.port;
    const ws = (s: Server) => `${s.url.replace('http', 'ws')}/ws`;
    return await runFanOut([ws(a), ws(b)], udpPort, clients, rate, seconds);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await schema.drop();
  }
}
