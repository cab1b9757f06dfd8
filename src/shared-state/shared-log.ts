import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { Backoff } from '../common/backoff';
import { Clock } from '../common/clock';
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
  /** The module's name: keys are `${prefix}:${name}:log` and `…:snapshot`. */
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
  /** How long a write waits to be applied here before it answers 503. */
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
  /** Ops this instance appended. */
  opsAppended: number;
  appendFailures: number;
  snapshotsWritten: number;
  /** Snapshot restores, at start or after falling behind a trim. */
  snapshotsLoaded: number;
  /** Start-up: snapshot load plus replay, in ms. */
  catchUpMs: number;
}

interface Waiter<Out> {
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
  /** Answered already (it timed out): its entry, applied later, tells it nothing more. */
  done: boolean;
}

/** The write never reached the log (Redis refused or was away): retrying cannot double it. */
export class NotAppendedError extends UnavailableError {}

/** The append was refused: this writer no longer holds the lock that fences the log. */
export class FencedError extends UnavailableError {}

const DEFAULTS = { maxBatch: 1000, applyTimeoutMs: 5000, trimGraceMs: 60_000, batchDelayMs: 0 };
const READ_COUNT = 2000;
const REPLAY_COUNT = 2000;
const BLOCK_MS = 2000;
const GAP_CHECK_MS = 5000;

/**
 * One module's shared log, a Redis Stream, and this instance's fold of it.
 *
 * - `append(op)` coalesces the ops of one event-loop turn into one `XADD` (field `w`
 *   names the writer and batch, `b` holds the ops as JSON) and resolves with the op's
 *   outcome once *this* instance has applied the entry, so the answer to a write is what
 *   every instance computes for it.
 * - One blocking connection tails the stream (`XREAD BLOCK`) and applies every entry in
 *   stream order; reads never touch Redis.
 * - Folds that grow for ever are snapshotted `{state, lastEntryId}` every
 *   `snapshotEveryMs` by whichever instance holds a short lock, and the log before the
 *   snapshot is trimmed (`XTRIM MINID`, never nearer now than `trimGraceMs`). Time-bounded
 *   folds trim to `keepMs` as they append.
 * - `start()` loads the snapshot, replays what follows, and only then returns, so the
 *   instance serves a caught-up state. An instance that fell behind a trim (Redis reports
 *   `max-deleted-entry-id` past it) reloads the snapshot.
 */
export class SharedLog<Op, Out> {
  private readonly logger: Logger;
  private readonly key: string;
  private readonly snapshotKey: string;
  private readonly lockKey: string;
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
  private gapTimer: NodeJS.Timeout | null = null;
  private pending: { op: Op; waiter: Waiter<Out> }[] = [];
  private flushScheduled = false;
  private batchSeq = 0;
  private readonly waiters = new Map<string, Waiter<Out>[]>();
  private readonly stopping = new AbortController();
  private staleSinceMs: number | null = null;
  private readonly st = {
    entriesApplied: 0,
    opsApplied: 0,
    opsAppended: 0,
    appendFailures: 0,
    snapshotsWritten: 0,
    snapshotsLoaded: 0,
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
  }

  /** Connects, restores the latest snapshot, replays the rest of the log, starts tailing. */
  async start(): Promise<void> {
    const started = performance.now();
    this.commands = await connectRedis(this.opts.redis, `${this.opts.name}-commands`);
    this.blocking = await connectRedis(this.opts.redis, `${this.opts.name}-tail`);
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
    if (this.fold.snapshot) {
      this.gapTimer = setInterval(() => void this.checkGap(), GAP_CHECK_MS);
      this.gapTimer.unref();
    }
  }

