/**
 * Local state (STATE_BACKEND=local, the default) against memory mode, in the same run:
 * what writing every acknowledged write to the log costs, how fast a restart replays it, and
 * how many bytes each sample, message and post takes on disk.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FakeClock } from '../test/helpers/fake-clock';
import { localStateFor } from '../test/helpers/local-state';
import { InMemoryLatencyStore } from '../src/latency/in-memory-latency.store';
import { SharedLatencyStore } from '../src/latency/shared-latency.store';
import { InMemoryRocketsStore } from '../src/rockets/in-memory-rockets.store';
import { SharedRocketsStore } from '../src/rockets/shared-rockets.store';
import { settingsOf } from '../src/config/load-settings';
import { StateSettings } from '../src/shared-state/state.settings';
import { StreamSettings } from '../src/stream-analysis/stream-analysis.settings';
import { InMemoryPostStore } from '../src/stream-analysis/in-memory-post.store';
import { DIMENSIONS } from '../src/stream-analysis/post';
import { SharedPostStore } from '../src/stream-analysis/shared-post.store';
import { StreamLeadership } from '../src/stream-analysis/stream-leadership';
import { LoadResult, Server, load, randomBatchBody, randomLatencyBody } from './lib';
import { keepAliveMessages } from './rockets';
import type { StartBeacon } from './shared';

const json = { 'content-type': 'application/json' };

export interface DurableWrites {
  memory: { post: LoadResult[]; messages: LoadResult[]; batch: LoadResult[] };
  local: { post: LoadResult[]; messages: LoadResult[]; batch: LoadResult[] };
  /** fdatasync calls per second on the local instance over its whole run. */
  syncsPerSecond: number;
}

const postOf = (
  server: Server,
  path: string,
  body: () => string,
  duration: number,
  connections: number,
) =>
  load({
    url: server.url + path,
    method: 'POST',
    headers: json,
    connections,
    duration,
    requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
  });

/** In alternating rounds: single-sample POST, POST /messages and 100-sample batches, memory vs local. */
export async function durableWrites(
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
          await postOf(server, '/metrics/bench/latency', randomLatencyBody, duration, connections),
        );
        out[side].messages.push(
          await keepAliveMessages(server, '/messages', duration, connections, `${side}${round}`),
        );
        out[side].batch.push(
          await postOf(
            server,
            '/metrics/batch/latencies',
            () => randomBatchBody(100),
            duration,
            connections,
          ),
        );
      }
    }
    const health = (await (await fetch(`${local.url}/health`)).json()) as {
      info?: { sharedState?: { logs: { syncs: number }[] } };
      error?: { sharedState?: { logs: { syncs: number }[] } };
    };
    const logs = (health.info ?? health.error)?.sharedState?.logs ?? [];
    const seconds = (performance.now() - started) / 1000;
    out.syncsPerSecond = logs.reduce((n, l) => n + l.syncs, 0) / seconds;
  } finally {
    await Promise.all([memory.stop(), local.stop()]);
  }
  return out;
}

/** Spawn to serving (/health/live answers), in ms. */
async function timedStart(startBeacon: StartBeacon, env: Record<string, string>) {
  const t = performance.now();
  const server = await startBeacon(env);
  return { server, ms: performance.now() - t };
}

/** Bytes of every file under `dir`, recursively. */
function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? bytesUnder(p) : statSync(p).size;
  }
  return n;
}

export interface Restart {
  /** The same start on an empty DATA_DIR: boot alone, the baseline. */
  emptyMs: number;
  samples: number;
  messages: number;
  entries: number;
  /** kill -9, then start: everything replayed from the log. */
  fromLogMs: number;
  /** After a graceful stop (a final snapshot): the same state. */
  afterStopMs: number;
  bytesPerSample: number;
  bytesPerMessage: number;
  rssMb: number;
}

/**
 * Writes `samples` latency samples and `messages` rocket messages into a DATA_DIR's logs
 * through the stores themselves (the same entries HTTP writes make, `perEntry` ops to an
 * entry, as concurrent requests batch them), leaves them as kill -9 would (no snapshot),
 * then times Beacon from spawn to serving on it; then stops it gracefully and times again.
 */
