import { Logger, LoggerService } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import { FileHandle, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Clock } from '../common/clock';
import { DataDirError, checkDataDir, syncDir } from '../infra/data-dir';
import { MAGIC, MAX_PAYLOAD, decodeLog, encodeFrame } from './counter-log';
import { FlushMarker, MillisecondWindow } from './ms-window';
import { CounterStoreStats, RequestCounterStore } from './request-counter.store';

export const COUNTER_FILE = 'request-counter.log';

export interface FileCounterOptions {
  /** Directory holding the state file; null keeps the count in memory only. */
  dir: string | null;
  windowMs: number;
  clock: Clock;
  logger?: LoggerService;
}

/**
 * The request counter, exact to the millisecond, kept in `DATA_DIR/request-counter.log`.
 *
 * - `flush()` appends one checksummed frame holding only what arrived since the previous
 *   flush (nothing at all when idle) and fdatasyncs it.
 * - Once a window has passed since the last compaction, and something was appended, the
 *   next flush compacts instead: the whole window is written to a temp file, fsynced and
 *   renamed over the log, so the file holds at most about two windows of data.
 * - Start-up replays the file (good frames only), then compacts at once, so a torn tail
 *   or a crash loop never makes the file grow.
 * - One mutex serialises flushes, compactions and close.
 */
export class FileRequestCounterStore extends RequestCounterStore {
  readonly windowMs: number;
  private readonly window: MillisecondWindow;
  private readonly mutex = new Mutex();
  private readonly log: LoggerService;
  private readonly clock: Clock;
  private readonly path: string | null;
  private fh: FileHandle | null = null;
  private closed = false;

  /** What of the window is on disk. */
  private readonly flushed: FlushMarker;
  private needsCompaction = false;
  private appendedSinceCompaction = 0;
  private lastCompactionAt: number;
  private readonly st: CounterStoreStats;

  private constructor(private readonly options: FileCounterOptions) {
    super();
    this.windowMs = options.windowMs;
    this.clock = options.clock;
    this.log = options.logger ?? new Logger('RequestCounter');
    this.path = options.dir === null ? null : join(options.dir, COUNTER_FILE);
    const now = this.clock.now();
    this.window = new MillisecondWindow(this.windowMs, now);
    this.flushed = new FlushMarker(this.window);
    this.lastCompactionAt = now;
    this.st = {
      file: this.path,
      bytesWritten: 0,
      flushes: 0,
      compactions: 0,
      lastFlushAt: null,
      flushErrors: 0,
      lastError: null,
      loadMs: 0,
    };
  }

  /** Checks the directory, replays the file and rewrites it compacted. Throws `DataDirError`. */
  static async open(options: FileCounterOptions): Promise<FileRequestCounterStore> {
    const started = performance.now();
    const store = new FileRequestCounterStore(options);
    if (options.dir !== null) {
      await checkDataDir(options.dir);
      await store.load();
      await store.mutex.runExclusive(() => store.compact(true));
    }
    store.st.loadMs = performance.now() - started;
    return store;
  }

  record(atMs: number): void {
    this.window.record(atMs);
  }

  count(atMs: number): number {
    return this.window.count(atMs);
  }

  stats(): CounterStoreStats {
    return { ...this.st };
  }

  async flush(): Promise<void> {
    await this.mutex.runExclusive(() => this.flushLocked());
  }

  async close(): Promise<void> {
    await this.mutex.runExclusive(async () => {
      if (this.closed) return;
      await this.flushLocked();
      this.closed = true;
      await this.fh?.close().catch(() => undefined);
      this.fh = null;
    });
  }

  private async flushLocked(): Promise<void> {
    if (this.closed || this.path === null) return;
    const now = this.clock.now();
    if (
      this.needsCompaction ||
      this.fh === null ||
      (this.appendedSinceCompaction > 0 && now - this.lastCompactionAt >= this.windowMs)
    ) {
      return this.compact(false);
    }
    const delta = this.flushed.take().entries;
    if (delta.ms.length === 0) return;
    const frame = encodeFrame(delta);
    try {
      const { bytesWritten } = await this.fh.write(frame);
      if (bytesWritten !== frame.length)
        throw new Error(`short write (${bytesWritten} of ${frame.length} bytes)`);
      await this.fh.datasync();
      this.appendedSinceCompaction += frame.length;
      this.wrote(frame.length);
    } catch (err) {
      // Memory still holds every request: the next flush rewrites the whole window.
      this.needsCompaction = true;
      this.failed('append', err);
    }
  }

