import { Logger } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import {
  closeSync,
  fdatasync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Clock } from '../common/clock';
import { syncDir } from '../infra/data-dir';
import { errorText } from '../common/error-text';
import { FileSnapshots } from './file-snapshots';
import { NotAppendedError } from './fold';
import { BackendStatus, LogBackend, LogSink } from './log-backend';
import { LOG_MAGIC, encodeFrame, hasMagic, scanFrames } from './log-frames';

/**
 * The two file calls on the write path: an injectable seam, so tests can make a disk refuse
 * writes (ENOSPC, EIO) and take them again.
 */
export abstract class FileIo {
  /** `write(2)` at `position`: bytes written, or throws. */
  abstract write(fd: number, data: Buffer, position: number): number;
  abstract datasync(fd: number): Promise<void>;
}

const fdatasyncAsync = promisify(fdatasync);

export class NodeFileIo extends FileIo {
  write(fd: number, data: Buffer, position: number): number {
    return writeSync(fd, data, 0, data.length, position);
  }

  datasync(fd: number): Promise<void> {
    return fdatasyncAsync(fd);
  }
}

export interface FileLogOptions {
  name: string;
  /** This log's own folder (`DATA_DIR/state/<name>`). */
  dir: string;
  clock: Clock;
  /** fdatasync every this many ms, off the request path; 0: before answering each batch. */
  syncMs: number;
  /** The fold snapshots: the log is compacted by snapshots. */
  snapshots: boolean;
  /** A time-bounded fold (no snapshots): entries older than this are not replayed, and dropped. */
  keepMs?: number;
  io?: FileIo;
}

interface Segment {
  /** The seq of the entry before its first: its entries are `start + 1 …`. */
  start: number;
  path: string;
  bytes: number;
  /** Time of its newest entry (ms), -Infinity while empty. */
  lastAt: number;
  /** Time of its first entry (ms), for rolling time-bounded logs. */
  firstAt: number;
}

const SEGMENT = /^log-(\d{16})\.bin$/;
const PROBE = Buffer.from('probe\n');
/** A segment past this size is closed and a new one begun. */
const SEGMENT_BYTES = 64 * 1024 * 1024;
/** A time-bounded log keeps this much past its window, then drops whole segments. */
const KEEP_GRACE_MS = 60_000;

function segmentName(start: number): string {
  return `log-${String(start).padStart(16, '0')}.bin`;
}

/**
 * A module's log in files under DATA_DIR: one writer, one process, no tailing.
 *
 * - Entries go to the current segment file as checksummed frames (`log-frames.ts`), each
 *   with its sequence number and time. `append` returns once `write(2)` is done: the entry
 *   survives the process being killed. `syncMs` > 0: `fdatasync` runs that often off the
 *   request path (what a power cut can take); 0: before `append` returns.
 * - A segment is superseded from the next one's start on: after a write the disk refused
 *   and the file could not be cut back, the next segment begins where the good entries end,
 *   and anything the old one has past that is never replayed.
 * - Snapshotting folds: a snapshot is written with the id of the last entry in it, a new
 *   segment begins, and the log before the *previous* snapshot is deleted, so a damaged
 *   newest snapshot still has the one before it and the log since then.
 * - Time-bounded folds (`keepMs`): segments roll by time and size; whole segments older
 *   than the window are deleted; replay skips entries older than the window.
 * - Start-up replays good frames only: a torn or garbage tail is cut at the last good frame
 *   and reported; a bad snapshot is set aside and the previous one (or the log) used.
 * - A write the disk refuses rejects with `NotAppendedError` and changes nothing; the file
 *   is cut back to before it. Writes work again as soon as the disk takes them; until a
 *   write (or the background probe) succeeds, `problem()` says why.
 */
