import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { Clock, MonotonicClock } from '../common/clock';
import { RedisSettings, connectRedis } from '../infra/redis';

const RESYNC_MS = 30_000;
const SAMPLES = 5;

/**
 * The clock of redis mode: this machine's monotonic clock, set to Redis's `TIME`. Every
 * instance on one Redis then stamps and reads with the same time (to within half a round
 * trip), so windows expire at the same moment everywhere. Re-synced every 30 s; it never
 * goes backwards, so a correction only ever slows it for a moment.
 */
export class SharedClock extends Clock implements OnApplicationShutdown {
  private readonly logger = new Logger('SharedClock');
  private offset = 0;
  private last = -Infinity;
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly redis: Redis,
    private readonly local: Clock = new MonotonicClock(),
  ) {
    super();
  }

  static async start(settings: RedisSettings): Promise<SharedClock> {
    const clock = new SharedClock(await connectRedis(settings, 'clock'));
    await clock.sync();
    // Not a scheduled job: the offset to Redis's time is part of the clock, created before Nest's scheduler exists.
    clock.timer = setInterval(() => {
      clock.sync().catch((err: Error) => clock.logger.warn(`clock sync failed: ${err.message}`));
    }, RESYNC_MS);
    clock.timer.unref();
    return clock;
  }

  now(): number {
    this.last = Math.max(this.last, this.local.now() + this.offset);
    return this.last;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    return this.local.sleep(ms, signal);
  }

  /** Redis time minus local time, from the sample with the shortest round trip. */
  async sync(): Promise<number> {
    let best = { rtt: Infinity, offset: 0 };
    for (let i = 0; i < SAMPLES; i++) {
      const before = this.local.now();
      const [s, us] = await this.redis.time();
      const after = this.local.now();
      const redisMs = Number(s) * 1000 + Number(us) / 1000;
      if (after - before < best.rtt) {
        best = { rtt: after - before, offset: redisMs - (before + after) / 2 };
      }
    }
    this.offset = best.offset;
    return best.offset;
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.redis.disconnect();
  }
}
