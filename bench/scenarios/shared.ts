/**
 * Redis mode (STATE_BACKEND=redis) against memory mode, in alternating rounds: single-sample
 * POST on one memory instance, on one redis instance and spread over two redis instances;
 * POST /messages on one of each; GET of a metric on one of each.
 */
import {
  LoadResult,
  USE_WRK,
  load,
  medianRun,
  postEach,
  randomLatencyBody,
  wrkLoad,
} from '../lib/load';
import { redisEnv, withPrefix } from '../lib/redis';
import { keepAliveMessages } from '../lib/rocket-messages';
import { BenchContext, Scenario, loadRow, rpsList } from '../lib/scenario';
import type { Server } from '../lib/server';

export const shared: Scenario = {
  name: 'shared',
  run: async (ctx) => {
    const f = await withPrefix('bench', (prefix) => sharedThroughput(ctx, prefix));
    const note = (runs: LoadResult[]) => `median of ${ctx.rounds}: ${rpsList(runs)}`;
    // A redis-mode row against memory mode's median run, with its own runs in the note.
    const againstMemory = (scenario: string, runs: LoadResult[], memory: LoadResult) => {
      const r = medianRun(runs);
      return loadRow(scenario, r, NaN, {
        vs: `${((100 * r.rps) / memory.rps).toFixed(1)}% of memory mode (target ≥ 75%)`,
        note: note(runs),
      });
    };
    const m = medianRun(f.memory);
    const two = medianRun(f.redisTwo);
    const mm = medianRun(f.memoryMessages);
    const mr = medianRun(f.memoryReads);
    const rr = medianRun(f.redisReads);
    return [
      loadRow('memory mode: POST /metrics/{id}/latency, 1 instance', m, NaN, {
        note: note(f.memory),
      }),
      againstMemory('redis mode: POST /metrics/{id}/latency, 1 instance', f.redisOne, m),
      loadRow('redis mode: POST /metrics/{id}/latency, 2 instances, load spread', two, NaN, {
        vs: `${(two.rps / m.rps).toFixed(2)}× one memory instance (target ≥ 1.6×)`,
        note: `${note(f.redisTwo)}; both instances fold every write`,
      }),
      loadRow('memory mode: POST /messages, 1 instance', mm, NaN, {
        note: note(f.memoryMessages),
      }),
      againstMemory('redis mode: POST /messages, 1 instance', f.redisMessages, mm),
      loadRow('redis mode: GET /metrics/{id}, 1 instance', rr, NaN, {
        vs: `${((100 * rr.rps) / mr.rps).toFixed(1)}% of memory mode's ${Math.round(mr.rps)} req/s (reads are local)`,
        note: `${note(f.redisReads)} vs ${rpsList(f.memoryReads)}`,
      }),
    ];
  },
};

/** One sample a request, with wrk (two threads in all, whatever the number of targets). */
const postSample = (
  server: Server,
  path: string,
  duration: number,
  connections: number,
  threads = 2,
) =>
  USE_WRK
    ? wrkLoad({
        url: server.url + path,
        method: 'POST',
        connections,
        threads,
        duration,
        body: `'{"latency_ns": ' .. math.random(1, 1000000000) .. '}'`,
      })
    : postEach(server.url + path, randomLatencyBody, { connections, duration });

/** Two loads at once, one per instance; the sum of their requests/s. */
async function spread(servers: Server[], path: string, duration: number, connections: number) {
  const runs = await Promise.all(
    servers.map((s) => postSample(s, path, duration, Math.ceil(connections / servers.length), 1)),
  );
  return {
    rps: runs.reduce((n, r) => n + r.rps, 0),
    p50: Math.max(...runs.map((r) => r.p50)),
    p99: Math.max(...runs.map((r) => r.p99)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    total: runs.reduce((n, r) => n + r.total, 0),
  } satisfies LoadResult;
}

interface ThroughputFigures {
  memory: LoadResult[];
  redisOne: LoadResult[];
  redisTwo: LoadResult[];
  memoryMessages: LoadResult[];
  redisMessages: LoadResult[];
  memoryReads: LoadResult[];
  redisReads: LoadResult[];
}

async function sharedThroughput(ctx: BenchContext, prefix: string): Promise<ThroughputFigures> {
  const { startBeacon, duration, connections, rounds } = ctx;
  const memory = await startBeacon({ STATE_BACKEND: 'memory' });
  const [r1, r2] = await Promise.all([
    startBeacon(redisEnv(prefix)),
    startBeacon(redisEnv(prefix)),
  ]);
  const out: ThroughputFigures = {
    memory: [],
    redisOne: [],
    redisTwo: [],
    memoryMessages: [],
    redisMessages: [],
    memoryReads: [],
    redisReads: [],
  };
  try {
    for (let round = 0; round < rounds; round++) {
      out.memory.push(await postSample(memory, '/metrics/bench/latency', duration, connections));
      out.redisOne.push(await postSample(r1, '/metrics/bench/latency', duration, connections));
      out.redisTwo.push(await spread([r1, r2], '/metrics/bench2/latency', duration, connections));
      out.memoryMessages.push(
        await keepAliveMessages(memory, '/messages', duration, connections, `m${round}`),
      );
      out.redisMessages.push(
        await keepAliveMessages(r1, '/messages', duration, connections, `r${round}`),
      );
      const read = (s: Server) =>
        USE_WRK
          ? wrkLoad({ url: `${s.url}/metrics/bench`, connections, threads: 2, duration })
          : load({ url: `${s.url}/metrics/bench`, connections, duration });
      out.memoryReads.push(await read(memory));
      out.redisReads.push(await read(r1));
    }
  } finally {
    await Promise.all([memory.stop(), r1.stop(), r2.stop()]);
  }
  return out;
}
