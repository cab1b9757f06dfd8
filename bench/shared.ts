/**
 * Redis mode (STATE_BACKEND=redis) against memory mode, in the same run: throughput of one
 * and of two instances, replication lag between instances, how long a fresh instance takes
 * to catch up on a big state, and what Redis holds per sample and per message.
 */
import Redis from 'ioredis';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { dropPrefix, uniquePrefix } from '../test/helpers/redis';
import type { WireMessage } from '../test/helpers/rocket-history';
import { LoadResult, Server, hasWrk, load, randomLatencyBody, wrkLoad } from './lib';
import { keepAliveMessages } from './rockets';

/** Launch, then speed increases only: every message changes the rocket. */
function inOrderHistory(channel: string, length: number): WireMessage[] {
  return Array.from({ length }, (_, k) => ({
    metadata: {
      channel,
      messageNumber: k + 1,
      messageTime: new Date(Date.UTC(2026, 0, 1) + k).toISOString(),
      messageType: k === 0 ? 'RocketLaunched' : 'RocketSpeedIncreased',
    },
    message: k === 0 ? { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' } : { by: 1 },
  }));
}

export type StartBeacon = (env?: Record<string, string>) => Promise<Server>;

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const json = { 'content-type': 'application/json' };

export function redisEnv(prefix: string, extra: Record<string, string> = {}) {
  return { STATE_BACKEND: 'redis', REDIS_URL, REDIS_PREFIX: prefix, ...extra };
}

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
    : load({
        url: server.url + path,
        method: 'POST',
        headers: json,
        connections,
        duration,
        requests: [{ setupRequest: (req) => ({ ...req, body: randomLatencyBody() }) }],
      });

/** wrk when installed: autocannon's own CPU would be most of one of the two cores. */
export const USE_WRK = hasWrk();

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

export interface ThroughputFigures {
  memory: LoadResult[];
  redisOne: LoadResult[];
  redisTwo: LoadResult[];
  memoryMessages: LoadResult[];
  redisMessages: LoadResult[];
  memoryReads: LoadResult[];
  redisReads: LoadResult[];
}

/**
 * In alternating rounds: single-sample POST on one memory instance, on one redis instance,
 * and spread over two redis instances; POST /messages on one of each; GET of a metric on
 * one of each.
 */
export async function sharedThroughput(
  startBeacon: StartBeacon,
  duration: number,
  connections: number,
  rounds: number,
): Promise<ThroughputFigures> {
  const prefix = uniquePrefix('bench');
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
    await dropPrefix(prefix, REDIS_URL);
  }
  return out;
}

/**
 * Write on A, read on B: under a background load of `rate` writes/s to A, probes write a
 * sample to a fresh metric on A and poll B until it shows; the lag is from A's 202 to B's
 * first answer that has it.
 */
export async function replicationLag(
  startBeacon: StartBeacon,
  rate: number,
  probes: number,
): Promise<{ lagsMs: number[]; background: LoadResult }> {
  const prefix = uniquePrefix('bench-lag');
  const [a, b] = await Promise.all([startBeacon(redisEnv(prefix)), startBeacon(redisEnv(prefix))]);
  try {
    const seconds = Math.ceil(probes / 20) + 2;
    const background = load({
      url: `${a.url}/metrics/background/latency`,
      method: 'POST',
      headers: json,
      connections: 20,
      overallRate: rate,
      duration: seconds,
      warmup: 0,
      requests: [{ setupRequest: (req) => ({ ...req, body: randomLatencyBody() }) }],
    });
    await sleep(1000);
    const lagsMs: number[] = [];
    for (let i = 0; i < probes; i++) {
      const res = await fetch(`${a.url}/metrics/probe-${i}/latency`, {
        method: 'POST',
        headers: json,
        body: '{"latency_ns": 1}',
      });
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
    await dropPrefix(prefix, REDIS_URL);
  }
}

export interface CatchUp {
  samples: number;
  messages: number;
  /** From spawning the fresh instance to it answering /health/live. */
  readyMs: number;
  logs: { name: string; catchUpMs: number; snapshotsLoaded: number; entriesApplied: number }[];
  redisBytesPerSample: number;
  redisBytesPerMessage: number;
}

/**
 * A window of `samples` samples (one metric, batches of 10,000) and `rockets` rockets of
 * `perRocket` messages each, written through one instance; Redis's memory measured before,
 * after the samples and after the messages; then a snapshot, and a fresh instance started
 * and timed until it serves.
 */
export async function catchUp(
  startBeacon: StartBeacon,
  samples: number,
  rockets: number,
  perRocket: number,
): Promise<CatchUp> {
  const prefix = uniquePrefix('bench-catchup');
  const redis = new Redis(REDIS_URL);
  const used = async () => {
    const info = await redis.info('memory');
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
  };
  const env = redisEnv(prefix, {
    SHARED_SNAPSHOT_INTERVAL_MS: '2000',
    LATENCY_MAX_SAMPLES_LIMIT: String(Math.max(1_000_000, samples)),
    ROCKETS_MAX_BUFFERED_PER_CHANNEL: String(perRocket),
    ROCKETS_DEDUP_HISTORY: String(perRocket),
  });
  const writer = await startBeacon(env);
  let fresh: Server | null = null;
  try {
    const m0 = await used();
    await fetch(`${writer.url}/metrics/big`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ window_ms: 3_600_000, max_samples: samples }),
    });
    for (let i = 0; i < samples; i += 10_000) {
      const batch = Array.from(
        { length: Math.min(10_000, samples - i) },
        (_, k) => 1 + ((i + k) % 997_001),
      );
      const res = await fetch(`${writer.url}/metrics/big/latencies`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ latencies_ns: batch }),
      });
      if (res.status !== 202) throw new Error(`batch refused: ${res.status} ${await res.text()}`);
    }
    await sleep(3000); // a snapshot, and the log before it trimmed (past the grace)
    const m1 = await used();
    const histories = Array.from({ length: rockets }, (_, r) =>
      inOrderHistory(`catchup-${r}`, perRocket),
    );
    const messages = histories.flat();
    // In order per rocket, many in flight at once: every message applied.
    for (let n = 0; n < perRocket; n += 25) {
      await Promise.all(
        histories.flatMap((h) =>
          h.slice(n, n + 25).map((m) =>
            fetch(`${writer.url}/messages`, {
              method: 'POST',
              headers: json,
              body: JSON.stringify(m),
            }).then((r) => r.arrayBuffer()),
          ),
        ),
      );
    }
    await sleep(3000);
    const m2 = await used();
    const started = performance.now();
    fresh = await startBeacon(env);
    const readyMs = performance.now() - started;
    const health = (await (await fetch(`${fresh.url}/health`)).json()) as {
      details: { sharedState: { logs: CatchUp['logs'] } };
    };
    const big = (await (await fetch(`${fresh.url}/metrics/big`)).json()) as { Count: number };
    if (big.Count !== samples) throw new Error(`fresh instance has ${big.Count} samples`);
    return {
      samples,
      messages: messages.length,
      readyMs,
      logs: health.details.sharedState.logs.map(
        ({ name, catchUpMs, snapshotsLoaded, entriesApplied }) => ({
          name,
          catchUpMs,
          snapshotsLoaded,
          entriesApplied,
        }),
      ),
      redisBytesPerSample: (m1 - m0) / samples,
      redisBytesPerMessage: (m2 - m1) / messages.length,
    };
  } finally {
    await Promise.all([writer.stop(), fresh?.stop()]);
    redis.disconnect();
    await dropPrefix(prefix, REDIS_URL);
  }
}
