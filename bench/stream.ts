/**
 * Stream-analysis scenarios: a 24 h history query over 8.64 M posts (100 posts/s for a
 * day) with the ingest stall it causes, and the consumer's ingest rate from the
 * simulator over loopback.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { settingsOf } from '../src/config/load-settings';
import { StreamSettings } from '../src/stream-analysis/stream-analysis.settings';
import { startSimulator } from '../scripts/stream-simulator';
import { FakeClock } from '../test/helpers/fake-clock';
import { AnalysisService } from '../src/stream-analysis/analysis.service';
import { DIMENSIONS, Post } from '../src/stream-analysis/post';
import { InMemoryPostStore } from '../src/stream-analysis/in-memory-post.store';
import { rng } from '../test/helpers/random';
import { Server } from './lib';

/** A post with the sample's shape: 3–4 heavy-tailed fields. */
function syntheticPost(random: () => number, i: number): Post {
  const values = new Float64Array(DIMENSIONS.length).fill(NaN);
  const fields = i % 3 === 0 ? [3, 2, 1] : [0, 1, 6, 5]; // tweet-like or instagram-like
  for (const d of fields)
    values[d] = random() < 0.2 ? 0 : Math.floor(Math.exp(random() * random() * 16));
  return { type: i % 3 === 0 ? 'tweet' : 'instagram_media', timestamp: 1_700_000_000 + i, values };
}

export async function historyQuery(): Promise<{
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
  const lastDay = (d: number) => service.query(clock.now() - 86_400_000, clock.now(), d);
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
  return {
    posts,
    bytesPerPost: store.bytes() / store.size,
    buildSeconds,
    queryMs,
    coldMs,
    maxStallMs: delay.max / 1e6,
    ingestedDuringQueries: ingested,
  };
}

/** Beacon consuming the simulator at `rate` posts/s: posts/s it parsed and stored. */
export async function ingestRate(
  startBeacon: (env: Record<string, string>) => Promise<Server>,
  rate: number,
  seconds: number,
): Promise<{ sent: number; received: number; perSecond: number; parseErrors: number }> {
  const sim = await startSimulator({ rate, seed: 5 });
  const beacon = await startBeacon({ STREAM_ENABLED: 'true', STREAM_URL: sim.url });
  type Status = { postsReceived: number; parseErrors: number };
  const status = async () =>
    (await (await fetch(`${beacon.url}/analysis/status`)).json()) as Status;
  await new Promise((r) => setTimeout(r, 2000)); // warm-up
  const a = await status();
  const sentA = sim.eventsSent();
  const t = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = await status();
  const elapsed = (performance.now() - t) / 1000;
  const sent = sim.eventsSent() - sentA;
  await beacon.stop();
  await sim.close();
  return {
    sent: sent / elapsed,
    received: b.postsReceived - a.postsReceived,
    perSecond: (b.postsReceived - a.postsReceived) / elapsed,
    parseErrors: b.parseErrors - a.parseErrors,
  };
}
