/**
 * Request-counter scenarios: what counting costs per request, what the file costs in
 * bytes per second, and how long start-up takes on a full window of state.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MonotonicClock } from '../src/common/clock';
import { FakeClock } from '../test/helpers/fake-clock';
import { MAGIC, encodeFrame } from '../src/request-counter/counter-log';
import {
  COUNTER_FILE,
  FileRequestCounterStore,
} from '../src/request-counter/file-request-counter.store';
import { MillisecondWindow } from '../src/request-counter/ms-window';
import type autocannon from 'autocannon';
import { Server, cpuSeconds, load } from './lib';

interface CounterHealth {
  details: { requestCounter: { bytesWritten: number; flushes: number; loadMs: number } };
}

export async function counterStats(server: Server) {
  const health = (await (await fetch(`${server.url}/health`)).json()) as CounterHealth;
  return health.details.requestCounter;
}

/** A cheap route, so that what counting costs is not hidden behind the handler's work. */
export function cheapGets(server: Server, duration: number, connections: number) {
  return load({ url: `${server.url}/metrics`, connections, duration });
}

/**
 * Server CPU per request at a fixed rate well below saturation. Throughput at saturation
 * swings by ±20% between runs on this shared machine; CPU time per request does not.
 */
export async function cpuPerRequest(
  server: Server,
  rate: number,
  duration: number,
  request: Partial<autocannon.Options> = {},
) {
  const before = cpuSeconds(server.child.pid!);
  const result = await load({
    url: `${server.url}/metrics`,
    connections: 10,
    overallRate: rate,
    duration,
    warmup: 0,
    ...request,
  });
  const used = cpuSeconds(server.child.pid!) - before;
  return { result, usPerRequest: (used * 1e6) / result.total };
}

/** Drives ~`rate` requests/s over HTTP for `duration` s: the file's bytes per second. */
export async function bytesPerSecond(server: Server, rate: number, duration: number) {
  const before = await counterStats(server);
  const started = Date.now();
  const result = await load({
    url: `${server.url}/metrics`,
    connections: 20,
    overallRate: rate,
    duration,
    warmup: 0,
  });
  const seconds = (Date.now() - started) / 1000;
  const after = await counterStats(server);
  return {
    result,
    bytesPerSec: (after.bytesWritten - before.bytesWritten) / seconds,
    flushesPerSec: (after.flushes - before.flushes) / seconds,
  };
}

/**
 * The store alone, on the real file system, fed exactly `rate` requests/s on a simulated
 * clock (Poisson arrivals, millisecond by millisecond) and flushed every `flushMs`, for
 * `seconds` simulated seconds: what the file costs at a rate the HTTP stack of this
 * 2-core machine cannot reach.
 */
export async function simulatedBytesPerSecond(rate: number, flushMs: number, seconds: number) {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-bench-io-'));
  const clock = new FakeClock(Date.now());
  const store = await FileRequestCounterStore.open({ dir, windowMs: 60_000, clock });
  const start = store.stats();
  const perMs = rate / 1000;
  for (let ms = 1; ms <= seconds * 1000; ms++) {
    // Poisson(perMs) by inversion; perMs is small, so this loop is short.
    let k = 0;
    for (let p = Math.exp(-perMs), s = p, u = Math.random(); u > s; k++) {
      p *= perMs / (k + 1);
      s += p;
    }
    for (let i = 0; i < k; i++) store.record(clock.now());
    clock.advance(1);
    if (ms % flushMs === 0) await store.flush();
  }
  const end = store.stats();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    bytesPerSec: (end.bytesWritten - start.bytesWritten) / seconds,
    writesPerSec: (end.flushes - start.flushes) / seconds,
    compactions: end.compactions - start.compactions,
  };
}

/**
 * The largest file a 60 s window leaves at 10,000 requests/s: a compacted snapshot of a
 * full window (10 requests in every millisecond) followed by a window's worth of 250 ms
 * delta frames, just before the next compaction.
 */
export function writeFullWindowState(dir: string, now = Date.now()): number {
  const windowMs = 60_000;
  const frames: Buffer[] = [MAGIC];
  const snapshotStart = now - 2 * windowMs + 1;
  const ms = Array.from({ length: windowMs }, (_, i) => snapshotStart + i);
  frames.push(encodeFrame({ ms, count: ms.map(() => 10) }));
  for (let t = snapshotStart + windowMs; t <= now; t += 250) {
    const slice = Array.from({ length: Math.min(250, now - t + 1) }, (_, i) => t + i);
    frames.push(encodeFrame({ ms: slice, count: slice.map(() => 10) }));
  }
  const data = Buffer.concat(frames);
  writeFileSync(join(dir, COUNTER_FILE), data);
  return data.length;
}

/** In-process cost of counting one request (clock read + ring update), in ns. */
export function recordCostNs(): number {
  const clock = new MonotonicClock();
  const window = new MillisecondWindow(60_000, clock.now());
  const n = 5_000_000;
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) window.record(clock.now());
    runs.push(((performance.now() - t) * 1e6) / n);
  }
  return runs.sort((a, b) => a - b)[1];
}