export class FileLog implements LogBackend {
  readonly kind = 'local';
  readonly tails = false;
  private readonly logger: Logger;
  private readonly io: FileIo;
  private readonly snapshots: FileSnapshots;
  /** Serialises what spans an await: a synced append (syncMs 0), a roll, a snapshot. */
  private readonly mutex = new Mutex();
  private sink!: LogSink;
  private segments: Segment[] = [];
  private fd = -1;
  /** Seq of the last entry in the log. */
  private written = 0;
  private dirty = false;
  private mustRoll = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private maintaining: Promise<void> | null = null;
  /**
   * Background file work in order (fdatasyncs, closing rolled segments, directory syncs):
   * a chain that never rejects; a failure is recorded in `syncError`.
   */
  private background: Promise<void> = Promise.resolve();
  /** Entries applied from the log at start. */
  private replayed = 0;
  /** Snapshot seqs on disk, oldest first. */
  private snapshotSeqs: number[] = [];
  private readonly st = {
    snapshotsWritten: 0,
    snapshotsLoaded: 0,
    snapshotFailures: 0,
    lastSnapshotError: null as string | null,
    damage: [] as string[],
    writeError: null as string | null,
    /** The last fdatasync that failed, cleared by the next that succeeds. */
    syncError: null as string | null,
    syncs: 0,
    snapshotBytes: 0,
  };

  constructor(private readonly opts: FileLogOptions) {
    this.logger = new Logger(`StateLog:${opts.name}`);
    this.io = opts.io ?? new NodeFileIo();
    this.snapshots = new FileSnapshots(opts.dir);
  }

  async open(sink: LogSink): Promise<void> {
    const started = performance.now();
    this.sink = sink;
    const dir = this.opts.dir;
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (f.endsWith('.tmp')) rmSync(join(dir, f), { force: true });
    if (this.opts.snapshots) await this.restoreSnapshot();
    this.replay();
    this.written = Math.max(seqOf(sink.lastId), ...this.segments.map((s) => s.start));
    try {
      this.beginSegment();
      await syncDir(dir);
    } catch (err) {
      // A full disk: serve what was read, refuse writes until a new segment can be begun.
      this.mustRoll = true;
      this.refused(err);
    }
    const snapshot = this.st.snapshotsLoaded > 0 ? `a snapshot and ` : '';
    this.logger.log(
      `${this.opts.name}: state in ${this.opts.dir}: ${snapshot}${this.replayed} entries ` +
        `after it read back in ${Math.round(performance.now() - started)} ms`,
    );
    // Not a scheduled job: fdatasync is what a 202 promises (STATE_SYNC_MS), so JOBS_ENABLED cannot turn it off.
    this.timer = setInterval(
      () => void this.maintain(),
      this.opts.syncMs > 0 ? this.opts.syncMs : 1000,
    );
    this.timer.unref();
  }

  async append(_token: string, _ops: unknown[], body: Buffer | string): Promise<string> {
    if (this.opts.syncMs > 0) return this.write(body).id;
    // Group commit: the batch's write and its fdatasync before the answer, one batch at a
    // time, so a failed sync can still be cut back off the file it went to.
    return this.mutex.runExclusive(async () => {
      const { id, offset } = this.write(body);
      try {
        await this.io.datasync(this.fd);
        this.synced();
      } catch (err) {
        // Not durable, so not acknowledged: off the file again (the mutex kept it current).
        this.cutBack(offset, Number(id) - 1);
        this.syncFailed(err);
        throw this.refused(err);
      }
      if (this.current().bytes >= SEGMENT_BYTES) this.rollQuietly();
      return id;
    });
  }

  async snapshot(): Promise<void> {
    if (!this.opts.snapshots || this.closed) return;
    await this.mutex.runExclusive(() => this.snapshotLocked());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    await this.maintaining;
    await this.mutex.runExclusive(async () => {
      // A final snapshot, so the next start replays little.
      if (this.opts.snapshots) await this.snapshotLocked();
      this.closed = true;
      if (this.fd >= 0) this.closeLater(this.fd);
      this.fd = -1;
      await this.background;
    });
  }

  staleSinceMs(): number | null {
    return null;
  }

  problem(): Promise<string | null> {
    return Promise.resolve(this.st.writeError ?? this.st.syncError);
  }

  status(): BackendStatus {
    const { snapshotBytes, syncError, ...st } = this.st;
    return {
      ...st,
      dir: this.opts.dir,
      writeError: st.writeError ?? syncError,
      damage: [...st.damage],
      dataLoss: null,
      lastDataLoss: null,
      wholeState: true,
      bytesOnDisk: this.segments.reduce((n, s) => n + s.bytes, 0) + snapshotBytes,
    };
  }

  // ---- writing ----

