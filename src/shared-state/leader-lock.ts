import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { errorText } from '../common/error-text';
import { RedisSettings, connectRedis, redisKey } from '../infra/redis';

export interface LeaderLockOptions {
  redis: RedisSettings;
  /** The lock's key (under the prefix): one holder at a time. */
  name: string;
  instanceId: string;
  /** The lock lapses this long after its holder last renewed it. */
  ttlMs: number;
  onChange: (leader: boolean) => void;
}

/**
 * One holder at a time, elected through Redis: `SET key value NX PX ttl`, renewed every
 * third of the TTL while the value is still ours (checked and extended in one script). The
 * value is `<instance>:<epoch>`, the epoch a counter bumped at every acquisition: it is the
 * fencing token a guarded append checks, so a holder that was paused past its TTL, and has
 * since been replaced, is refused even if it comes back believing it still leads.
 *
 * While Redis does not answer, a holder keeps believing it holds the lock: it cannot know,
 * and a guarded append will tell it once Redis is back.
 */
export class LeaderLock {
  private readonly logger: Logger;
  private readonly key: string;
  private readonly epochKey: string;
  private redis: Redis | null = null;
  private timer: NodeJS.Timeout | null = null;
  private held: string | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private acquisitions = 0;

  constructor(private readonly opts: LeaderLockOptions) {
    this.logger = new Logger(`LeaderLock:${opts.name}`);
    this.key = redisKey(opts.redis, opts.name, 'leader');
    this.epochKey = redisKey(opts.redis, opts.name, 'leader-epoch');
  }

  get lockKey(): string {
    return this.key;
  }

  /** The value this instance holds the lock with, or '' when it does not. */
  get value(): string {
    return this.held ?? '';
  }

  get isLeader(): boolean {
    return this.held !== null;
  }

  get timesAcquired(): number {
    return this.acquisitions;
  }

  async start(): Promise<void> {
    this.redis = await connectRedis(this.opts.redis, `${this.opts.name}-leader`);
    await this.tick();
    // Not a scheduled job: the lock's renewal lives and dies with the lock, and must run even with JOBS_ENABLED=false.
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.opts.ttlMs / 3)));
    this.timer.unref();
  }

  /** A guarded append was refused: someone else holds the lock now. */
  lost(): void {
    if (this.held === null) return;
    this.held = null;
    this.logger.warn(`${this.opts.name}: lost the lock to another instance`);
    this.opts.onChange(false);
  }

  /** Reads a key on the lock's connection (the last event id beside the lock). */
  async get(key: string): Promise<string | null> {
    return this.redis!.get(key);
  }

  /** Writes a key on the lock's connection, with a TTL (what the holder tells the others). */
  async setFor(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis!.set(key, value, 'PX', ttlMs);
  }

  /**
   * Gives the lock up (shutdown), so another instance takes over at once. A check already
   * under way finishes first, and none starts after, so the lock is not taken again.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    const was = this.held;
    this.held = null;
    if (was !== null) {
      await this.redis?.eval(RELEASE, 1, this.key, was).catch(() => undefined);
    }
    this.redis?.disconnect();
  }

  private tick(): Promise<void> {
    if (this.ticking || !this.redis || this.stopped) return this.ticking ?? Promise.resolve();
    this.ticking = this.check().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async check(): Promise<void> {
    const redis = this.redis!;
    try {
      if (this.held !== null) {
        const renewed = await redis.eval(RENEW, 1, this.key, this.held, this.opts.ttlMs);
        if (renewed !== 1) this.lost();
        return;
      }
      const epoch = await redis.incr(this.epochKey);
      const value = `${this.opts.instanceId}:${epoch}`;
      const won = await redis.set(this.key, value, 'PX', this.opts.ttlMs, 'NX');
      if (won === 'OK' && this.stopped) {
        // Won while shutting down: give it straight back rather than hold it to its TTL.
        await redis.eval(RELEASE, 1, this.key, value);
        return;
      }
      if (won === 'OK') {
        this.held = value;
        this.acquisitions++;
        this.logger.log(`${this.opts.name}: this instance holds the lock (${value})`);
        this.opts.onChange(true);
      }
    } catch (err) {
      // Redis away: keep what we believe; the next tick (or a fenced append) settles it.
      this.logger.debug(`${this.opts.name}: lock check failed: ${errorText(err)}`);
    }
  }
}

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
