import { Logger } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';

/** Redis unreachable when Beacon starts: in redis mode the state lives there, so it cannot. */
export class RedisUnavailableError extends Error {}

export interface RedisSettings {
  url: string;
  /** Every key Beacon writes starts with `${prefix}:`. */
  prefix: string;
  /** REDIS_WRITE_TIMEOUT_MS: a write Redis has not answered by then is answered 503 (default 2 s). */
  writeTimeoutMs?: number;
  /** REDIS_MIN_REPLICAS: a log append waits for `WAIT` to confirm this many replicas. */
  minReplicas?: number;
  /** REDIS_RESEED_WAIT_MS (see StateSettings). */
  reseedWaitMs?: number;
  /** REDIS_SENTINELS: when any, the master is asked of them by `sentinelName`. */
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
}

/**
 * `command`, or a rejection once `ms` have passed without an answer. ioredis's own
 * command timeout starts only when the command is written, which auto-pipelining can
 * delay behind an outstanding one; a write must not wait on a hung Redis that long.
 */
export function answerWithin<T>(command: Promise<T>, ms: number, setting: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Redis did not answer within ${ms} ms (${setting})`)),
      ms,
    );
  });
  return Promise.race([command, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The one way a key is named: `redisKey(redis, 'stream', 'leader')` is
 * `<prefix>:{stream}:leader`. The module's name is the key's hash tag, so all of one
 * module's keys are in one Redis Cluster hash slot (its scripts touch several at once).
 */
export function redisKey(settings: RedisSettings, module: string, ...parts: string[]): string {
  return [settings.prefix, `{${module}}`, ...parts].join(':');
}

/** The name `key` had before module names were hash tags (`<prefix>:stream:leader`). */
export function legacyRedisKey(key: string): string {
  return key.replace(/\{([^}]*)\}/, '$1');
}

/**
 * Opens one Redis connection and waits until it answers. Commands fail at once while the
 * connection is down (no offline queue), so a write answers 503 instead of waiting; a
 * command sent when the connection failed is never sent again by the client (it may have
 * been run: the caller decides), and none waits longer than its timeout (a half-open
 * connection must not hang a write). The client reconnects by itself, every 100 ms
 * growing to 2 s.
 */
export async function connectRedis(
  settings: RedisSettings,
  name: string,
  options: { blocking?: boolean; startTimeoutMs?: number } = {},
): Promise<Redis> {
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const logger = new Logger('Redis');
  const clientOptions: RedisOptions = {
    enableOfflineQueue: false,
    enableAutoPipelining: !options.blocking,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
    // A blocking read waits up to 2 s by design; anything else gets 10 s.
    commandTimeout: options.blocking ? 5000 : 10_000,
    keepAlive: 10_000,
    connectTimeout: 2000,
    connectionName: `beacon:${name}`,
    retryStrategy: (attempt) => Math.min(2000, 100 * attempt),
  };
  const redis = settings.sentinels?.length
    ? new Redis({
        ...clientOptions,
        ...credentials(settings.url),
        sentinels: settings.sentinels,
        name: settings.sentinelName ?? 'mymaster',
        sentinelRetryStrategy: (attempt) => Math.min(2000, 100 * attempt),
        // Not ioredis's failoverDetector: with it, in 2 of the 5 kill -9 failovers traced one Beacon's
        // connections never reached the new master (test/redis-faults.e2e-spec.ts). The
        // dropped connection is enough: ioredis then asks the sentinels again.
      })
    : new Redis(settings.url, clientOptions);
  let lastError = '';
  redis.on('error', (err: Error) => {
    // ioredis reports each failed reconnect; one line per distinct failure is enough.
    if (err.message !== lastError) logger.warn(`${name}: ${err.message}`);
    lastError = err.message;
  });
  redis.on('ready', () => (lastError = ''));
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), startTimeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!ready) {
    redis.disconnect();
    throw new RedisUnavailableError(
      `Redis is not reachable at ${redactedUrl(settings.url)} (STATE_BACKEND=redis keeps the ` +
        `state there)${lastError ? `: ${lastError}` : ''}`,
    );
  }
  return redis;
}

/** What REDIS_URL gives besides the host, for a master found through Sentinel. */
function credentials(url: string): Pick<RedisOptions, 'username' | 'password' | 'db' | 'tls'> {
  const u = new URL(url);
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number(u.pathname.slice(1) || 0),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** A URL for messages: the password, if any, replaced. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured REDIS_URL';
  }
}

/** Redis time in ms, for a clock every instance shares. */
export async function redisTimeMs(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}
