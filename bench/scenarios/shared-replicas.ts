/**
 * Redis mode on a master with one replica (private redis-servers on loopback), in
 * alternating rounds: single-sample POSTs answered after the append (REDIS_MIN_REPLICAS=0)
 * against answered after WAIT 1 confirmed the replica has it (REDIS_MIN_REPLICAS=1);
 * saturated, and at a fixed 500 writes/s for the latency a client sees.
 */
import { privateRedis } from '../../test/helpers/redis';
import { postEach, randomLatencyBody } from '../lib/load';
import { redisEnv, withPrefix } from '../lib/redis';
import { BenchContext, Scenario, compareInRounds } from '../lib/scenario';
import type { Server } from '../lib/server';

export const sharedReplicas: Scenario = {
  name: 'shared-replicas',
  run: async (ctx) => {
    const master = await privateRedis();
    const replica = await privateRedis({ replicaOf: master.port });
    try {
      return await withPrefix('bench-replicas', (prefix) => compare(ctx, prefix, master.url));
    } finally {
      for (const r of [replica, master]) {
        await r.stop();
        r.cleanup();
      }
    }
  },
};

async function compare(ctx: BenchContext, prefix: string, url: string) {
  const side = (minReplicas: number, rate?: number) => ({
    scenario:
      `redis mode, 1 replica: POST /metrics/{id}/latency, REDIS_MIN_REPLICAS=${minReplicas}` +
      (rate ? `, ${rate} writes/s` : ', saturated'),
    start: () =>
      ctx.startBeacon({
        ...redisEnv(`${prefix}-${minReplicas}-${rate ?? 0}`, {
          REDIS_MIN_REPLICAS: String(minReplicas),
        }),
        REDIS_URL: url,
      }),
    measure: (server: Server) =>
      postEach(`${server.url}/metrics/bench/latency`, randomLatencyBody, {
        connections: rate ? 10 : ctx.connections,
        duration: ctx.duration,
        ...(rate ? { overallRate: rate, warmup: 0 } : {}),
      }),
  });
  return [
    ...(await compareInRounds(ctx, 'REDIS_MIN_REPLICAS=0', [side(0), side(1)])),
    ...(await compareInRounds(ctx, 'REDIS_MIN_REPLICAS=0 (same rate)', [
      side(0, 500),
      side(1, 500),
    ])),
  ];
}
