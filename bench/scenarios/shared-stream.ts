/**
 * Stream analysis in redis mode with a full day of posts: a fresh instance's catch-up on
 * 8.64 M posts (100 posts/s for 24 h) already in the shared log, then `/analysis?duration=24h`
 * on two instances while the leader ingests from the simulator at 2,000 posts/s.
 */
import Redis from 'ioredis';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { generatePost, startSimulator } from '../../scripts/stream-simulator';
import { encodePostOps } from '../../src/stream-analysis/post-ops';
import { DIMENSIONS } from '../../src/stream-analysis/post';
import { rng } from '../../test/helpers/random';
import { getJson } from '../lib/http';
import { REDIS_URL, redisEnv, usedMemory, withPrefix } from '../lib/redis';
import { Scenario, figure } from '../lib/scenario';
import { Server, StartBeacon, timedStart } from '../lib/server';
import { ascending, quantileOfSorted } from '../lib/stats';

const PER_ENTRY = 50;

export const sharedStream: Scenario = {
  name: 'shared-stream',
  run: async (ctx) => {
    const f = await withPrefix('bench-stream', (prefix) =>
      sharedStreamQueries(ctx.startBeacon, prefix, 8_640_000, ctx.duration),
    );
    const fmt = (n: number) => n.toFixed(1);
    return [
      figure({
        scenario: `redis mode: fresh instance ready with a full 24 h of posts (${f.posts.toLocaleString('en-US')})`,
        vs: `${(f.readyMs[0] / 1000).toFixed(1)} s and ${(f.readyMs[1] / 1000).toFixed(1)} s to listening (target ≤ 30 s)`,
        note: `the second started while the first ingested at 2,000 posts/s; Redis holds ${f.redisBytesPerPost.toFixed(1)} B/post (posts 50 to an entry, JSON)`,
      }),
      ...f.queryMs.map((ms, i) => {
        const s = ascending(ms);
        const q = (p: number) => quantileOfSorted(s, p);
        return figure({
          scenario: `redis mode: /analysis?duration=24h on instance ${i + 1} of 2, ingest at 2,000 posts/s`,
          p50: q(0.5),
          p99: q(0.99),
          vs: `max ${fmt(s[s.length - 1])} ms (target ≤ 100 ms); longest event-loop stall ${fmt(f.stallMs[i])} ms (target ≤ 50 ms)`,
          note: `${ms.length} queries in ${ctx.duration} s; ${Math.round(f.ingestedPerSecond)} posts/s folded meanwhile`,
        });
      }),
    ];
  },
};

interface SharedStreamFigures {
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

async function sharedStreamQueries(
  startBeacon: StartBeacon,
  prefix: string,
  posts: number,
  querySeconds: number,
): Promise<SharedStreamFigures> {
  const redis = new Redis(REDIS_URL);
  const sim = await startSimulator({ rate: 2000, seed: 5 });
  const servers: Server[] = [];
  try {
    const m0 = await usedMemory(redis);
    const t0 = performance.now();
    await fill(redis, prefix, posts, Date.now());
    const fillSeconds = (performance.now() - t0) / 1000;
    const redisBytesPerPost = ((await usedMemory(redis)) - m0) / posts;
    const env = redisEnv(prefix, {
      STREAM_ENABLED: 'true',
      STREAM_URL: sim.url,
      STREAM_MAX_POSTS: String(posts * 2),
      JOBS_ENABLED: 'false',
    });
    const readyMs: number[] = [];
    for (let i = 0; i < 2; i++) {
      const { server, ms } = await timedStart(startBeacon, env);
      servers.push(server);
      readyMs.push(ms);
    }
    const status = (s: Server) => getJson<{ postsRetained: number }>(`${s.url}/analysis/status`);
    const before = await status(servers[0]);
    const stall = async (s: Server) =>
      (
        await getJson<{ details: { streamAnalysis: { eventLoopDelayMaxMs: number } } }>(
          `${s.url}/health`,
        )
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
  }
}
