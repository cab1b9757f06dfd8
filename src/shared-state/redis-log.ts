import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { ReplyError } from 'ioredis';
import { Backoff } from '../common/backoff';
import { Clock, MonotonicClock } from '../common/clock';
import { errorText } from '../common/error-text';
import { AppendUnknownError, FencedError, NotAppendedError, compareIds } from './fold';
import { BackendStatus, LogBackend, LogSink } from './log-backend';
import { RedisSettings, answerWithin, connectRedis, redisKey, redisTimeMs } from '../infra/redis';
import { RedisSnapshots } from './redis-snapshots';

export interface RedisLogOptions {
  /** The module's name: keys are `${prefix}:${name}:log`, `…:snapshot` and so on. */
  name: string;
  redis: RedisSettings;
  clock: Clock;
  /** This process, as the snapshot lock's holder. */
  instanceId: string;
  /** The fold snapshots (and restores): the log is compacted by snapshots. */
  snapshots: boolean;
  /**
   * Without snapshots: how far back the fold needs the log (the counter's window). The
   * log is trimmed to it as it is appended to, and a new instance replays just that.
   */
  keepMs?: number;
  /** With snapshots: how often one instance stores the folded state and trims the log. */
  snapshotEveryMs?: number;
  /** A live instance this far behind still finds its entries: trimming never goes nearer now. */
  trimGraceMs?: number;
  /** Snapshots are stored in pieces of at most this many bytes (Redis takes 512 MB a value). */
  snapshotChunkBytes?: number;
  /**
   * Append only while `lockKey` holds `value()`, checked by Redis in the same atomic step as
   * the append: a writer that lost its lock (a leader paused past its TTL) cannot append.
   * A refused append rejects with `FencedError`.
   */
  fence?: { lockKey: string; value: () => string };
  /** A key set, in the same atomic step as the append, to `value(ops)` when that is not null. */
  alongside?: { key: string; value: (ops: unknown[]) => string | null };
}

const REAL_TIME = new MonotonicClock();
const READ_COUNT = 2000;
const REPLAY_COUNT = 2000;
const BLOCK_MS = 2000;

/**
 * A module's log as a Redis Stream, shared by every instance.
 *
 * - `append` is one `XADD` (field `w` names the writer and its batch number, `b` holds the
 *   ops as JSON), or a script when a lock fences the log or a key is set alongside.
 * - One blocking connection tails the stream (`XREAD BLOCK`) and hands every entry to the
 *   fold driver in stream order; reads never touch Redis.
 * - Snapshots (`RedisSnapshots`) compact folds that grow for ever; an instance whose last
 *   entry is before the trim point (it was away while a trim passed it) reloads the
 *   snapshot; it checks after every read and every replayed batch. Time-bounded folds trim to
 *   `keepMs` as they append, and need no snapshot.
 */
export class RedisLog implements LogBackend {
  readonly kind = 'redis';
  readonly tails = true;
  private readonly logger: Logger;
  private readonly key: string;
  private readonly trimGraceMs: number;
  private commands: Redis | null = null;
  private blocking: Redis | null = null;
  private snapshots: RedisSnapshots | null = null;
  private sink!: LogSink;
  private running = false;
  private tailing: Promise<void> | null = null;
  private readonly stopping = new AbortController();
  private staleSince: number | null = null;
  /** Redis refused an append (OOM, READONLY): why, until an append or a probe succeeds. */
  private writeRefused: string | null = null;
  private readonly probeKey: string;
  private snapshotsLoaded = 0;

  constructor(private readonly opts: RedisLogOptions) {
    this.logger = new Logger(`SharedLog:${opts.name}`);
    this.key = redisKey(opts.redis, opts.name, 'log');
    this.probeKey = redisKey(opts.redis, opts.name, 'write-probe', opts.instanceId);
    this.trimGraceMs = opts.trimGraceMs ?? 60_000;
  }