  private current(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /**
   * Writes one frame; the entry's id, and where in the current segment it begins, once
   * `write(2)` took all of it.
   */
  private write(body: Buffer | string): { id: string; offset: number } {
    if (this.closed) {
      throw new NotAppendedError(`the ${this.opts.name} log is closed; nothing was changed`, 1);
    }
    if (this.mustRoll) {
      try {
        this.roll();
      } catch (err) {
        throw this.refused(err);
      }
    }
    const seq = this.written + 1;
    const at = this.opts.clock.now();
    const frame = encodeFrame(seq, at, typeof body === 'string' ? Buffer.from(body) : body);
    const seg = this.current();
    const offset = seg.bytes;
    try {
      this.writeAll(this.fd, frame, offset);
    } catch (err) {
      this.cutBack(offset, seq - 1);
      throw this.refused(err);
    }
    this.written = seq;
    seg.bytes += frame.length;
    seg.lastAt = at;
    if (seg.firstAt === -Infinity) seg.firstAt = at;
    this.dirty = true;
    this.wrote();
    if (seg.bytes >= SEGMENT_BYTES && this.opts.syncMs > 0) this.rollQuietly();
    return { id: String(seq), offset };
  }

  private writeAll(fd: number, data: Buffer, position: number): void {
    let done = 0;
    while (done < data.length) {
      done += this.io.write(fd, data.subarray(done), position + done);
    }
  }

  /**
   * Cuts the current segment back to `bytes` (a write that failed). If the file cannot be
   * cut, a new segment begins at `seq` at once: replay never reads a segment past the
   * next one's start, so what the old one has after it is never replayed.
   */
  private cutBack(bytes: number, seq: number): void {
    this.written = seq;
    try {
      ftruncateSync(this.fd, bytes);
      this.current().bytes = bytes;
    } catch {
      this.rollQuietly();
    }
  }

  private wrote(): void {
    if (this.st.writeError !== null) {
      this.st.writeError = null;
      this.logger.log(`${this.opts.name}: the disk takes writes again`);
    }
  }

  private refused(err: unknown): NotAppendedError {
    const first = this.st.writeError === null;
    this.st.writeError = `the disk refused a write to ${this.opts.dir}: ${errorText(err)}`;
    if (first) this.logger.error(`${this.opts.name}: ${this.st.writeError}`);
    return new NotAppendedError(
      `the ${this.opts.name} state could not be written to disk (${codeOf(err)}); nothing was changed`,
      5,
    );
  }

  /** Starts a new segment at the last entry written (its file empty but for the magic). */
  private beginSegment(): void {
    const start = this.written;
    const path = join(this.opts.dir, segmentName(start));
    const fd = openSync(path, 'w');
    try {
      this.writeAll(fd, LOG_MAGIC, 0);
    } catch (err) {
      closeSync(fd);
      rmSync(path, { force: true }); // not even its magic: nothing to keep
      throw err;
    }
    // A segment that had the same start held nothing that counts (see `open`): replaced.
    this.segments = this.segments.filter((s) => s.start !== start);
    this.segments.push({
      start,
      path,
      bytes: LOG_MAGIC.length,
      lastAt: -Infinity,
      firstAt: -Infinity,
    });
    this.fd = fd;
  }

  /** Closes the current segment (synced and closed in the background) and begins the next. */
  private roll(): void {
    const old = this.fd;
    this.beginSegment();
    this.mustRoll = false;
    if (old >= 0) this.closeLater(old);
    void this.later(() => syncDir(this.opts.dir));
  }

  private rollQuietly(): void {
    try {
      this.roll();
    } catch (err) {
      this.mustRoll = true;
      this.refused(err);
    }
  }

  /** Queues `work` on the background chain; a failure is a failed sync, never a rejection. */
  private later(work: () => Promise<void>): Promise<void> {
    this.background = this.background.then(work).catch((err: unknown) => this.syncFailed(err));
    return this.background;
  }

  /** fdatasync, then close: a rolled segment's last writes reach the disk, its fd is let go. */
  private closeLater(fd: number): void {
    void this.later(async () => {
      try {
        await this.io.datasync(fd);
        this.synced();
      } finally {
        closeSync(fd);
      }
    });
  }

  private synced(): void {
    this.st.syncs++;
    if (this.st.syncError !== null) {
      this.st.syncError = null;
      this.logger.log(`${this.opts.name}: fdatasync works again`);
    }
  }

  private syncFailed(err: unknown): void {
    if (this.st.syncError === null) {
      this.logger.error(`${this.opts.name}: fdatasync failed: ${errorText(err)}`);
    }
    this.st.syncError = `fdatasync of ${this.opts.dir} failed: ${errorText(err)}`;
  }

  /**
   * Periodic (every `syncMs`, or every second): the fdatasync off the request path, rolling
   * and dropping a time-bounded log, and, while writes or syncs fail, a probe of the disk.
   */
  maintain(): Promise<void> {
    this.maintaining ??= this.maintainOnce().finally(() => (this.maintaining = null));
    return this.maintaining;
  }

  private async maintainOnce(): Promise<void> {
    try {
      if (this.closed) return;
      if ((this.dirty || this.st.syncError !== null) && this.opts.syncMs > 0 && this.fd >= 0) {
        this.dirty = false;
        const fd = this.fd;
        await this.later(async () => {
          await this.io.datasync(fd);
          this.synced();
        });
      }
      if (this.opts.keepMs !== undefined) {
        await this.mutex.runExclusive(() => {
          if (!this.closed) this.dropExpired();
        });
      }
      if (this.st.writeError !== null && !this.closed) await this.probe();
    } catch (err) {
      this.logger.warn(`${this.opts.name}: log maintenance failed: ${errorText(err)}`);
    }
  }

  /**
   * While writes fail: a scratch file written and fdatasynced through the same calls tells
   * whether the disk takes writes again, without putting anything in the log.
   */
  private async probe(): Promise<void> {
    const path = join(this.opts.dir, '.probe');
    let fd = -1;
    try {
      fd = openSync(path, 'w');
      this.writeAll(fd, PROBE, 0);
      await this.io.datasync(fd);
      if (this.mustRoll) this.roll();
      this.wrote();
    } catch {
      /* still refusing; said already */
    } finally {
      if (fd >= 0) closeSync(fd);
      rmSync(path, { force: true });
    }
  }

  private dropExpired(): void {
    const now = this.opts.clock.now();
    const seg = this.current();
    // One segment per hour of a day-long window: deleting whole files frees the disk.
    if (this.fd >= 0 && seg.firstAt !== -Infinity && now - seg.firstAt > this.opts.keepMs! / 24) {
      this.rollQuietly();
    }
    const horizon = now - this.opts.keepMs! - KEEP_GRACE_MS;
    const expired = this.segments.slice(0, -1).filter((s) => s.lastAt < horizon);
    for (const s of expired) rmSync(s.path, { force: true });
    if (expired.length > 0) this.segments = this.segments.filter((s) => !expired.includes(s));
  }

  // ---- snapshots ----

  private async snapshotLocked(): Promise<void> {
    if (this.closed) return;
    try {
      const captured = this.sink.capture();
      if (captured === null) return;
      const seq = seqOf(captured.id);
      if (seq === this.snapshotSeqs[this.snapshotSeqs.length - 1]) return;
      // What follows the snapshot goes to a new segment, so whole files can go later.
      if (this.fd < 0 || this.current().bytes > LOG_MAGIC.length) this.roll();
      this.st.snapshotBytes = await this.snapshots.write(
        seq,
        this.opts.clock.now(),
        captured.state,
      );
      this.snapshotSeqs.push(seq);
      this.st.snapshotsWritten++;
      this.st.lastSnapshotError = null;
      // Keep this snapshot and the one before it, with the log since that one.
      if (this.snapshotSeqs.length > 2) {
        const keepFrom = this.snapshotSeqs[this.snapshotSeqs.length - 2];
        await this.snapshots.dropBefore(keepFrom);
        this.snapshotSeqs = this.snapshotSeqs.slice(-2);
        this.dropSegmentsBefore(keepFrom);
      }
    } catch (err) {
      this.st.snapshotFailures++;
      this.st.lastSnapshotError = errorText(err);
      this.logger.warn(`${this.opts.name}: snapshot failed, next time then: ${errorText(err)}`);
    }
  }

  /** Deletes segments whose entries are all at or before `seq` (never the current one). */
  private dropSegmentsBefore(seq: number): void {
    const keep: Segment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const next = this.segments[i + 1];
      if (next !== undefined && next.start <= seq) rmSync(this.segments[i].path, { force: true });
      else keep.push(this.segments[i]);
    }
    this.segments = keep;
  }

