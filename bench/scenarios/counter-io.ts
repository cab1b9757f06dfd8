/**
 * What the request counter's file costs in bytes per second: the store alone on a
 * simulated clock at exactly 10,000 req/s (a rate the HTTP stack of this 2-core machine
 * cannot reach), flushed every 250 ms and every 1 s; then over HTTP as fast as it goes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileRequestCounterStore } from '../../src/request-counter/file-request-counter.store';
import { FakeClock } from '../../test/helpers/fake-clock';
import { counterStats } from '../lib/counter-stats';
import { fixedRate } from '../lib/load';
import { Row, Scenario, figure, loadRow, withBeacon } from '../lib/scenario';
import type { Server } from '../lib/server';

export const counterIo: Scenario = {
  name: 'counter-io',
  run: async (ctx) => {
    const rows: Row[] = [];
    for (const flushMs of [250, 1000]) {
      const sim = await simulatedBytesPerSecond(10_000, flushMs, 130);
      rows.push(
        figure({
          scenario: `counter file, store alone at exactly 10,000 req/s, flush ${flushMs} ms`,
          vs: `${Math.round(sim.bytesPerSec).toLocaleString('en-US')} bytes/s written`,
          note: `${sim.writesPerSec.toFixed(2)} writes+fdatasync/s over 130 simulated s, ${sim.compactions} compactions included`,
        }),
      );
    }
    // Long enough to include a compaction (one per 60 s window).
    const seconds = Math.max(ctx.duration, 65);
    const overHttp = await withBeacon(ctx, async (beacon) => {
      const io = await bytesPerSecond(beacon, 10_000, seconds);
      return [
        loadRow('counter file over HTTP, as fast as this machine goes', io.result, beacon.rssMb(), {
          vs: `${Math.round(io.bytesPerSec).toLocaleString('en-US')} bytes/s written`,
          note: `${io.flushesPerSec.toFixed(1)} writes+fdatasync/s over ${seconds}s, flush 250 ms`,
        }),
      ];
    });
    return [...rows, ...overHttp];
  },
};

/** Drives ~`rate` requests/s over HTTP for `duration` s: the file's bytes per second. */
async function bytesPerSecond(server: Server, rate: number, duration: number) {
  const before = await counterStats(server);
  const started = Date.now();
  const result = await fixedRate(server, rate, duration, { connections: 20 });
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
 * `seconds` simulated seconds.
 */
async function simulatedBytesPerSecond(rate: number, flushMs: number, seconds: number) {
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
