import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { errorText } from '../common/error-text';
import { compareIds } from './fold';
import { LogSink } from './log-backend';
import { redisTimeMs } from '../infra/redis';

export interface RedisSnapshotsOptions {
  redis: Redis;
  /** `${prefix}:${name}`: the head is `…:snapshot`, the lock `…:snapshot-lock`. */
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
  private readonly headKey: string;
  private readonly lockKey: string;
  private readonly trimmedKey: string;
  written = 0;
  failures = 0;
  lastError: string | null = null;

  constructor(private readonly o: RedisSnapshotsOptions) {
    this.headKey = `${o.base}:snapshot`;
    this.lockKey = `${o.base}:snapshot-lock`;
    this.trimmedKey = `${o.base}:trimmed`;
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
      const parts = await Promise.all(
        Array.from({ length: chunks }, (_, i) => redis.getBuffer(`${key}:${i}`)),
      );
      // A newer snapshot replaced this one while we read it: read that one.
      if (parts.every((p) => p !== null)) return { id, state: Buffer.concat(parts) };
    }
    throw new Error(`${this.o.base}: the snapshot kept changing while being read`);
  }

  /** One instance at a time (a lock with a TTL) stores the state and trims the log before it. */
  async storeIfElected(sink: LogSink): Promise<void> {
    const redis = this.o.redis;
    try {
      // Shorter than the interval, so each interval exactly one instance wins it.
      const ttl = Math.floor(0.9 * this.o.everyMs);
      const won = await redis.set(this.lockKey, this.o.instanceId, 'PX', ttl, 'NX');
      if (won !== 'OK') return;
      // The state and its id in one synchronous step: entries applied while the awaits
      // below run are after `id`, so they are not in the snapshot either.
      const captured = sink.capture();
      if (captured === null) return;
      const { id, state } = captured;
      // Nothing applied since the stored snapshot: nothing to store.
      const current = await redis.get(this.headKey);
      if (current !== null && compareIds((JSON.parse(current) as SnapshotHead).id, id) >= 0) return;
      const chunks = Math.max(1, Math.ceil(state.length / this.o.chunkBytes));
      // The pieces first, under a key of their own (never shared with another writer's
      // pieces, even for the same entry id); then the head that points at them.
      const key = `${this.headKey}:${id}:${randomUUID()}`;
      for (let i = 0; i < chunks; i++) {
        await redis.set(
          `${key}:${i}`,
          state.subarray(i * this.o.chunkBytes, (i + 1) * this.o.chunkBytes),
        );
      }
      const graceMs = Math.floor((await redisTimeMs(redis)) - this.o.trimGraceMs);
      const minId = compareIds(id, `${graceMs}-0`) < 0 ? id : `${graceMs}-0`;
      const previous = (await redis.eval(
        STORE_AND_TRIM,
        3,
        this.headKey,
        this.o.logKey,
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
      this.written++;
      this.lastError = null;
      if (previous !== '') {
        await this.dropChunks(JSON.parse(previous) as SnapshotHead);
      }
    } catch (err) {
      this.failures++;
      this.lastError = errorText(err);
      this.o.logger.warn(`${this.o.base}: snapshot failed, next time then: ${errorText(err)}`);
    }
  }

  private async dropChunks({ key, chunks }: SnapshotHead): Promise<void> {
    const keys = Array.from({ length: chunks }, (_, i) => `${key}:${i}`);
    if (keys.length > 0) await this.o.redis.del(...keys);
  }
}

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
