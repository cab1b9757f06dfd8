import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { Backoff } from '../common/backoff';
import { Clock, MonotonicClock } from '../common/clock';
import { UnavailableError } from '../common/domain-errors';
import { errorText } from '../common/error-text';
import { RedisSettings, connectRedis } from './redis';

/**
 * A module's state as a deterministic fold of one ordered log. The fold is the module's
 * in-memory store: `apply` changes it synchronously and returns the op's outcome.
 */
export interface Fold<Op, Out> {
  apply(op: Op): Promise<Out> | Out;
  /** The whole state, for a fold whose log would otherwise grow for ever. */
  snapshot?(): Buffer;
  /** Replaces the whole state with a snapshot's. */
  restore?(data: Buffer): void;
}

export interface SharedLogOptions {
  /** The module's name: keys are `${prefix}:${name}:log`, `…:snapshot` and so on. */
  name: string;
  redis: RedisSettings;
  clock: Clock;
  /** This process; a log entry it wrote is answered to its own waiters. */
  instanceId: string;
  /**
   * Without snapshots: how far back the fold needs the log (the counter's window). The
   * log is trimmed to it as it is appended to, and a new instance replays just that.
   */
  keepMs?: number;
  /** With snapshots: how often one instance stores the folded state and trims the log. */
  snapshotEveryMs?: number;
  /** A live instance this far behind still finds its entries: trimming never goes nearer now. */
  trimGraceMs?: number;
  /** Most ops in one log entry. */
  maxBatch?: number;
  /** Snapshots are stored in pieces of at most this many bytes (Redis takes 512 MB a value). */
  snapshotChunkBytes?: number;
  /** How long a write, once in the log, waits to be applied here before it answers 503. */
  applyTimeoutMs?: number;
  /** Gather ops this long before appending them as one entry (0: one event-loop turn). */
  batchDelayMs?: number;
  /**
   * Append only while `lockKey` holds `value()`, checked by Redis in the same atomic step as
   * the append: a writer that lost its lock (a leader paused past its TTL) cannot append.
   * A refused append rejects with `FencedError`.
   */
  fence?: { lockKey: string; value: () => string };
  /** A key set, in the same atomic step as the append, to `value(ops)` when that is not null. */
  alongside?: { key: string; value: (ops: unknown[]) => string | null };
}

export interface SharedLogStatus {
  name: string;
  /** The tailer reads the log now. */
  connected: boolean;
  /** When the tailer lost Redis, while it has not got it back (ISO time). */
  staleSince: string | null;
  lastAppliedId: string;
  /** Entries applied since start (replay included) and ops in them. */
  entriesApplied: number;
  opsApplied: number;
  /** Entries seen a second time (a resent append) and skipped. */
  duplicatesSkipped: number;
  /** Ops this instance appended. */
  opsAppended: number;
  appendFailures: number;
  snapshotsWritten: number;
  /** Snapshot restores, at start or after falling behind a trim. */
  snapshotsLoaded: number;
  snapshotFailures: number;
  lastSnapshotError: string | null;
  /** Start-up: snapshot load plus replay, in ms. */
  catchUpMs: number;
}

interface Waiter<Out> {
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout | null;
  /** Answered already (it timed out): its entry, applied later, tells it nothing more. */
  done: boolean;
}

/** The write never reached the log (Redis was not connected): retrying cannot double it. */
export class NotAppendedError extends UnavailableError {}

/**
 * The connection failed while the append was on its way: Redis may or may not have taken it.
 * Retrying could double the write, so a writer that must not should not retry.
 */
export class AppendUnknownError extends UnavailableError {}

/** The append was refused: this writer no longer holds the lock that fences the log. */
export class FencedError extends UnavailableError {}

const REAL_TIME = new MonotonicClock();
const DEFAULTS = {
  maxBatch: 1000,
  applyTimeoutMs: 5000,
  trimGraceMs: 60_000,
  batchDelayMs: 0,
  snapshotChunkBytes: 64 * 1024 * 1024,
};
const READ_COUNT = 2000;
const REPLAY_COUNT = 2000;
const BLOCK_MS = 2000;
const GAP_CHECK_MS = 5000;
/** Writers remembered for spotting a resent entry; the oldest are forgotten first. */
const MAX_WRITERS = 10_000;
/** How long `stop` waits for this instance's last appends to come back applied. */
const STOP_DRAIN_MS = 2000;

