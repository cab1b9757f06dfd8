import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { errorText } from '../common/error-text';
import { compareIds } from './fold';
import { LogSink } from './log-backend';
import { redisTimeMs } from '../infra/redis';

export interface RedisSnapshotsOptions {
  redis: Redis;
  /** `${prefix}:{${name}}`: the head is `…:snapshot`, the lock `…:snapshot-lock`. */
  base: string;
  /** The stream the snapshot compacts. */
  logKey: string;
  instanceId: string;
  everyMs: number;
  chunkBytes: number;
  /** A live instance this far behind still finds its entries: trimming never goes nearer now. */
  trimGraceMs: number;
  logger: Logger;
}

/** The snapshot key's value: the entry id it covers and where its pieces are. */
interface SnapshotHead {
  id: string;
  key: string;
  chunks: number;
}

/**
 * A Redis log's snapshots `{lastEntryId, state}`: stored every interval by whichever
 * instance holds a short lock, in pieces under a key of their own, then pointed at by the
 * head; the log before it is then trimmed (`XTRIM MINID`, never nearer now than the grace)
 * and the trim point recorded in `…:trimmed`, in one script.
 */
export class RedisSnapshots {
  readonly headKey: string;
  private readonly lockKey: string;
  readonly trimmedKey: string;
  /** Set once by the first instance on an empty Redis: gone or changed, Redis lost its data. */
  readonly generationKey: string;
  written = 0;
  failures = 0;
  lastError: string | null = null;

  constructor(private readonly o: RedisSnapshotsOptions) {
    this.headKey = `${o.base}:snapshot`;
    this.lockKey = `${o.base}:snapshot-lock`;
    this.trimmedKey = `${o.base}:trimmed`;
    this.generationKey = `${o.base}:generation`;
  }

  /** Up to where the log was trimmed (an entry id), or null when it never was. */
  trimmedTo(): Promise<string | null> {
    return this.o.redis.get(this.trimmedKey);
  }

  /** The stored snapshot, its pieces put back together; null when there is none yet. */
  async read(): Promise<{ id: string; state: Buffer } | null> {
    const redis = this.o.redis;
    for (let attempt = 0; attempt < 3; attempt++) {
      const head = await redis.get(this.headKey);
      if (head === null) return null;
      const { id, key, chunks } = JSON.parse(head) as SnapshotHead;
      // A re-seed by an instance that had applied nothing: the log holds the whole state.
      if (chunks === 0) return null;
      const parts = await Promise.all(
        Array.from({ length: chunks }, (_, i) => redis.getBuffer(`${key}:${i}`)),
      );
      // A newer snapshot replaced this one while we read it: read that one.
      if (parts.every((p) => p !== null)) return { id, state: Buffer.concat(parts) };
    }
    throw new Error(`${this.o.base}: the snapshot kept changing while being read`);
  }

  /**
   * One instance at a time (a lock with a TTL) stores the state and trims the log before it,
   * only while the log's generation is still `generation` (the one this instance's fold
   * belongs to): after Redis lost its data, a snapshot from before is not put over a re-seed.
   */
  async storeIfElected(sink: LogSink, generation: string): Promise<void> {
    const redis = this.o.redis;
    try {
      // Shorter than the interval, so each interval exactly one instance wins it.
      const ttl = Math.floor(0.9 * this.o.everyMs);
      const won = await redis.set(this.lockKey, this.o.instanceId, 'PX', ttl, 'NX');
      if (won !== 'OK') {
        // Another instance stores this interval's snapshot: a failure of ours is no longer
        // what keeps the log from being trimmed. Still ours (a retry soon after a failure
        // this interval): go on.
        if ((await redis.get(this.lockKey)) !== this.o.instanceId) {
          this.lastError = null;
          return;
        }
      }
      // The state and its id in one synchronous step: entries applied while the awaits
      // below run are after `id`, so they are not in the snapshot either.
      const captured = sink.capture();
      if (captured === null) return;
      // Nothing applied since the stored snapshot: nothing to store.
      const current = await redis.get(this.headKey);
      if (
        current !== null &&
        compareIds((JSON.parse(current) as SnapshotHead).id, captured.id) >= 0
      ) {
        return;
      }
      const graceMs = Math.floor((await redisTimeMs(redis)) - this.o.trimGraceMs);
      const minId = compareIds(captured.id, `${graceMs}-0`) < 0 ? captured.id : `${graceMs}-0`;
      await this.put(captured, generation, { minId });
    } catch (err) {
      this.failed(err);
    }
  }