  /** Connects, restores the latest snapshot, replays the rest of the log, starts tailing. */
  async open(sink: LogSink): Promise<void> {
    this.sink = sink;
    this.commands = await connectRedis(this.opts.redis, `${this.opts.name}-commands`);
    this.blocking = await connectRedis(this.opts.redis, `${this.opts.name}-tail`, {
      blocking: true,
    });
    if (this.opts.snapshots) {
      this.snapshots = new RedisSnapshots({
        redis: this.commands,
        base: redisKey(this.opts.redis, this.opts.name),
        logKey: this.key,
        instanceId: this.opts.instanceId,
        everyMs: this.opts.snapshotEveryMs ?? 30_000,
        chunkBytes: this.opts.snapshotChunkBytes ?? 64 * 1024 * 1024,
        trimGraceMs: this.trimGraceMs,
        logger: this.logger,
      });
    }
    await this.catchUp(true);
    this.running = true;
    this.tailing = this.tail();
  }

  async append(token: string, ops: unknown[], body: Buffer | string): Promise<string> {
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
    const minId = this.trimBelow();
    try {
      if (!fence && !alongside) {
        const trim = minId === null ? [] : ['MINID', '~', minId];
        await this.answered(redis.xadd(this.key, ...trim, '*', 'w', token, 'b', body));
        this.writeRefused = null;
        return '';
      }
      const added = await this.answered(
        redis.eval(
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
        ),
      );
      if (added === null) {
        throw new FencedError(
          `${this.opts.name}: this instance no longer holds ${fence!.lockKey}; the append was refused`,
          1,
        );
      }
      this.writeRefused = null;
      return '';
    } catch (err) {
      if (err instanceof FencedError) throw err;
      // Redis answered with an error (OOM at maxmemory, READONLY on a replica): a write
      // command or script is refused before it runs, and the fenced script's XADD is its
      // first write (an error after a write would not undo it), so nothing was appended.
      if (err instanceof ReplyError) {
        this.writeRefused ??= errorText(err);
        throw new NotAppendedError(
          `the shared state (Redis) refused the write; nothing was recorded: ${errorText(err)}`,
          5,
        );
      }
      // Sent, then the connection failed (or timed out): Redis may have taken it or not.
      throw new AppendUnknownError(
        `the shared state (Redis) failed while the write was on its way; it may or may not ` +
          `have been recorded: ${errorText(err)}`,
        1,
      );
    }
  }

  async snapshot(): Promise<void> {
    if (this.snapshots && this.running && this.staleSince === null) {
      await this.snapshots.storeIfElected(this.sink);
    }
  }

  async close(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    // Unblocks the tailer's XREAD at once.
    this.blocking?.disconnect();
    await this.tailing;
    this.commands?.disconnect();
  }

  staleSinceMs(): number | null {
    return this.staleSince;
  }

  /**
   * Whether this log can take writes now: one tiny write (a key that expires by itself) on
   * its command connection. A Redis that answers pings but refuses writes (full at
   * maxmemory, a read-only replica) is a problem too: readiness must fail, so a load
   * balancer stops sending writes that can only be refused. The flag clears with the cause.
   */
  async problem(): Promise<string | null> {
    try {
      await this.answered(this.commands!.set(this.probeKey, this.opts.instanceId, 'PX', 10_000));
      this.writeRefused = null;
      return null;
    } catch (err) {
      return err instanceof ReplyError ? `Redis refuses writes: ${errorText(err)}` : errorText(err);
    }
  }

  status(): BackendStatus {
    return {
      dir: null,
      snapshotsWritten: this.snapshots?.written ?? 0,
      snapshotsLoaded: this.snapshotsLoaded,
      snapshotFailures: this.snapshots?.failures ?? 0,
      lastSnapshotError: this.snapshots?.lastError ?? null,
      damage: [],
      writeError: this.writeRefused,
      syncs: 0,
      bytesOnDisk: null,
    };
  }

  /** Time-bounded folds trim as they append: `MINID ~` to what the fold still needs. */
  private trimBelow(): number | null {
    if (this.opts.keepMs === undefined) return null;
    return Math.floor(this.opts.clock.now() - this.opts.keepMs - this.trimGraceMs);
  }