/**
 * One module's shared log, a Redis Stream, and this instance's fold of it.
 *
 * - `append(op)` coalesces the ops of one event-loop turn into one `XADD` (field `w` names
 *   the writer and its batch number, `b` holds the ops as JSON) and resolves with the op's
 *   outcome once *this* instance has applied the entry, so the answer to a write is what
 *   every instance computes for it.
 * - One blocking connection tails the stream (`XREAD BLOCK`) and applies every entry in
 *   stream order, skipping any it has applied already and any resent copy of a batch;
 *   reads never touch Redis.
 * - Folds that grow for ever are snapshotted `{lastEntryId, state}` every
 *   `snapshotEveryMs` by whichever instance holds a short lock; the log before the
 *   snapshot is then trimmed (`XTRIM MINID`, never nearer now than `trimGraceMs`) and the
 *   trim point recorded in `…:trimmed`, in one script. An instance whose last entry is
 *   before the trim point (it was away while a trim passed it) reloads the snapshot; it
 *   checks before reading on and every few seconds. Time-bounded folds trim to `keepMs` as
 *   they append, and need no snapshot.
 * - `start()` loads the snapshot, replays what follows, and only then returns, so the
 *   instance serves a caught-up state.
 */
export class SharedLog<Op, Out> {
  private readonly logger: Logger;
  private readonly key: string;
  private readonly snapshotKey: string;
  private readonly lockKey: string;
  private readonly trimmedKey: string;
  private readonly opts: Required<
    Omit<SharedLogOptions, 'keepMs' | 'snapshotEveryMs' | 'fence' | 'alongside'>
  > &
    SharedLogOptions;
  private commands: Redis | null = null;
  private blocking: Redis | null = null;
  private lastId = '0-0';
  private running = false;
  private tailing: Promise<void> | null = null;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private pending: { op: Op; waiter: Waiter<Out> }[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | null = null;
  private batchSeq = 0;
  private readonly waiters = new Map<string, Waiter<Out>[]>();
  /** Per writer, the highest batch number applied: a resent batch has one at or below it. */
  private readonly writerSeq = new Map<string, number>();
  private readonly stopping = new AbortController();
  private staleSinceMs: number | null = null;
  private gapCheckedAt = 0;
  private readonly st = {
    entriesApplied: 0,
    opsApplied: 0,
    duplicatesSkipped: 0,
    opsAppended: 0,
    appendFailures: 0,
    snapshotsWritten: 0,
    snapshotsLoaded: 0,
    snapshotFailures: 0,
    lastSnapshotError: null as string | null,
    catchUpMs: 0,
  };

  constructor(
    private readonly fold: Fold<Op, Out>,
    options: SharedLogOptions,
  ) {
    this.opts = { ...DEFAULTS, ...options };
    this.logger = new Logger(`SharedLog:${options.name}`);
    const base = `${options.redis.prefix}:${options.name}`;
    this.key = `${base}:log`;
    this.snapshotKey = `${base}:snapshot`;
    this.lockKey = `${base}:snapshot-lock`;
    this.trimmedKey = `${base}:trimmed`;
  }

  /** Connects, restores the latest snapshot, replays the rest of the log, starts tailing. */
  async start(): Promise<void> {
    const started = performance.now();
    this.commands = await connectRedis(this.opts.redis, `${this.opts.name}-commands`);
    this.blocking = await connectRedis(this.opts.redis, `${this.opts.name}-tail`, {
      blocking: true,
    });
    await this.catchUp(true);
    this.st.catchUpMs = performance.now() - started;
    this.running = true;
    this.tailing = this.tail();
    if (this.fold.snapshot && this.opts.snapshotEveryMs) {
      this.snapshotTimer = setInterval(
        () => void this.snapshotIfElected(),
        this.opts.snapshotEveryMs,
      );
      this.snapshotTimer.unref();
    }
  }

  /** Appends `op` and resolves with its outcome once this instance has applied it. */
  append(op: Op): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ op, waiter: { resolve, reject, timer: null, done: false } });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        if (this.opts.batchDelayMs > 0) {
          setTimeout(() => void this.flushAppends(), this.opts.batchDelayMs).unref();
        } else {
          setImmediate(() => void this.flushAppends());
        }
      }
    });
  }

  status(): SharedLogStatus {
    return {
      name: this.opts.name,
      connected: this.staleSinceMs === null && this.running,
      staleSince: this.staleSinceMs === null ? null : new Date(this.staleSinceMs).toISOString(),
      lastAppliedId: this.lastId,
      ...this.st,
    };
  }

  /** True while this instance may be serving an old state (Redis unreachable). */
  get stale(): boolean {
    return this.staleSinceMs !== null;
  }

  /** Asks Redis one trivial question on this log's command connection. */
  async ping(): Promise<void> {
    await this.commands!.ping();
  }

  /** Redis time in ms, for a clock every instance shares. */
  async redisTimeMs(): Promise<number> {
    const [s, us] = await this.commands!.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  /**
   * Appends what is pending, waits (a little) for those entries to come back applied so
   * their writers get their answers, then stops reading and closes the connections.
   */
  async stop(): Promise<void> {
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    await this.flushAppends();
    const deadline = Date.now() + STOP_DRAIN_MS;
    while (this.waiters.size > 0 && !this.stale && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    this.running = false;
    this.stopping.abort();
    // Unblocks the tailer's XREAD at once.
    this.blocking?.disconnect();
    await this.tailing;
    this.commands?.disconnect();
    for (const list of this.waiters.values()) {
      for (const w of list) this.answer(w, new UnavailableError('shutting down', 1));
    }
    this.waiters.clear();
  }

  private async flushAppends(): Promise<void> {
    // One flusher at a time, so batch numbers reach the log in order.
    while (this.flushing) await this.flushing;
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    this.flushing = this.flushPending();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  private async flushPending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.opts.maxBatch);
      const token = `${this.opts.instanceId}:${++this.batchSeq}`;
      const waiters = batch.map((p) => p.waiter);
      this.waiters.set(token, waiters);
      try {
        await this.xadd(
          token,
          batch.map((p) => p.op),
        );
        this.st.opsAppended += batch.length;
        // In the log: now its application here is waited for, and no longer than that.
        for (const w of waiters) {
          if (w.done) continue;
          w.timer = setTimeout(() => {
            this.answer(
              w,
              new UnavailableError(
                `the ${this.opts.name} write is in the shared log but this instance has not ` +
                  'applied it yet (Redis may be unreachable); it applies it when it catches up',
                1,
              ),
            );
            if (waiters.every((x) => x.done)) this.waiters.delete(token);
          }, this.opts.applyTimeoutMs);
          w.timer.unref();
        }
      } catch (err) {
        this.st.appendFailures += batch.length;
        this.waiters.delete(token);
        for (const w of waiters) this.answer(w, err);
      }
    }
  }

  /** Settles a waiter once. */
  private answer(w: Waiter<Out>, err: unknown, out?: Out): void {
    if (w.done) return;
    w.done = true;
    if (w.timer) clearTimeout(w.timer);
    if (err === null) w.resolve(out as Out);
    else w.reject(err);
  }

  /** One entry: a plain XADD, or the fenced script when a lock guards the log. */
  private async xadd(token: string, ops: Op[]): Promise<void> {
    const redis = this.commands!;
    const { fence, alongside } = this.opts;
    if (fence && fence.value() === '') {
      throw new FencedError(`${this.opts.name}: this instance does not hold ${fence.lockKey}`, 1);
    }
    // Not connected: the command is never sent, so the write certainly did not happen.
    if (redis.status !== 'ready') {
      throw new NotAppendedError(
        `the shared state (Redis) is unreachable; nothing was changed (${redis.status})`,
        1,
      );
    }
    const body = JSON.stringify(ops);
    const minId = this.trimBelow();
    try {
      if (!fence && !alongside) {
        const trim = minId === null ? [] : ['MINID', '~', minId];
        await redis.xadd(this.key, ...trim, '*', 'w', token, 'b', body);
        return;
      }
      const added = await redis.eval(
        FENCED_XADD,
        3,
        fence?.lockKey ?? this.key,
        this.key,
        alongside?.key ?? this.key,
        fence?.value() ?? '',
        minId ?? '',
        token,
        body,
        alongside?.value(ops) ?? '',
      );
      if (added === null) {
        throw new FencedError(
          `${this.opts.name}: this instance no longer holds ${fence!.lockKey}; the append was refused`,
          1,
        );
      }
    } catch (err) {
      if (err instanceof FencedError) throw err;
      // Sent, then the connection failed (or timed out): Redis may have taken it or not.
      throw new AppendUnknownError(
        `the shared state (Redis) failed while the write was on its way; it may or may not ` +
          `have been recorded: ${errorText(err)}`,
        1,
      );
    }
  }

  /** Time-bounded folds trim as they append: `MINID ~` to what the fold still needs. */
  private trimBelow(): number | null {
    if (this.opts.keepMs === undefined) return null;
    return Math.floor(this.opts.clock.now() - this.opts.keepMs - this.opts.trimGraceMs);
  }

  private async tail(): Promise<void> {
    const backoff = new Backoff(100, 2000);
    while (this.running) {
      try {
        // Before reading on: after an absence, or every few seconds, is the log still whole
        // behind us? If a trim passed our last entry, reload the snapshot first.
        // Real time: this paces a check of Redis, it is not the state's time.
        const now = performance.now();
        if (this.staleSinceMs !== null || now - this.gapCheckedAt > GAP_CHECK_MS) {
          this.gapCheckedAt = now;
          if (await this.behindTrim()) {
            this.logger.warn(
              `${this.opts.name}: fell behind a trim of the log; reloading the snapshot`,
            );
            await this.catchUp(false);
          }
        }
        const res = await this.blocking!.xreadBuffer(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.key,
          this.lastId,
        );
        if (this.staleSinceMs !== null) {
          this.logger.log(`${this.opts.name}: Redis is back; caught up`);
          this.staleSinceMs = null;
        }
        backoff.reset();
        if (res) for (const [id, fields] of res[0][1]) this.applyEntry(id.toString(), fields);
      } catch (err) {
        if (!this.running) return;
        if (this.staleSinceMs === null) {
          this.staleSinceMs = this.opts.clock.now();
          this.logger.warn(
            `${this.opts.name}: lost the shared log (${errorText(err)}); reads answer from ` +
              'the local state, flagged stale, until Redis is back',
          );
        }
        // Real time: this paces reconnecting, it is not the state's time.
        await REAL_TIME.sleep(backoff.fail(), this.stopping.signal);
      }
    }
  }

  private applyEntry(id: string, fields: Buffer[]): void {
    // Applied already (a reload replayed past it): applying again would double it.
    if (compareIds(id, this.lastId) <= 0) return;
    let token = '';
    let body: Buffer | null = null;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i].toString();
      if (name === 'w') token = fields[i + 1].toString();
      else if (name === 'b') body = fields[i + 1];
    }
    this.lastId = id;
    this.st.entriesApplied++;
    // A batch the writer's connection sent twice (a reply lost, the command resent): skip
    // the copy. Every instance sees the same entries, so every one skips the same ones.
    const colon = token.lastIndexOf(':');
    const writer = token.slice(0, colon);
    const seq = Number(token.slice(colon + 1));
    const seen = this.writerSeq.get(writer);
    if (seen !== undefined && seq <= seen) {
      this.st.duplicatesSkipped++;
      return;
    }
    this.writerSeq.delete(writer);
    this.writerSeq.set(writer, seq);
    if (this.writerSeq.size > MAX_WRITERS) {
      this.writerSeq.delete(this.writerSeq.keys().next().value as string);
    }
    const ops = body ? (JSON.parse(body.toString('utf8')) as Op[]) : [];
    const waiting = this.waiters.get(token);
    if (waiting) this.waiters.delete(token);
    for (let i = 0; i < ops.length; i++) {
      const w = waiting?.[i];
      if (w && !w.done) {
        // A fold that throws instead of rejecting still answers its writer.
        new Promise<Out>((resolve) => resolve(this.fold.apply(ops[i]))).then(
          (out) => this.answer(w, null, out),
          (err: unknown) => this.answer(w, err),
        );
        continue;
      }
      // Another instance's write (its writer is told), or a replay: no promise per op, since
      // a replay applies millions of them.
      try {
        const out = this.fold.apply(ops[i]);
        if (out instanceof Promise) out.catch(() => undefined);
      } catch {
        /* the writer is told */
      }
    }
    this.st.opsApplied += ops.length;
  }

  /**
   * Restores the snapshot (when there is one, and newer than what is applied here) and
   * replays the log after it. At start-up, a log without snapshots is replayed from
   * `keepMs` ago.
   */
  private async catchUp(atStart: boolean): Promise<void> {
    const redis = this.commands!;
    for (let attempt = 0; ; attempt++) {
      if (this.fold.restore) {
        const snapshot = await this.readSnapshot();
        if (snapshot && (atStart || compareIds(snapshot.id, this.lastId) > 0)) {
          this.fold.restore(snapshot.state);
          this.lastId = snapshot.id;
          this.st.snapshotsLoaded++;
        }
      } else if (atStart && this.opts.keepMs !== undefined) {
        const now = await this.redisTimeMs();
        this.lastId = `${Math.max(0, now - this.opts.keepMs - 1000)}-0`;
      }
      // The next batch is asked for before this one is applied, so Redis reads while we fold.
      const range = (after: string) =>
        redis.xrangeBuffer(this.key, `(${after}`, '+', 'COUNT', REPLAY_COUNT) as Promise<
          [Buffer, Buffer[]][]
        >;
      let next = range(this.lastId);
      for (;;) {
        const entries = await next;
        if (entries.length === REPLAY_COUNT) {
          next = range(entries[entries.length - 1][0].toString());
        }
        for (const [id, fields] of entries) this.applyEntry(id.toString(), fields);
        if (entries.length < REPLAY_COUNT) break;
      }
      // A trim that passed us while we replayed: start over from the newer snapshot.
      if (!(await this.behindTrim()) || attempt >= 3) return;
    }
  }

  /** Entries after the last one applied here were trimmed: they are only in a snapshot now. */
  private async behindTrim(): Promise<boolean> {
    if (!this.fold.restore) return false;
    const trimmed = await this.commands!.get(this.trimmedKey);
    return trimmed !== null && compareIds(trimmed, this.lastId) > 0;
  }

  /** The stored snapshot, its pieces put back together; null when there is none yet. */
  private async readSnapshot(): Promise<{ id: string; state: Buffer } | null> {
    const redis = this.commands!;
    for (let attempt = 0; attempt < 3; attempt++) {
      const head = await redis.get(this.snapshotKey);
      if (head === null) return null;
      const { id, key, chunks } = JSON.parse(head) as SnapshotHead;
      const parts = await Promise.all(
        Array.from({ length: chunks }, (_, i) => redis.getBuffer(`${key}:${i}`)),
      );
      // A newer snapshot replaced this one while we read it: read that one.
      if (parts.every((p) => p !== null)) return { id, state: Buffer.concat(parts) };
    }
    throw new Error(`${this.opts.name}: the snapshot kept changing while being read`);
  }

  /** One instance at a time (a lock with a TTL) stores the state and trims the log before it. */
  private async snapshotIfElected(): Promise<void> {
    const redis = this.commands;
    if (!redis || !this.fold.snapshot || this.stale) return;
    try {
      // Shorter than the interval, so each interval exactly one instance wins it.
      const ttl = Math.floor(0.9 * (this.opts.snapshotEveryMs ?? 30_000));
      const won = await redis.set(this.lockKey, this.opts.instanceId, 'PX', ttl, 'NX');
      if (won !== 'OK') return;
      const id = this.lastId;
      if (id === '0-0') return;
      // Nothing applied since the stored snapshot: nothing to store.
      const current = await redis.get(this.snapshotKey);
      if (current !== null && compareIds((JSON.parse(current) as SnapshotHead).id, id) >= 0) return;
      const state = this.fold.snapshot();
      const chunks = Math.max(1, Math.ceil(state.length / this.opts.snapshotChunkBytes));
      // The pieces first, under a key of their own (never shared with another writer's
      // pieces, even for the same entry id); then the head that points at them.
      const key = `${this.snapshotKey}:${id}:${randomUUID()}`;
      for (let i = 0; i < chunks; i++) {
        await redis.set(
          `${key}:${i}`,
          state.subarray(i * this.opts.snapshotChunkBytes, (i + 1) * this.opts.snapshotChunkBytes),
        );
      }
      const graceMs = Math.floor((await this.redisTimeMs()) - this.opts.trimGraceMs);
      const minId = compareIds(id, `${graceMs}-0`) < 0 ? id : `${graceMs}-0`;
      const previous = (await redis.eval(
        STORE_AND_TRIM,
        3,
        this.snapshotKey,
        this.key,
        this.trimmedKey,
        JSON.stringify({ id, key, chunks } satisfies SnapshotHead),
        id,
        minId,
      )) as string | null;
      if (previous === null) {
        // A newer snapshot is there already: ours was never pointed at.
        await this.dropChunks({ id, key, chunks });
        return;
      }
      this.st.snapshotsWritten++;
      this.st.lastSnapshotError = null;
      if (previous !== '') {
        await this.dropChunks(JSON.parse(previous) as SnapshotHead);
      }
    } catch (err) {
      this.st.snapshotFailures++;
      this.st.lastSnapshotError = errorText(err);
      this.logger.warn(`${this.opts.name}: snapshot failed, next time then: ${errorText(err)}`);
    }
  }

  private async dropChunks({ key, chunks }: SnapshotHead): Promise<void> {
    const keys = Array.from({ length: chunks }, (_, i) => `${key}:${i}`);
    if (keys.length > 0) await this.commands!.del(...keys);
  }
}

