import { LoggerService } from '@nestjs/common';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../test/helpers/fake-clock';
import { MAGIC, encodeFrame } from './counter-log';
import { DataDirError } from '../infra/data-dir';
import { COUNTER_FILE, FileRequestCounterStore } from './file-request-counter.store';
import { requestCounterStoreContract } from './request-counter.store.contract';

const WINDOW = 60_000;

class CapturingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log(message: string) {
    this.lines.push({ level: 'log', message });
  }
  warn(message: string) {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string) {
    this.lines.push({ level: 'error', message });
  }
  text(level: string): string {
    return this.lines
      .filter((l) => l.level === level)
      .map((l) => l.message)
      .join('\n');
  }
}

requestCounterStoreContract('FileRequestCounterStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-counter-contract-'));
  const clock = new FakeClock();
  return {
    clock,
    open: (windowMs) =>
      FileRequestCounterStore.open({ dir, windowMs, clock, logger: new CapturingLogger() }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('FileRequestCounterStore', () => {
  let dir: string;
  let clock: FakeClock;
  let logger: CapturingLogger;
  const open = (windowMs = WINDOW) =>
    FileRequestCounterStore.open({ dir, windowMs, clock, logger });
  const file = () => join(dir, COUNTER_FILE);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'beacon-counter-'));
    clock = new FakeClock();
    logger = new CapturingLogger();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts empty without a file and creates one', async () => {
    const store = await open();
    expect(store.count(clock.now())).toBe(0);
    expect(statSync(file()).size).toBeGreaterThan(0);
    await store.close();
  });

  it('a restart continues the count on the same clock: identical, then ageing out', async () => {
    const a = await open();
    for (let i = 0; i < 5000; i++) {
      a.record(clock.now());
      clock.advance(i % 3 === 0 ? 7 : 0.4);
    }
    const before = a.count(clock.now());
    await a.close();

    const b = await open();
    expect(b.count(clock.now())).toBe(before);
    // The first request was at the fake clock's start; it leaves exactly 60 s later.
    const first = new FakeClock().now();
    expect(b.count(first + WINDOW - 1)).toBeGreaterThan(0);
    expect(b.count(clock.now() + WINDOW)).toBe(0);
    await b.close();
    expect(logger.text('warn')).toBe('');
  });

  it('a crash loses only what arrived after the last flush', async () => {
    const a = await open();
    for (let i = 0; i < 1000; i++) {
      a.record(clock.now());
      clock.advance(1);
    }
    await a.flush();
    for (let i = 0; i < 37; i++) a.record(clock.now()); // after the last flush
    // No close: the process died. A second store opens the same file.
    const b = await open();
    expect(b.count(clock.now())).toBe(1000);
    await b.close();
  });

  it('counts recorded in the same millisecond after a flush are not lost or doubled', async () => {
    const a = await open();
    a.record(clock.now());
    await a.flush();
    a.record(clock.now());
    a.record(clock.now());
    await a.flush();
    a.record(clock.now());
    await a.flush();
    const b = await open();
    expect(b.count(clock.now())).toBe(4);
    await Promise.all([a.close(), b.close()]);
  });

  it('an idle flush writes nothing', async () => {
    const store = await open();
    store.record(clock.now());
    await store.flush();
    const written = store.stats().bytesWritten;
    clock.advance(1000);
    await store.flush();
    await store.flush();
    expect(store.stats().bytesWritten).toBe(written);
    await store.close();
  });

  it('compacts once a window has passed, so the file stays bounded under constant load', async () => {
    const store = await open();
    let maxSize = 0;
    // Four windows at one request per millisecond, flushing every 500 ms (each flush
    // fdatasyncs, so this test takes seconds on a busy disk: hence its timeout).
    for (let t = 0; t < 4 * WINDOW; t++) {
      store.record(clock.now());
      clock.advance(1);
      if (t % 500 === 499) {
        await store.flush();
        maxSize = Math.max(maxSize, statSync(file()).size);
      }
    }
    expect(store.stats().compactions).toBeGreaterThanOrEqual(3);
    // A full window is 60,000 busy milliseconds at ~2 bytes each; at most two windows.
    expect(maxSize).toBeLessThan(2 * 2 * WINDOW + 4096);
    const count = store.count(clock.now());
    // The last request was 1 ms ago and the first of this window 59,999 ms ago.
    expect(count).toBe(WINDOW - 1);
    await store.close();
    const again = await open();
    expect(again.count(clock.now())).toBe(count);
    await again.close();
  }, 60_000);

  it('a torn last frame is ignored with a warning; the frames before it are used', async () => {
    const a = await open();
    for (let i = 0; i < 10; i++) a.record(clock.now());
    await a.close();
    const frame = encodeFrame({ ms: [clock.now()], count: [5] });
    appendFileSync(file(), frame.subarray(0, frame.length - 3));
    const b = await open();
    expect(b.count(clock.now())).toBe(10);
    expect(logger.text('warn')).toMatch(/ignored \d+ bytes of an unfinished write/);
    await b.close();
    // The start-up compaction rewrote the file: the next start is clean.
    logger.lines.length = 0;
    const c = await open();
    expect(c.count(clock.now())).toBe(10);
    expect(logger.text('warn')).toBe('');
    await c.close();
  });

  it('a garbage file is moved aside with a warning and the counter starts at zero', async () => {
    writeFileSync(file(), 'this is not a counter file\n'.repeat(100));
    const store = await open();
    expect(store.count(clock.now())).toBe(0);
    expect(logger.text('warn')).toMatch(/not a request-counter file; moved it to .*corrupt-/);
    const aside = readdirSync(dir).filter((f) => f.includes('.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]), 'utf8')).toContain('this is not a counter file');
    await store.close();
  });

  it('a corrupted frame keeps the frames before it and the damaged file for inspection', async () => {
    const good = encodeFrame({ ms: [clock.now() - 10], count: [4] });
    const bad = Buffer.from(encodeFrame({ ms: [clock.now() - 5], count: [9] }));
    bad[bad.length - 1] ^= 0xff;
    const later = encodeFrame({ ms: [clock.now() - 1], count: [100] });
    writeFileSync(file(), Buffer.concat([MAGIC, good, bad, later]));
    const store = await open();
    expect(store.count(clock.now())).toBe(4);
    expect(logger.text('warn')).toMatch(/fail their checksum; the 1 good frames before them/);
    expect(readdirSync(dir).filter((f) => f.includes('.corrupt-'))).toHaveLength(1);
    await store.close();
  });

  it('a clock that went back while down keeps stored requests at their ages', async () => {
    const a = await open();
    a.record(clock.now());
    clock.advance(30_000);
    a.record(clock.now());
    await a.close();
    clock.advance(-3_600_000); // NTP stepped back an hour while we were down
    const b = await open();
    expect(b.count(clock.now())).toBe(2);
    expect(logger.text('warn')).toMatch(/clock is 3600000 ms behind/);
    clock.advance(30_000);
    expect(b.count(clock.now())).toBe(1); // the older one aged out 60 s after it arrived
    clock.advance(30_000);
    expect(b.count(clock.now())).toBe(0);
    await b.close();
  });

  it('a clock behind the file keeps every stored request even if it ticks during start-up', async () => {
    const a = await open();
    for (let i = 0; i < 5; i++) a.record(clock.now());
    await a.close();
    // Stepped back an hour, and a real clock moves on between reads during open().
    const ticking = new (class extends FakeClock {
      override now(): number {
        this.advance(5);
        return super.now();
      }
    })(clock.now() - 3_600_000);
    const b = await FileRequestCounterStore.open({ dir, windowMs: WINDOW, clock: ticking, logger });
    expect(b.count(ticking.now())).toBe(5);
    await b.close();
  });

  it('a clock that jumped forward while down ages everything out; never negative', async () => {
    const a = await open();
    for (let i = 0; i < 100; i++) a.record(clock.now());
    await a.close();
    clock.advance(24 * 3_600_000);
    const b = await open();
    expect(b.count(clock.now())).toBe(0);
    await b.close();
  });

  it('a shorter window after a restart keeps only what is inside it', async () => {
    const a = await open();
    a.record(clock.now());
    clock.advance(20_000);
    a.record(clock.now());
    await a.close();
    const b = await open(10_000);
    expect(b.count(clock.now())).toBe(1);
    await b.close();
  });

  it('a missing DATA_DIR or a file in its place is a clear start-up error', async () => {
    await expect(
      FileRequestCounterStore.open({ dir: join(dir, 'nope'), windowMs: WINDOW, clock, logger }),
    ).rejects.toThrow(
      new DataDirError(
        `DATA_DIR "${join(dir, 'nope')}" does not exist: create it, or set DATA_DIR to a writable directory`,
      ),
    );
    writeFileSync(join(dir, 'plain'), '');
    await expect(
      FileRequestCounterStore.open({ dir: join(dir, 'plain'), windowMs: WINDOW, clock, logger }),
    ).rejects.toThrow(/is not a directory/);
  });

  it('write failures are logged once, memory keeps counting, and the next good flush rewrites all', async () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    const store = await FileRequestCounterStore.open({ dir: sub, windowMs: WINDOW, clock, logger });
    store.record(clock.now());
    await store.flush();
    rmSync(sub, { recursive: true }); // the disk "goes away"
    clock.advance(WINDOW); // so the next flush compacts (appends to the unlinked file succeed)
    for (let i = 0; i < 5; i++) {
      store.record(clock.now());
      await store.flush();
      clock.advance(10);
    }
    expect(store.stats().lastError).toMatch(/compaction .* failed/);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(store.count(clock.now())).toBe(5);
    mkdirSync(sub);
    await store.flush();
    expect(store.stats().lastError).toBeNull();
    await store.close();
    const again = await FileRequestCounterStore.open({ dir: sub, windowMs: WINDOW, clock, logger });
    expect(again.count(clock.now())).toBe(5);
    await again.close();
  });

  it('concurrent flushes and close never interleave: every flushed request is on disk once', async () => {
    const a = await open();
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 2000; i++) {
      a.record(clock.now());
      if (i % 7 === 0) clock.advance(1);
      if (i % 50 === 0) flushes.push(a.flush());
    }
    flushes.push(a.close());
    await Promise.all(flushes);
    const b = await open();
    expect(b.count(clock.now())).toBe(2000);
    await b.close();
  });

  it('with no directory it counts in memory and writes nothing', async () => {
    const store = await FileRequestCounterStore.open({
      dir: null,
      windowMs: WINDOW,
      clock,
      logger,
    });
    store.record(clock.now());
    await store.flush();
    await store.close();
    expect(store.count(clock.now())).toBe(1);
    expect(store.stats()).toMatchObject({ file: null, bytesWritten: 0 });
  });
});
