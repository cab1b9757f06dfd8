import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { ReplyError } from 'ioredis';
import { Backoff } from '../common/backoff';
import { Clock, MonotonicClock } from '../common/clock';
import { errorText } from '../common/error-text';
import { AppendUnknownError, FencedError, NotAppendedError, compareIds } from './fold';
import { BackendStatus, LogBackend, LogSink } from './log-backend';
import {
  RedisSettings,
  answerWithin,
  connectRedis,
  legacyRedisKey,
  redisKey,
  redisTimeMs,
} from '../infra/redis';
import { RedisSnapshots } from './redis-snapshots';

export interface RedisLogOptions {
  /** The module's name: keys are `${prefix}:{${name}}:log`, `…:snapshot` and so on. */
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
/** How often a tailer checks the log's generation key (a Redis that lost its data). */
const GENERATION_CHECK_MS = 500;

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
  private readonly generationKey: string;
  private snapshotsLoaded = 0;
  /** The generation of the log this instance's fold holds (see `watchGeneration`). */
  private generation: string | null = null;
  private nextGenerationCheck = 0;
  /**
   * This instance's fold may lack entries (it started after Redis lost its data and before
   * an instance holding the whole state re-seeded it): why, and until when (real time) it
   * waits for that re-seed before it starts from what the log holds.
   */
  private untrusted: { reason: string; until: number } | null = null;
  /** Redis lost this log while this instance ran: since when (real time), until resolved. */
  private lostSince: number | null = null;
  private lastDataLoss: string | null = null;

  constructor(private readonly opts: RedisLogOptions) {
    this.logger = new Logger(`SharedLog:${opts.name}`);
    this.key = redisKey(opts.redis, opts.name, 'log');
    this.probeKey = redisKey(opts.redis, opts.name, 'write-probe', opts.instanceId);
    this.generationKey = redisKey(opts.redis, opts.name, 'generation');
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
    await this.judgeLog();
    await this.catchUp(true);
    this.running = true;
    this.tailing = this.tail();
  }

  /**
   * At start: whether the log in Redis holds its whole history. A generation key, created by
   * the first instance on an empty Redis (or by a re-seed), says it does; a log with entries
   * but neither that key nor a snapshot is what is left after Redis lost its data (restarted
   * empty, FLUSHALL) while instances kept appending: a fold of it lacks everything before.
   */
  private async judgeLog(): Promise<void> {
    const redis = this.commands!;
    if (await this.renameLegacyKeys()) {
      this.logger.log(`${this.opts.name}: moved the log to its hash-tagged keys (${this.key})`);
      await this.claimGeneration(null);
      return;
    }
    const [generation, snapshot, length, first] = await Promise.all([
      redis.get(this.generationKey),
      this.snapshots?.exists() ?? false,
      redis.xlen(this.key),
      redis.xrange(this.key, '-', '+', 'COUNT', 1),
    ]);
    if (generation !== null) {
      this.generation = generation;
      return;
    }
    // Nothing there (a new deployment), or a snapshot from a Beacon before generations.
    if (snapshot || length === 0) {
      await this.claimGeneration(null);
      return;
    }
    let waitMs = this.opts.redis.reseedWaitMs ?? 30_000;
    if (this.opts.keepMs !== undefined && first.length > 0) {
      // A time-bounded fold is whole again once its window starts after the log's first entry.
      const firstMs = Number(first[0][0].split('-')[0]);
      waitMs = Math.min(
        waitMs,
        Math.max(0, firstMs + this.opts.keepMs - (await redisTimeMs(redis))),
      );
    }
    const reason =
      `the ${this.opts.name} log in Redis has entries but no generation key and no snapshot: ` +
      'Redis lost its data (restarted empty, or flushed) while instances kept writing, so ' +
      'this instance cannot know the state from before; waiting for an instance that holds it ' +
      `to re-seed it (at most ${Math.ceil(waitMs / 1000)} s, then it starts from what the log holds)`;
    this.logger.error(reason);
    this.untrusted = { reason, until: REAL_TIME.now() + waitMs };
  }

  /**
   * A Beacon before hash-tagged keys kept this log under `<prefix>:<name>:…`: the first
   * instance renames its keys, in one step, when only the old ones exist. That log was
   * whole (Beacon trims only to a snapshot), so it is trusted. True when it renamed.
   */
  private async renameLegacyKeys(): Promise<boolean> {
    const keys = [this.key];
    if (this.snapshots) keys.push(this.snapshots.headKey, this.snapshots.trimmedKey);
    if (this.opts.alongside) keys.push(this.opts.alongside.key);
    const pairs = keys.flatMap((k) => [k, legacyRedisKey(k)]);
    return (await this.commands!.eval(RENAME_LEGACY, pairs.length, ...pairs)) === 1;
  }