  private async tail(): Promise<void> {
    const backoff = new Backoff(100, 2000);
    while (this.running) {
      try {
        const from = this.sink.lastId;
        const res = await this.blocking!.xreadBuffer(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.key,
          from,
        );
        if (this.staleSince !== null) {
          this.logger.log(`${this.opts.name}: Redis is back; caught up`);
          this.staleSince = null;
        }
        backoff.reset();
        // After every read, with entries or not (an idle log's read times out every
        // BLOCK_MS): a trim may have passed `from` (this instance was away, or further
        // behind than the trim grace), and then the snapshot holds what the read skipped.
        // The trim point is read after the entries, so a trim that came first is seen.
        if (await this.trimmedPast(from)) {
          this.logger.warn(
            `${this.opts.name}: a trim of the log passed this instance's position; reloading the snapshot`,
          );
          await this.catchUp(false);
          if (this.sink.lastId !== from || !res) continue;
          // No snapshot holds what was trimmed (its key was evicted or deleted): reading on
          // is all that is left; say what it costs rather than retry for ever.
          this.logger.error(
            `${this.opts.name}: entries trimmed from the log are in no snapshot; going on ` +
              'without them (this instance now differs from those that applied them)',
          );
        }
        if (res) for (const [id, fields] of res[0][1]) this.deliver(id, fields);
      } catch (err) {
        if (!this.running) return;
        if (this.staleSince === null) {
          this.staleSince = this.opts.clock.now();
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

  /** One stream entry to the fold driver: its fields `w` (writer token) and `b` (ops). */
  private deliver(id: Buffer, fields: Buffer[]): void {
    let token = '';
    let body: Buffer = EMPTY_BATCH;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i].toString();
      if (name === 'w') token = fields[i + 1].toString();
      else if (name === 'b') body = fields[i + 1];
    }
    this.sink.applyEntry(id.toString(), token, body);
  }

  /**
   * Restores the snapshot (when there is one, and newer than what is applied here) and
   * replays the log after it. At start-up, a log without snapshots is replayed from
   * `keepMs` ago.
   */
  private async catchUp(atStart: boolean): Promise<void> {
    const redis = this.commands!;
    for (let attempt = 0; ; attempt++) {
      if (this.snapshots) {
        const snapshot = await this.snapshots.read();
        if (snapshot && (atStart || compareIds(snapshot.id, this.sink.lastId) > 0)) {
          this.sink.restore(snapshot.id, snapshot.state);
          this.snapshotsLoaded++;
        }
      } else if (atStart && this.opts.keepMs !== undefined) {
        const now = await redisTimeMs(redis);
        this.sink.startAfter(`${Math.max(0, now - this.opts.keepMs - 1000)}-0`);
      }
      // The next batch is asked for before this one is applied, so Redis reads while we fold.
      const range = (after: string) =>
        redis.xrangeBuffer(this.key, `(${after}`, '+', 'COUNT', REPLAY_COUNT) as Promise<
          [Buffer, Buffer[]][]
        >;
      let from = this.sink.lastId;
      let next = range(from);
      let gap = false;
      for (;;) {
        const entries = await next;
        // A trim between the snapshot (or the last batch) and this read removed entries
        // this read would have started with: they are in a newer snapshot; start over.
        if (await this.trimmedPast(from)) {
          gap = true;
          break;
        }
        if (entries.length === REPLAY_COUNT) {
          next = range(entries[entries.length - 1][0].toString());
        }
        for (const [id, fields] of entries) this.deliver(id, fields);
        if (entries.length < REPLAY_COUNT) break;
        from = this.sink.lastId;
      }
      if (!gap || attempt >= 3) {
        if (gap) {
          this.logger.error(
            `${this.opts.name}: the log kept being trimmed past this instance while it replayed; ` +
              'entries may be missing until the next snapshot is loaded',
          );
        }
        return;
      }
    }
  }

  /** A write (or the readiness probe) answered within REDIS_WRITE_TIMEOUT_MS, or rejected. */
  private answered<T>(command: Promise<T>): Promise<T> {
    return answerWithin(command, this.opts.redis.writeTimeoutMs ?? 2000, 'REDIS_WRITE_TIMEOUT_MS');
  }

  /** The log was trimmed past `id`: entries just after it may be gone from the stream. */
  private async trimmedPast(id: string): Promise<boolean> {
    if (!this.snapshots) return false;
    const trimmed = await this.snapshots.trimmedTo();
    return trimmed !== null && compareIds(trimmed, id) > 0;
  }
}

const EMPTY_BATCH = Buffer.from('[]');

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