  /** Appends `op` and resolves with its outcome once this instance has applied it. */
  append(op: Op): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      const waiter: Waiter<Out> = {
        resolve,
        reject,
        done: false,
        timer: setTimeout(() => {
          waiter.done = true;
          reject(
            new UnavailableError(
              `the ${this.opts.name} write reached the shared log but this instance has not ` +
                'applied it yet (Redis may be unreachable); it will apply it when it catches up',
              1,
            ),
          );
        }, this.opts.applyTimeoutMs),
      };
      waiter.timer.unref();
      this.pending.push({ op, waiter });
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

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    if (this.gapTimer) clearInterval(this.gapTimer);
    await this.flushAppends();
    // Unblocks the tailer's XREAD at once.
    this.blocking?.disconnect();
    await this.tailing;
    this.commands?.disconnect();
    for (const list of this.waiters.values()) {
      for (const w of list) {
        clearTimeout(w.timer);
        w.reject(new UnavailableError('shutting down', 1));
      }
    }
    this.waiters.clear();
  }

  private async flushAppends(): Promise<void> {
    this.flushScheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.opts.maxBatch);
      const token = `${this.opts.instanceId}:${++this.batchSeq}`;
      this.waiters.set(
        token,
        batch.map((p) => p.waiter),
      );
      try {
        await this.xadd(
          token,
          batch.map((p) => p.op),
        );
        this.st.opsAppended += batch.length;
      } catch (err) {
        this.st.appendFailures += batch.length;
        this.waiters.delete(token);
        const refused =
          err instanceof FencedError
            ? err
            : new NotAppendedError(
                `the shared state (Redis) is unreachable; nothing was changed: ${errorText(err)}`,
                1,
              );
        for (const p of batch) {
          clearTimeout(p.waiter.timer);
          p.waiter.reject(refused);
        }
      }
    }
  }

  /** One entry: a plain XADD, or the fenced script when a lock guards the log. */
  private async xadd(token: string, ops: Op[]): Promise<void> {
    const body = JSON.stringify(ops);
    const minId = this.trimBelow();
    const { fence, alongside } = this.opts;
    if (fence && fence.value() === '') {
      throw new FencedError(`${this.opts.name}: this instance does not hold ${fence.lockKey}`, 1);
    }
    if (!fence && !alongside) {
      const trim = minId === null ? [] : ['MINID', '~', minId];
      await this.commands!.xadd(this.key, ...trim, '*', 'w', token, 'b', body);
      return;
    }
    const added = await this.commands!.eval(
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
          // Back in touch: anything trimmed while away is caught up from the snapshot.
          await this.checkGap();
          this.logger.log(`${this.opts.name}: Redis is back; catching up`);
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
        await this.opts.clock.sleep(backoff.fail(), this.stopping.signal);
      }
    }
  }

  private applyEntry(id: string, fields: Buffer[]): void {
    let token = '';
    let ops: Op[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i].toString();
      if (name === 'w') token = fields[i + 1].toString();
      else if (name === 'b') ops = JSON.parse(fields[i + 1].toString('utf8')) as Op[];
    }
    const waiting = this.waiters.get(token);
    if (waiting) this.waiters.delete(token);
    for (let i = 0; i < ops.length; i++) {
      const w = waiting?.[i];
      if (w && !w.done) {
        clearTimeout(w.timer);
        // A fold that throws instead of rejecting still answers its writer.
        new Promise<Out>((resolve) => resolve(this.fold.apply(ops[i]))).then(w.resolve, w.reject);
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
    this.lastId = id;
    this.st.entriesApplied++;
    this.st.opsApplied += ops.length;
  }

  /**
   * Restores the snapshot (when there is one) and replays the log after it. At start-up,
   * a log without snapshots is replayed from `keepMs` ago.
   */
  private async catchUp(atStart: boolean): Promise<void> {
    const redis = this.commands!;
    for (let attempt = 0; ; attempt++) {
      if (this.fold.restore) {
        const data = await redis.getBuffer(this.snapshotKey);
        if (data) {
          const idLength = data.readUInt16LE(0);
          const id = data.subarray(2, 2 + idLength).toString();
          if (atStart || compareIds(id, this.lastId) > 0) {
            this.fold.restore(data.subarray(2 + idLength));
            this.lastId = id;
            this.st.snapshotsLoaded++;
          }
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
        if (entries.length === REPLAY_COUNT)
          next = range(entries[entries.length - 1][0].toString());
        for (const [id, fields] of entries) this.applyEntry(id.toString(), fields);
        if (entries.length < REPLAY_COUNT) break;
      }
      // A trim that passed us while we replayed: start over from the newer snapshot.
      if (!(await this.behindTrim()) || attempt >= 3) return;
    }
  }

  /** Redis deleted entries after the last one applied here: they are only in a snapshot now. */
  private async behindTrim(): Promise<boolean> {
    if (!this.fold.restore) return false;
    const info = (await this.commands!.call('XINFO', 'STREAM', this.key).catch(() => null)) as
      (string | number)[] | null;
    if (!info) return false;
    const i = info.indexOf('max-deleted-entry-id');
    const deleted = i >= 0 ? String(info[i + 1]) : '0-0';
    return compareIds(deleted, this.lastId) > 0;
  }

  private async checkGap(): Promise<void> {
    try {
      if (!(await this.behindTrim())) return;
      this.logger.warn(`${this.opts.name}: fell behind a trim of the log; reloading the snapshot`);
      await this.catchUp(false);
    } catch {
      /* Redis away: the tailer reports it */
    }
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
      const state = this.fold.snapshot();
      const head = Buffer.alloc(2);
      head.writeUInt16LE(Buffer.byteLength(id), 0);
      const stored = (await redis.eval(
        STORE_IF_NEWER,
        1,
        this.snapshotKey,
        id,
        Buffer.concat([head, Buffer.from(id), state]),
      )) as number;
      if (stored !== 1) return;
      this.st.snapshotsWritten++;
      const graceMs = Math.floor((await this.redisTimeMs()) - this.opts.trimGraceMs);
      const minId = compareIds(id, `${graceMs}-0`) < 0 ? id : `${graceMs}-0`;
      await redis.xtrim(this.key, 'MINID', minId);
    } catch (err) {
      this.logger.warn(`${this.opts.name}: snapshot failed, next time then: ${errorText(err)}`);
    }
  }
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
 * SET the snapshot only if its id is newer than the stored one's, so two instances (a lock
 * that expired mid-write) can never put an older state over a newer one.
 */
const STORE_IF_NEWER = `
local old = redis.call('GETRANGE', KEYS[1], 0, 63)
if old and #old >= 2 then
  local n = string.byte(old, 1) + 256 * string.byte(old, 2)
  local oldId = string.sub(old, 3, 2 + n)
  local oms, oseq = string.match(oldId, '(%d+)-(%d+)')
  local nms, nseq = string.match(ARGV[1], '(%d+)-(%d+)')
  oms, oseq, nms, nseq = tonumber(oms), tonumber(oseq), tonumber(nms), tonumber(nseq)
  if oms and (nms < oms or (nms == oms and nseq <= oseq)) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;