  /**
   * After Redis lost its data: stores this instance's whole state as the snapshot (whatever
   * head is there) and the new generation `next`, if the generation is still `seen` (null:
   * gone). Resolves false when another instance changed the generation first.
   */
  async reseed(sink: LogSink, seen: string | null, next: string): Promise<boolean> {
    const captured = sink.capture() ?? { id: sink.lastId, state: null };
    try {
      return await this.put(captured, seen ?? '', { next });
    } catch (err) {
      this.failed(err);
      return false;
    }
  }

  /** Whether a snapshot is stored. */
  async exists(): Promise<boolean> {
    return (await this.o.redis.exists(this.headKey)) === 1;
  }

  /**
   * The pieces first, under a key of their own (never shared with another writer's pieces,
   * even for the same entry id); then, in one script, the head that points at them.
   */
  private async put(
    { id, state }: { id: string; state: Buffer | null },
    generation: string,
    mode: { minId: string } | { next: string },
  ): Promise<boolean> {
    const redis = this.o.redis;
    const bytes = state ?? Buffer.alloc(0);
    const chunks = state === null ? 0 : Math.max(1, Math.ceil(bytes.length / this.o.chunkBytes));
    const key = `${this.headKey}:${id}:${randomUUID()}`;
    for (let i = 0; i < chunks; i++) {
      await redis.set(
        `${key}:${i}`,
        bytes.subarray(i * this.o.chunkBytes, (i + 1) * this.o.chunkBytes),
      );
    }
    const head: SnapshotHead = { id, key, chunks };
    const previous = (await redis.eval(
      STORE_AND_TRIM,
      4,
      this.headKey,
      this.o.logKey,
      this.trimmedKey,
      this.generationKey,
      JSON.stringify(head),
      id,
      'minId' in mode ? mode.minId : '',
      generation,
      'next' in mode ? mode.next : '',
    )) as string | null;
    if (previous === null) {
      // A newer snapshot is there already, or the generation changed: ours was never pointed at.
      await this.dropChunks(head);
      return false;
    }
    this.written++;
    this.lastError = null;
    if (previous !== '') await this.dropChunks(JSON.parse(previous) as SnapshotHead);
    return true;
  }

  private failed(err: unknown): void {
    this.failures++;
    this.lastError = errorText(err);
    this.o.logger.warn(`${this.o.base}: snapshot failed, next time then: ${errorText(err)}`);
  }

  private async dropChunks({ key, chunks }: SnapshotHead): Promise<void> {
    const keys = Array.from({ length: chunks }, (_, i) => `${key}:${i}`);
    if (keys.length > 0) await this.o.redis.del(...keys);
  }
}

/**
 * Points the snapshot head (KEYS[1]) at a new snapshot (ARGV[1], whose id is ARGV[2]) while
 * the generation (KEYS[4]) is ARGV[4] ('' for none), all in one atomic step:
 * - a store (ARGV[5] empty): only if it is newer than the one there, so a late writer never
 *   puts an older state over a newer one; then trims the log (KEYS[2]) to MINID ARGV[3] and
 *   records that trim point (KEYS[3]);
 * - a re-seed (ARGV[5] the new generation): whatever head is there, and sets the generation.
 * Returns the previous head ('' if none), or false when the snapshot there was newer or the
 * generation is not ARGV[4].
 */
const STORE_AND_TRIM = `
local function newer(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am > bm or (am == bm and as > bs)
end
if (redis.call('GET', KEYS[4]) or '') ~= ARGV[4] then return false end
local old = redis.call('GET', KEYS[1])
if ARGV[5] ~= '' then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SET', KEYS[4], ARGV[5])
  return old or ''
end
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