/** The snapshot key's value: the entry id it covers and where its pieces are. */
interface SnapshotHead {
  id: string;
  key: string;
  chunks: number;
}

/** A fresh id for this process's log writes. */
export function newInstanceId(): string {
  return randomUUID();
}

/** Stream ids `ms-seq` compared as numbers. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : (as ?? 0) - (bs ?? 0);
}

/**
 * XADD only while KEYS[1] holds ARGV[1] (when one is given), trimming to MINID ~ ARGV[2]
 * (when given), and SET KEYS[3] to ARGV[5] (when given), all in one atomic step.
 */
const FENCED_XADD = `
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local id
if ARGV[2] ~= '' then
  id = redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[2], '*', 'w', ARGV[3], 'b', ARGV[4])
else
  id = redis.call('XADD', KEYS[2], '*', 'w', ARGV[3], 'b', ARGV[4])
end
if ARGV[5] ~= '' then redis.call('SET', KEYS[3], ARGV[5]) end
return id
`;

/**
 * Points the snapshot head (KEYS[1]) at a new snapshot (ARGV[1], whose id is ARGV[2]) only
 * if it is newer than the one there, so a late writer never puts an older state over a
 * newer one; then trims the log (KEYS[2]) to MINID ARGV[3] and records that trim point
 * (KEYS[3]), all in one atomic step. Returns the previous head ('' if none), or false when
 * the snapshot there was newer.
 */
const STORE_AND_TRIM = `
local function newer(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am > bm or (am == bm and as > bs)
end
local old = redis.call('GET', KEYS[1])
if old then
  local oldId = cjson.decode(old)['id']
  if not newer(ARGV[2], oldId) then return false end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('XTRIM', KEYS[2], 'MINID', ARGV[3])
local trimmed = redis.call('GET', KEYS[3])
if not trimmed or newer(ARGV[3], trimmed) then redis.call('SET', KEYS[3], ARGV[3]) end
return old or ''
`;
