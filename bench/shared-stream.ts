/**
 * Stream analysis in redis mode with a full day of posts: a fresh instance's catch-up on
 * 8.64 M posts (100 posts/s for 24 h) already in the shared log, then `/analysis?duration=24h`
 * on two instances while the leader ingests from the simulator at 2,000 posts/s.
 */
import { encodePostOps } from '../src/stream-analysis/post-ops';
import Redis from 'ioredis';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { generatePost, startSimulator } from '../scripts/stream-simulator';
import { rng } from '../test/helpers/random';
import { dropPrefix, uniquePrefix } from '../test/helpers/redis';
import { DIMENSIONS } from '../src/stream-analysis/post';
import { Server } from './lib';
import { StartBeacon, redisEnv } from './shared';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PER_ENTRY = 50;

export interface SharedStreamFigures {
  posts: number;
  fillSeconds: number;
  redisBytesPerPost: number;
  /** Spawn to listening, each instance (the second starts while the first ingests). */
  readyMs: number[];
  /** Per instance: the 24 h query's latencies (ms) while ingest ran. */
  queryMs: number[][];
  /** Per instance: the longest event-loop delay while the queries ran. */
  stallMs: number[];
  ingestedPerSecond: number;
}

/** Writes `posts` posts into the shared stream log directly, 50 to an entry, as a leader would. */
async function fill(redis: Redis, prefix: string, posts: number, endMs: number): Promise<void> {
  const random = rng(21);
  const key = `${prefix}:stream:log`;
  const stepMs = 86_400_000 / posts;
  const startMs = endMs - 86_400_000 + 60_000;
  let pipeline = redis.pipeline();
  let queued = 0;
  for (let i = 0, entry = 0; i < posts; i += PER_ENTRY, entry++) {
    const ops = [];
    for (let k = i; k < Math.min(posts, i + PER_ENTRY); k++) {
      const body = JSON.parse(generatePost(random, Math.floor(endMs / 1000))) as Record<
        string,
        Record<string, number>
      >;
      const fields = Object.values(body)[0];
      const v = DIMENSIONS.map((d) => fields[d] ?? null);
      while (v.length > 0 && v[v.length - 1] === null) v.pop();
      ops.push({ a: Math.floor(startMs + k * stepMs), t: fields.timestamp, v });
    }
    pipeline.xadd(
      key,
      `${ops[ops.length - 1].a}-${entry}`,
      'w',
      `bench:${entry}`,
      'b',
      // As Beacon writes them now: bytes (it reads JSON batches too).
      encodePostOps(ops) ?? JSON.stringify(ops),
    );
    if (++queued === 1000) {
      await pipeline.exec();
      pipeline = redis.pipeline();
      queued = 0;
    }
  }
  await pipeline.exec();
}

export async function sharedStreamQueries(
  startBeacon: StartBeacon,
  posts: number,
  querySeconds: number,
): Promise<SharedStreamFigures> {
  const prefix = uniquePrefix('bench-stream');
  const redis = new Redis(REDIS_URL);
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  const sim = await startSimulator({ rate: 2000, seed: 5 });
  const servers: Server[] = [];
  try {
    const m0 = await used();
    const t0 = performance.now();
    await fill(redis, prefix, posts, Date.now());
    const fillSeconds = (performance.now() - t0) / 1000;
    const redisBytesPerPost = ((await used()) - m0) / posts;
    const env = redisEnv(prefix, {
      STREAM_ENABLED: 'true',
      STREAM_URL: sim.url,
      STREAM_MAX_POSTS: String(posts * 2),
      JOBS_ENABLED: 'false',
    });
    const readyMs: number[] = [];
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      servers.push(await startBeacon(env));
      readyMs.push(performance.now() - started);
    }
    const status = async (s: Server) =>
      (await (await fetch(`${s.url}/analysis/status`)).json()) as { postsRetained: number };
    const before = await status(servers[0]);
    const stall = async (s: Server) =>
      (
        (await (await fetch(`${s.url}/health`)).json()) as {
          details: { streamAnalysis: { eventLoopDelayMaxMs: number } };
        }
      ).details.streamAnalysis.eventLoopDelayMaxMs;
    await Promise.all(servers.map(stall)); // resets each one's maximum
    const queryMs: number[][] = servers.map(() => []);
    const deadline = performance.now() + querySeconds * 1000;
    const started = performance.now();
    while (performance.now() < deadline) {
      for (let i = 0; i < servers.length; i++) {
        const t = performance.now();
        const res = await fetch(`${servers[i].url}/analysis?duration=24h&dimension=likes`);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`query answered ${res.status}`);
        queryMs[i].push(performance.now() - t);
      }
    }
    const after = await status(servers[0]);
    const stallMs = await Promise.all(servers.map(stall));
    return {
      posts,
      fillSeconds,
      redisBytesPerPost,
      readyMs,
      queryMs,
      stallMs,
      ingestedPerSecond:
        (after.postsRetained - before.postsRetained) / ((performance.now() - started) / 1000),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await sim.close();
    redis.disconnect();
    await sleep(100);
    await dropPrefix(prefix, REDIS_URL);
  }
}
