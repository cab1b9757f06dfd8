/**
 * Local state (STATE_BACKEND=local, the default) against memory mode, in alternating rounds:
 * what writing every acknowledged write to the log costs for single-sample POSTs, POST
 * /messages and 100-sample batches, and the fdatasync calls per second it makes.
 */
import { performance } from 'node:perf_hooks';
import { getJson } from '../lib/http';
import { LoadResult, medianRun, postEach, randomBatchBody, randomLatencyBody } from '../lib/load';
import { keepAliveMessages } from '../lib/rocket-messages';
import { Scenario, figure, loadRow, rpsList } from '../lib/scenario';
import type { StartBeacon } from '../lib/server';

export const durable: Scenario = {
  name: 'durable',
  run: async (ctx) => {
    const f = await durableWrites(ctx.startBeacon, ctx.duration, ctx.connections, ctx.rounds);
    const pairs = [
      ['single-sample POST', f.memory.post, f.local.post],
      ['POST /messages (fresh in-order messages)', f.memory.messages, f.local.messages],
      ['POST /metrics/{id}/latencies (100 samples)', f.memory.batch, f.local.batch],
    ] as const;
    return [
      ...pairs.map(([what, mem, loc]) => {
        const m = medianRun([...mem]);
        const l = medianRun([...loc]);
        return loadRow(`local state (default) vs memory: ${what}`, l, NaN, {
          vs: `${((100 * l.rps) / m.rps).toFixed(1)}% of memory mode (${Math.round(m.rps)} req/s)`,
          note: `medians of ${ctx.rounds}: local ${rpsList(loc)}; memory ${rpsList(mem)}`,
        });
      }),
      figure({
        scenario: 'local state: fdatasync calls per second under that load (STATE_SYNC_MS=1000)',
        rps: f.syncsPerSecond,
      }),
    ];
  },
};

interface DurableWrites {
  memory: { post: LoadResult[]; messages: LoadResult[]; batch: LoadResult[] };
  local: { post: LoadResult[]; messages: LoadResult[]; batch: LoadResult[] };
  /** fdatasync calls per second on the local instance over its whole run. */
  syncsPerSecond: number;
}

async function durableWrites(
  startBeacon: StartBeacon,
  duration: number,
  connections: number,
  rounds: number,
): Promise<DurableWrites> {
  const memory = await startBeacon({ STATE_BACKEND: 'memory' });
  const local = await startBeacon({ STATE_BACKEND: 'local' });
  const out: DurableWrites = {
    memory: { post: [], messages: [], batch: [] },
    local: { post: [], messages: [], batch: [] },
    syncsPerSecond: 0,
  };
  const started = performance.now();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [side, server] of [
        ['memory', memory],
        ['local', local],
      ] as const) {
        out[side].post.push(
          await postEach(`${server.url}/metrics/bench/latency`, randomLatencyBody, {
            duration,
            connections,
          }),
        );
        out[side].messages.push(
          await keepAliveMessages(server, '/messages', duration, connections, `${side}${round}`),
        );
        out[side].batch.push(
          await postEach(`${server.url}/metrics/batch/latencies`, () => randomBatchBody(100), {
            duration,
            connections,
          }),
        );
      }
    }
    type SharedStateLogs = { sharedState?: { logs: { syncs: number }[] } };
    const health = await getJson<{ info?: SharedStateLogs; error?: SharedStateLogs }>(
      `${local.url}/health`,
    );
    const logs = (health.info ?? health.error)?.sharedState?.logs ?? [];
    const seconds = (performance.now() - started) / 1000;
    out.syncsPerSecond = logs.reduce((n, l) => n + l.syncs, 0) / seconds;
  } finally {
    await Promise.all([memory.stop(), local.stop()]);
  }
  return out;
}