  // ---- start-up ----

  /** The newest snapshot that reads back whole; damaged ones are set aside and said. */
  private async restoreSnapshot(): Promise<void> {
    const seqs = await this.snapshots.list();
    for (let i = seqs.length - 1; i >= 0; i--) {
      const seq = seqs[i];
      const read = await this.snapshots.read(seq);
      let why = 'damaged' in read ? read.damaged : null;
      if (!('damaged' in read)) {
        try {
          this.sink.restore(String(seq), read.state);
          if (read.note) this.damaged(`snapshot of entry ${seq}: ${read.note}`);
          this.st.snapshotsLoaded++;
          this.snapshotSeqs = seqs.slice(0, i + 1);
          return;
        } catch (err) {
          why = `it does not restore: ${errorText(err)}`;
        }
      }
      const aside = await this.snapshots.setAside(seq);
      const fallback = i > 0 ? `the snapshot of entry ${seqs[i - 1]}` : 'the log alone';
      this.damaged(`snapshot of entry ${seq} set aside (${why}) as ${aside}; using ${fallback}`);
    }
  }

  /** Replays every segment after the restored state, cutting a damaged tail off the last. */
  private replay(): void {
    const dir = this.opts.dir;
    const files = readdirSync(dir)
      .map((f) => SEGMENT.exec(f))
      .filter((m) => m !== null)
      .map((m) => ({ start: Number(m[1]), path: join(dir, m[0]) }))
      .sort((a, b) => a.start - b.start);
    const horizon =
      this.opts.keepMs === undefined ? -Infinity : this.opts.clock.now() - this.opts.keepMs;
    for (let i = 0; i < files.length; i++) {
      const { start, path } = files[i];
      // Entries past the next segment's start were superseded (see the class comment).
      const end = files[i + 1]?.start ?? Infinity;
      const seg: Segment = {
        start,
        path,
        bytes: statSync(path).size,
        lastAt: -Infinity,
        firstAt: -Infinity,
      };
      this.segments.push(seg);
      if (end <= seqOf(this.sink.lastId)) continue;
      const buf = readFileSync(path);
      if (!hasMagic(buf, LOG_MAGIC)) {
        if (buf.length > 0) {
          renameSync(path, `${path}.damaged`);
          this.damaged(`${path} is not a Beacon log; set aside as ${path}.damaged`);
        } else {
          rmSync(path, { force: true }); // created, never written: nothing in it
        }
        this.segments.pop();
        continue;
      }
      let lastSeq = seqOf(this.sink.lastId);
      const scan = scanFrames(buf, LOG_MAGIC.length, (f) => {
        if (f.seq > end) return false;
        if (seg.firstAt === -Infinity) seg.firstAt = f.at;
        seg.lastAt = f.at;
        if (f.seq <= lastSeq) return;
        // A time-bounded log drops its oldest segments by design; any other gap lost entries.
        if (f.seq !== lastSeq + 1 && this.opts.keepMs === undefined) {
          this.damaged(`entries ${lastSeq + 1}–${f.seq - 1} are missing from the log`);
        }
        lastSeq = f.seq;
        if (f.at < horizon) {
          this.sink.startAfter(String(f.seq));
        } else {
          this.sink.applyEntry(String(f.seq), '', f.payload);
          this.replayed++;
        }
      });
      if (scan.damage !== null) {
        const cut = buf.length - scan.validBytes;
        const what =
          scan.damage === 'torn' ? 'an unfinished write' : 'bytes that fail their checksum';
        if (i === files.length - 1) {
          const fd = openSync(path, 'r+');
          try {
            ftruncateSync(fd, scan.validBytes);
          } finally {
            closeSync(fd);
          }
          seg.bytes = scan.validBytes;
          this.damaged(
            `${path}: cut ${cut} bytes of ${what} after its ${scan.frames} good entries`,
          );
        } else {
          this.damaged(
            `${path}: skipped ${cut} bytes of ${what} after its ${scan.frames} good entries`,
          );
        }
      }
    }
  }

  private damaged(what: string): void {
    this.st.damage.push(what);
    this.logger.warn(`${this.opts.name}: ${what}`);
  }
}

/** A local entry id ('0-0' before any) as its sequence number. */
function seqOf(id: string): number {
  return id === '0-0' ? 0 : Number(id);
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? errorText(err);
}