  /** Sets the generation if it is still `seen` (null: none); adopts whatever it then is. */
  private async claimGeneration(seen: string | null): Promise<void> {
    const mine = `${this.opts.instanceId}:${randomUUID()}`;
    const set = await this.commands!.eval(
      CLAIM_GENERATION,
      1,
      this.generationKey,
      seen ?? '',
      mine,
    );
    this.generation = (set as string | null) ?? (await this.commands!.get(this.generationKey));
  }

  /**
   * Checked after a reconnect and every half second while tailing: a generation key gone or
   * changed means Redis lost its data since this instance read it.
   *
   * - An instance whose fold is whole re-seeds: its state as the snapshot and a new
   *   generation, in one step, if no other instance did first; time-bounded folds cannot
   *   (no snapshot) and set a new generation once their window has passed since the loss.
   * - Another instance's re-seed is loaded (this fold may lack what it holds).
   * - An instance waiting for a re-seed gets it, or after its wait starts from the log as it
   *   is, and says so.
   */
  private async watchGeneration(current: string | null): Promise<void> {
    if (current !== null && current === this.generation && this.untrusted === null) return;
    const now = REAL_TIME.now();
    if (this.untrusted !== null) {
      if (current !== null) {
        await this.adopt(
          current,
          'another instance re-seeded the state; this instance now holds all of it',
        );
      } else if (now >= this.untrusted.until) {
        await this.claimGeneration(null);
        this.untrusted = null;
        this.logger.error(
          `${this.opts.name}: no instance re-seeded the state; starting from what the log holds ` +
            '(what was written before Redis lost its data is gone)',
        );
      }
      return;
    }
    if (this.lostSince === null) {
      this.lostSince = now;
      this.lastDataLoss = new Date().toISOString();
      this.logger.error(
        `${this.opts.name}: Redis lost this log's data (its generation key is ` +
          `${current === null ? 'gone' : 'a new one'}: Redis restarted empty or was flushed); ` +
          (this.snapshots
            ? 're-seeding it from this instance'
            : 'new instances count only what the log holds'),
      );
    }
    // Another instance's re-seed; or, for a fold without snapshots (nothing to re-seed
    // from), whatever generation was set: setting another would look like a new loss.
    if (current !== null && (this.reseededBy(current) || !this.snapshots)) {
      await this.adopt(current, 'took the generation another instance set after the loss');
      return;
    }
    if (this.snapshots) {
      const next = `reseed:${this.opts.instanceId}:${randomUUID()}`;
      if (await this.snapshots.reseed(this.sink, current, next)) {
        this.generation = next;
        this.lostSince = null;
        this.logger.warn(`${this.opts.name}: re-seeded the shared state from this instance`);
      }
    } else if (now - this.lostSince >= (this.opts.keepMs ?? 0)) {
      await this.claimGeneration(current);
      this.lostSince = null;
    }
  }

  /** A generation a re-seed set (not one an instance that found an empty log claimed). */
  private reseededBy(generation: string): boolean {
    return generation.startsWith('reseed:');
  }

