/**
 * A 24 h history query over 8.64 M posts (100 posts/s for a day) in the in-process store,
 * and the ingest stall it causes.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { settingsOf } from '../../src/config/load-settings';
import { StreamSettings } from '../../src/stream-analysis/stream-analysis.settings';
import { AnalysisService } from '../../src/stream-analysis/analysis.service';
import { InMemoryPostStore } from '../../src/stream-analysis/in-memory-post.store';
import { DIMENSIONS, Post } from '../../src/stream-analysis/post';
import { FakeClock } from '../../test/helpers/fake-clock';
import { rng } from '../../test/helpers/random';
import { Scenario, figure } from '../lib/scenario';
import { quantile } from '../lib/stats';

export const streamHistory: Scenario = {
  name: 'stream-history',
  run: async () => {
    const h = await historyQuery();
    return [
      figure({
        scenario: `stream: 24 h history query over ${h.posts.toLocaleString('en-US')} posts (in-process store)`,
        p50: quantile(h.queryMs, 0.5),
        p99: quantile(h.queryMs, 0.99),
        rssMb: process.memoryUsage().rss / 1024 / 1024,
        vs: `max ${Math.max(...h.queryMs).toFixed(1)} ms; ingest stall max ${h.maxStallMs.toFixed(1)} ms`,
        note:
          `first (cold) query ${h.coldMs.toFixed(0)} ms, then ${h.queryMs.length} in 5 s while ${h.ingestedDuringQueries} posts were ingested; ` +
          `${h.bytesPerPost.toFixed(1)} B/post retained; built in ${h.buildSeconds.toFixed(1)} s`,
      }),
      figure({
        scenario: `stream: 24 h history query, ${MULTI.length} dimensions in one request (dimension=${MULTI.map((d) => DIMENSIONS[d]).join(',')})`,
        p50: quantile(h.multiMs, 0.5),
        p99: quantile(h.multiMs, 0.99),
        rssMb: process.memoryUsage().rss / 1024 / 1024,
        vs: `${MULTI.length} one-dimension queries: p50 ${quantile(h.separateMs, 0.5).toFixed(1)} ms`,
        note: `one pass over the window for all of them; ${h.multiMs.length} runs each, alternating`,
      }),
    ];
  },
};

/** A post with the sample's shape: 3–4 heavy-tailed fields. */
function syntheticPost(random: () => number, i: number): Post {
  const values = new Float64Array(DIMENSIONS.length).fill(NaN);
  const fields = i % 3 === 0 ? [3, 2, 1] : [0, 1, 6, 5]; // tweet-like or instagram-like
  for (const d of fields)
    values[d] = random() < 0.2 ? 0 : Math.floor(Math.exp(random() * random() * 16));
  return { type: i % 3 === 0 ? 'tweet' : 'instagram_media', timestamp: 1_700_000_000 + i, values };
}

/** The dimensions the synthetic posts carry, asked for together. */
const MULTI = [0, 1, 3, 6];

async function historyQuery(): Promise<{
  multiMs: number[];
  separateMs: number[];
  posts: number;
  bytesPerPost: number;
  buildSeconds: number;
  queryMs: number[];
  coldMs: number;
  maxStallMs: number;
  ingestedDuringQueries: number;
}> {
  const random = rng(24);
  const store = new InMemoryPostStore(5000, 20_000_000);
  const posts = 8_640_000;
  const start = Date.UTC(2026, 0, 1);
  const t0 = performance.now();
  for (let i = 0; i < posts; i++) store.append(syntheticPost(random, i), start + i * 10);
  const buildSeconds = (performance.now() - t0) / 1000;
  // Building made 8.64 M short-lived objects that a real 100 posts/s stream never does at
  // once; collect them now (npm run bench passes --expose-gc) so their GC pauses are not
  // charged to the queries.
  (globalThis as { gc?: () => void }).gc?.();
  // Queries and the ingest loop go through the service, as requests and the consumer do.
  const clock = new FakeClock(start + posts * 10);
  const service = new AnalysisService(store, clock, settingsOf(StreamSettings));
  const lastDay = (d: number) => service.query(clock.now() - 86_400_000, clock.now(), [d]);
  // The first query pays for compiling the query path; a running server has done that.
  const c0 = performance.now();
  await lastDay(0);
  const coldMs = performance.now() - c0;
  // Queries back to back for ~5 s while an ingest loop adds a post every tick; the event
  // loop's worst delay is the longest an arriving post could have waited.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let ingesting = true;
  let ingested = 0;
  const ingest = () => {
    if (!ingesting) return;
    clock.advance(10);
    void service.ingest(syntheticPost(random, ingested++));
    setImmediate(ingest);
  };
  delay.enable();
  setImmediate(ingest);
  const queryMs: number[] = [];
  const until = performance.now() + 5000;
  let d = 0;
  while (performance.now() < until) {
    await new Promise((r) => setImmediate(r));
    const q0 = performance.now();
    await lastDay([0, 1, 3, 6][d++ % 4]);
    queryMs.push(performance.now() - q0);
  }
  ingesting = false;
  delay.disable();
  // Several dimensions in one request against the same ones asked one by one.
  const multiMs: number[] = [];
  const separateMs: number[] = [];
  const day = () => [clock.now() - 86_400_000, clock.now()] as const;
  for (let i = 0; i < 10; i++) {
    const m0 = performance.now();
    await service.query(...day(), MULTI);
    multiMs.push(performance.now() - m0);
    const s0 = performance.now();
    for (const dim of MULTI) await service.query(...day(), [dim]);
    separateMs.push(performance.now() - s0);
  }
  return {
    multiMs,
    separateMs,
    posts,
    bytesPerPost: store.bytes() / store.size,
    buildSeconds,
    queryMs,
    coldMs,
    maxStallMs: delay.max / 1e6,
    ingestedDuringQueries: ingested,
  };
}
