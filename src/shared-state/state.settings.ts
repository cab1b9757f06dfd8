import { Expose, Transform } from 'class-transformer';
import { IsIn, IsInt, Matches, Max, Min } from 'class-validator';
import { CoreSettings } from '../config/core.settings';
import { RedisSettings } from '../infra/redis';
import { DerivedSettings, SettingsLookup, invalid, list, toInt } from '../config/settings';

/** Where latency, rockets, stream posts and the request counter keep their state. Validated once at start with every other group (config/load-settings.ts). */
export class StateSettings implements DerivedSettings {
  static readonly section = 'State';

  /**
   * Where latency, rockets, stream posts and the request counter keep their state: `local`
   * (logs and snapshots under DATA_DIR; survives restarts and kill -9), `redis` (a shared
   * log every instance folds) or `memory` (this process only: volatile).
   */
  @Expose() @IsIn(['local', 'memory', 'redis']) STATE_BACKEND: 'local' | 'memory' | 'redis' =
    'local';

  /**
   * Local state: fdatasync the logs every this many ms, off the request path (a power cut
   * can take up to this much); 0 = before answering each write (group commit per turn).
   */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(60_000) STATE_SYNC_MS = 1000;

  @Expose()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Every key Beacon writes starts with `<REDIS_PREFIX>:`, so deployments can share a Redis. */
  @Expose()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, {
    message: 'REDIS_PREFIX must be 1–64 letters, digits, dots, dashes or underscores',
  })
  REDIS_PREFIX = 'beacon';

  /**
   * Redis mode: a write Redis has not answered within this is answered 503 ("may or may
   * not have been recorded": a hung Redis may still run it), and a readiness check that
   * waits this long fails.
   */
  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(60_000) REDIS_WRITE_TIMEOUT_MS = 2000;

  /**
   * Redis mode: a write is answered only once `WAIT` confirms this many replicas have it
   * (503 "may or may not have been recorded" when they do not within REDIS_WRITE_TIMEOUT_MS),
   * so a failover to one of them keeps every write answered 2xx. 0 = no wait.
   */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(16) REDIS_MIN_REPLICAS = 0;

  /**
   * Redis Sentinel: comma-separated `host:port` of the sentinels; Beacon asks them for the
   * master of REDIS_SENTINEL_NAME and follows failovers. REDIS_URL then gives only the
   * password, user and database.
   */
  @Expose()
  @Matches(/^$|^[A-Za-z0-9_.-]+:\d{1,5}(,[A-Za-z0-9_.-]+:\d{1,5})*$/, {
    message: 'REDIS_SENTINELS must be comma-separated host:port pairs',
  })
  REDIS_SENTINELS = '';

  @Expose()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'REDIS_SENTINEL_NAME must be a master name' })
  REDIS_SENTINEL_NAME = 'mymaster';

  /**
   * Redis mode: an instance that starts on a log Redis lost the start of (restarted empty,
   * flushed) is not ready while it waits this long for a running instance to re-seed the
   * whole state; then it starts from what the log holds, and says so.
   */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(3_600_000) REDIS_RESEED_WAIT_MS = 30_000;

  /** How often latency and rockets store their folded state and drop the log before it (local and redis). */
  @Expose() @Transform(toInt) @IsInt() @Min(1000) @Max(3_600_000) SHARED_SNAPSHOT_INTERVAL_MS =
    30_000;

  /** REDIS_URL and REDIS_PREFIX as the Redis helpers take them (derived once). */
  redis: RedisSettings = { url: '', prefix: '' };

  derive(lookup: SettingsLookup): void {
    this.redis = {
      url: this.REDIS_URL,
      prefix: this.REDIS_PREFIX,
      writeTimeoutMs: this.REDIS_WRITE_TIMEOUT_MS,
      minReplicas: this.REDIS_MIN_REPLICAS,
      reseedWaitMs: this.REDIS_RESEED_WAIT_MS,
      sentinels: list(this.REDIS_SENTINELS).map((s) => {
        const colon = s.lastIndexOf(':');
        return { host: s.slice(0, colon), port: Number(s.slice(colon + 1)) };
      }),
      sentinelName: this.REDIS_SENTINEL_NAME,
    };
    if (lookup(CoreSettings).WORKERS > 1 && this.STATE_BACKEND !== 'redis') {
      invalid('WORKERS > 1 needs STATE_BACKEND=redis (each worker would keep its own state)');
    }
  }
}