  /**
   * Takes the generation another instance set. After a re-seed, its snapshot replaces this
   * fold (which may lack what it holds) and the log after it is replayed: the same state an
   * instance started now would have.
   */
  private async adopt(generation: string, message: string): Promise<void> {
    if (this.snapshots && this.reseededBy(generation)) await this.catchUp(true);
    this.generation = generation;
    this.untrusted = null;
    this.lostSince = null;
    this.logger.warn(`${this.opts.name}: ${message}`);
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
    // The answer to a write is computed from this fold, which lacks what Redis lost.
    if (this.untrusted !== null && this.snapshots) {
      throw new NotAppendedError(
        `this instance does not hold the whole shared state yet (Redis lost its data); nothing was changed`,
        5,
      );
    }
    const minId = this.trimBelow();
    try {
      if (!fence && !alongside) {
        const trim = minId === null ? [] : ['MINID', '~', minId];
        await this.answered(redis.xadd(this.key, ...trim, '*', 'w', token, 'b', body));
        this.writeRefused = null;
        await this.replicated(redis);
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
      await this.replicated(redis);
      return '';
    } catch (err) {
      if (err instanceof FencedError || err instanceof AppendUnknownError) throw err;
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
    // Only a fold that holds the whole log stores it (never one waiting for a re-seed).
    if (
      this.snapshots &&
      this.running &&
      this.staleSince === null &&
      this.untrusted === null &&
      this.lostSince === null &&
      this.generation !== null
    ) {
      await this.snapshots.storeIfElected(this.sink, this.generation);
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
    if (this.untrusted !== null) return this.untrusted.reason;
    try {
      await this.answered(this.commands!.set(this.probeKey, this.opts.instanceId, 'PX', 10_000));
      this.writeRefused = null;
      // Redis takes writes again: a snapshot that failed meanwhile is retried now, not at
      // the next interval, so its flag clears with its cause.
      if (this.snapshots?.lastError) void this.snapshot();
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
      dataLoss:
        this.lostSince === null
          ? null
          : `Redis lost this log's data at ${this.lastDataLoss}; ` +
            (this.snapshots ? 'not re-seeded yet' : 'new instances count only what the log holds'),
      lastDataLoss: this.lastDataLoss,
      wholeState: this.untrusted === null,
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
        backoff.reset();
        const entries = res ? res[0][1] : [];
        // After every read, with entries or not (an idle log's read times out every
        // BLOCK_MS): a trim may have passed `from` (this instance was away, or further
        // behind than the trim grace), and then the snapshot holds what the read skipped.
        // The marks are read after the entries, so a trim that came first is seen.
        const { trimmed, generation } = await this.readMarks(this.staleSince !== null);
        if (generation !== undefined) {
          const before = this.snapshotsLoaded;
          await this.watchGeneration(generation);
          // A re-seed was loaded and the log after it replayed: this read is behind it.
          if (this.snapshotsLoaded !== before) continue;
        }
        if (trimmed !== null && compareIds(trimmed, from) > 0) {
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
        for (const [id, fields] of entries) this.deliver(id, fields);
        // Stale (Beacon-Stale on every answer) until a read comes back short of a full
        // batch: only then has this instance caught up with what others wrote meanwhile.
        if (this.staleSince !== null && entries.length < READ_COUNT) {
          this.logger.log(`${this.opts.name}: Redis is back; caught up`);
          this.staleSince = null;
        }
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

  /**
   * The trim point (snapshot logs, after every read) and, when due (every half second, and
   * at once after an outage), the generation (undefined when not read).
   */
  private async readMarks(
    afterOutage: boolean,
  ): Promise<{ trimmed: string | null; generation?: string | null }> {
    const now = REAL_TIME.now();
    if (!afterOutage && now < this.nextGenerationCheck) {
      return { trimmed: this.snapshots ? await this.snapshots.trimmedTo() : null };
    }
    this.nextGenerationCheck = now + GENERATION_CHECK_MS;
    const [generation, trimmed] = await this.commands!.mget(
      this.generationKey,
      this.snapshots?.trimmedKey ?? this.generationKey,
    );
    return { trimmed: this.snapshots ? trimmed : null, generation };
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

  /**
   * With REDIS_MIN_REPLICAS: waits until that many replicas confirm every write this
   * connection sent (the append just made included), so a failover to one of them keeps
   * it. Not confirmed in time: the master has it, a failover may lose it.
   */
  private async replicated(redis: Redis): Promise<void> {
    const needed = this.opts.redis.minReplicas ?? 0;
    if (needed === 0) return;
    const timeoutMs = this.opts.redis.writeTimeoutMs ?? 2000;
    let confirmed: number;
    try {
      confirmed = await answerWithin(
        redis.wait(needed, timeoutMs),
        timeoutMs + 1000,
        'REDIS_WRITE_TIMEOUT_MS',
      );
    } catch (err) {
      confirmed = -1;
      this.logger.warn(`${this.opts.name}: WAIT failed: ${errorText(err)}`);
    }
    if (confirmed >= needed) return;
    throw new AppendUnknownError(
      `the shared state (Redis) took the write, but ${confirmed < 0 ? 'no' : confirmed} of the ` +
        `${needed} replicas REDIS_MIN_REPLICAS asks for confirmed it within ${timeoutMs} ms; ` +
        'it is recorded unless Redis fails over before they have it',
      1,
    );
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

/** SET KEYS[1] to ARGV[2] if it is still ARGV[1] ('' for none); returns ARGV[2] if set. */
const CLAIM_GENERATION = `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return false end
redis.call('SET', KEYS[1], ARGV[2])
return ARGV[2]
`;

/**
 * KEYS are pairs (new name, old name), the log's first. When the log exists only under its
 * old name, every old key is renamed to its new name; returns 1 then, else 0.
 */
const RENAME_LEGACY = `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
for i = 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i + 1]) == 1 and redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('RENAME', KEYS[i + 1], KEYS[i])
  end
end
return 1
`;
