/**
 * Redis mode, write on A and read on B: under a background load of 2,000 writes/s to A,
 * 200 probes write a sample to a fresh metric on A and poll B until it shows; the lag is
 * from A's 202 to B's first answer that has it.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { postJson } from '../lib/http';
import { LoadResult, postEach, randomLatencyBody } from '../lib/load';
import { redisEnv, withPrefix } from '../lib/redis';
import { Scenario, figure } from '../lib/scenario';
import type { StartBeacon } from '../lib/server';
import { ascending, quantileOfSorted } from '../lib/stats';

export const sharedLag: Scenario = {
  name: 'shared-lag',
  run: async (ctx) => {
    const { lagsMs, background } = await withPrefix('bench-lag', (prefix) =>
      replicationLag(ctx.startBeacon, prefix, 2000, 200),
    );
    const sorted = ascending(lagsMs);
    const q = (p: number) => quantileOfSorted(sorted, p);
    return [
      figure({
        scenario: 'redis mode: replication lag, write on A to visible on B, 2,000 writes/s on A',
        rps: background.rps,
        p50: q(0.5),
        p99: q(0.99),
        vs: `p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms (target p99 ≤ 50 ms)`,
        note: `${lagsMs.length} probes, max ${sorted.at(-1)!.toFixed(1)} ms; background ${Math.round(background.rps)} writes/s, ${background.non2xx} non-2xx`,
      }),
    ];
  },
};

async function replicationLag(
  startBeacon: StartBeacon,
  prefix: string,
  rate: number,
  probes: number,
): Promise<{ lagsMs: number[]; background: LoadResult }> {
  const [a, b] = await Promise.all([startBeacon(redisEnv(prefix)), startBeacon(redisEnv(prefix))]);
  try {
    const seconds = Math.ceil(probes / 20) + 2;
    const background = postEach(`${a.url}/metrics/background/latency`, randomLatencyBody, {
      connections: 20,
      overallRate: rate,
      duration: seconds,
      warmup: 0,
    });
    await sleep(1000);
    const lagsMs: number[] = [];
    for (let i = 0; i < probes; i++) {
      const res = await postJson(`${a.url}/metrics/probe-${i}/latency`, '{"latency_ns": 1}');
      await res.arrayBuffer();
      const acked = performance.now();
      for (;;) {
        const seen = await fetch(`${b.url}/metrics/probe-${i}`);
        await seen.arrayBuffer();
        if (seen.status === 200) break;
      }
      lagsMs.push(performance.now() - acked);
      await sleep(40);
    }
    return { lagsMs, background: await background };
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}