export async function restartFromLog(
  startBeacon: StartBeacon,
  dataDir: string,
  samples = 1_000_000,
  messages = 200_000,
  perEntry = 10,
): Promise<Restart> {
  mkdirSync(join(dataDir, 'empty'));
  const empty = await timedStart(startBeacon, { DATA_DIR: join(dataDir, 'empty') });
  await empty.server.stop();
  const clock = new FakeClock(Date.now());
  const state = localStateFor(clock, { dataDir });
  const latency = await SharedLatencyStore.open(
    new InMemoryLatencyStore({
      defaults: { windowMs: 3_600_000, maxSamples: 10_000 },
      maxMetrics: 10_000,
      maxTotalSamples: 100_000_000,
    }),
    state.state,
    3_600_000,
  );
  for (let i = 0; i < samples; i += perEntry) {
    await Promise.all(
      Array.from({ length: perEntry }, (_, k) =>
        latency.record(`m-${(i + k) % 1000}`, [1 + ((i + k) % 1e6)], clock.now()),
      ),
    );
  }
  const latencyBytes = bytesUnder(join(dataDir, 'state', 'latency'));
  const rockets = await SharedRocketsStore.open(
    new InMemoryRocketsStore({
      maxChannels: 100_000,
      maxBufferedPerChannel: 1000,
      maxBuffered: 1_000_000,
      dedupHistory: 1000,
    }),
    state.state,
    3_600_000,
  );
  const perRocket = 100;
  for (let i = 0; i < messages; i += perEntry) {
    await Promise.all(
      Array.from({ length: perEntry }, (_, k) => {
        const m = i + k;
        const channel = `r-${Math.floor(m / perRocket)}`;
        const n = (m % perRocket) + 1;
        return rockets.accept(
          n === 1
            ? {
                channel,
                number: n,
                time: new Date(clock.now()).toISOString(),
                type: 'RocketLaunched',
                payload: { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' },
              }
            : {
                channel,
                number: n,
                time: new Date(clock.now()).toISOString(),
                type: 'RocketSpeedIncreased',
                payload: { by: 1 },
              },
          clock.now(),
        );
      }),
    );
  }
  const rocketBytes = bytesUnder(join(dataDir, 'state', 'rockets'));
  // As kill -9 leaves it: the logs written, no snapshot; only the directory let go.
  await state.close();

  const first = await timedStart(startBeacon, { DATA_DIR: dataDir });
  const rssMb = first.server.rssMb();
  await first.server.stop();
  const second = await timedStart(startBeacon, { DATA_DIR: dataDir });
  await second.server.stop();
  return {
    emptyMs: empty.ms,
    fromLogMs: first.ms,
    afterStopMs: second.ms,
    samples,
    messages,
    entries: (samples + messages) / perEntry,
    bytesPerSample: latencyBytes / samples,
    bytesPerMessage: rocketBytes / messages,
    rssMb,
  };
}

export interface PostsRestart {
  posts: number;
  ms: number;
  bytesPerPost: number;
  rssMb: number;
}

/** A full 24 h of posts at 100/s in the stream log (as the consumer writes them, a chunk of 10 an entry), then Beacon from spawn to serving. */
export async function restartWithDayOfPosts(
  startBeacon: StartBeacon,
  dataDir: string,
  posts = 8_640_000,
): Promise<PostsRestart> {
  const dayMs = 86_400_000;
  const clock = new FakeClock(Date.now() - dayMs + 60_000);
  const state = localStateFor(clock, { dataDir });
  const store = await SharedPostStore.open(
    new InMemoryPostStore(5000, 10_000_000),
    state.state,
    new StreamLeadership(settingsOf(StateSettings), settingsOf(StreamSettings), state.state),
    1000,
  );
  const stepMs = (dayMs - 120_000) / posts;
  const values = new Float64Array(DIMENSIONS.length);
  for (let i = 0; i < posts; i += 10) {
    const batch: Promise<void>[] = [];
    for (let k = 0; k < 10 && i + k < posts; k++) {
      for (let d = 0; d < values.length; d++) values[d] = (i * 7 + k * 13 + d) % 5000;
      batch.push(
        store.add(
          { type: 'tweet', timestamp: 1_700_000_000 + i + k, values },
          clock.now(),
          String(i + k),
        ),
      );
      clock.advance(stepMs);
    }
    await Promise.all(batch);
  }
  const bytes = bytesUnder(join(dataDir, 'state', 'stream'));
  await state.close();
  const { server, ms } = await timedStart(startBeacon, { DATA_DIR: dataDir });
  const rssMb = server.rssMb();
  await server.stop();
  return { posts, ms, bytesPerPost: bytes / posts, rssMb };
}