  /**
   * Writes the whole window to a temp file, fsyncs it, renames it over the log and
   * reopens the log for appending. At start-up a failure is fatal; later it is logged
   * and retried at the next flush.
   */
  private async compact(atStartup: boolean): Promise<void> {
    const path = this.path!;
    const tmp = `${path}.tmp`;
    const snapshot = this.flushed.take(true).entries;
    const data = Buffer.concat([MAGIC, encodeFrame(snapshot)]);
    try {
      const h = await open(tmp, 'w');
      try {
        await h.writeFile(data);
        await h.datasync();
      } finally {
        await h.close();
      }
      await rename(tmp, path);
      await syncDir(this.options.dir!);
      await this.fh?.close().catch(() => undefined);
      this.fh = null;
      this.fh = await open(path, 'a');
      this.needsCompaction = false;
      this.appendedSinceCompaction = 0;
      this.lastCompactionAt = this.clock.now();
      this.st.compactions++;
      this.wrote(data.length);
    } catch (err) {
      this.needsCompaction = true;
      await rm(tmp, { force: true }).catch(() => undefined);
      if (atStartup) {
        throw new DataDirError(`cannot write ${path}: ${(err as Error).message}`);
      }
      this.failed('compaction', err);
    }
  }

  private wrote(bytes: number): void {
    this.st.bytesWritten += bytes;
    this.st.flushes++;
    this.st.lastFlushAt = this.clock.now();
    if (this.st.lastError !== null) {
      this.log.log(`request counter writes to ${this.path} work again`);
      this.st.lastError = null;
    }
  }

  private failed(what: string, err: unknown): void {
    const message = `request counter ${what} to ${this.path} failed: ${(err as Error).message}`;
    // Log the first failure of a run of failures, not one line per flush.
    if (this.st.lastError === null) this.log.error(message);
    this.st.lastError = message;
    this.st.flushErrors++;
  }

  /** Replays the file into the window. Damage is logged, never thrown. */
  private async load(): Promise<void> {
    const path = this.path!;
    let buf: Buffer;
    try {
      const { size } = await stat(path);
      // A counter file is at most about two windows of frames (a few bytes per
      // millisecond); anything far larger is not ours, and reading it could exhaust memory.
      if (size > MAX_PAYLOAD / 4 + this.windowMs * 64) {
        await this.moveAside(`it is ${size} bytes, far more than a counter file can be`);
        return;
      }
      buf = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new DataDirError(`cannot read ${path}: ${(err as Error).message}`);
    }
    // Every entry takes at least 2 bytes, so this bounds the number of entries.
    const ms = new Float64Array(Math.ceil(buf.length / 2));
    const count = new Float64Array(ms.length);
    let n = 0;
    let newest = -Infinity;
    const decoded = decodeLog(buf, (m, c) => {
      ms[n] = m;
      count[n++] = c;
      if (m > newest) newest = m;
    });
    if (decoded.foreign) {
      await this.moveAside('it is not a request-counter file');
      return;
    }
    if (decoded.damage === 'corrupt') {
      await this.moveAside(
        `bytes ${decoded.validBytes}–${buf.length} fail their checksum; ` +
          `the ${decoded.frames} good frames before them are used`,
      );
    } else if (decoded.damage === 'torn') {
      this.log.warn(
        `${path}: ignored ${buf.length - decoded.validBytes} bytes of an unfinished write at the ` +
          `end of the file (crash or power loss during a flush); ${decoded.frames} frames used`,
      );
    }
    const now = Math.floor(this.clock.now());
    // The wall clock is behind the file (stepped back while we were down): assume no time
    // passed, so requests keep the ages they had, rather than freezing the window until
    // the clock catches up.
    const shift = newest > now ? now - newest : 0;
    if (shift < 0) {
      this.log.warn(
        `the clock is ${-shift} ms behind the newest request in ${path}; ` +
          'treating the downtime as zero so stored requests keep their ages',
      );
    }
    // The window was created a moment ago; move it to the `now` the shift is relative to,
    // or the newest shifted requests would land "in the future" and be dropped.
    this.window.advance(now);
    for (let i = 0; i < n; i++) this.window.restore(ms[i] + shift, count[i]);
  }

  private async moveAside(why: string): Promise<void> {
    const path = this.path!;
    const aside = `${path}.corrupt-${new Date(this.clock.now()).toISOString().replace(/[:.]/g, '-')}`;
    try {
      await rename(path, aside);
    } catch (err) {
      throw new DataDirError(`cannot move damaged ${path} aside: ${(err as Error).message}`);
    }
    this.log.warn(`${path}: ${why}; moved it to ${aside}`);
  }
}
