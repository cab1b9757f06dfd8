import { Expose, Transform, plainToInstance } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Environment variables arrive as strings; anything else (tests) is passed through untouched. */
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
};

/**
 * Every setting Beacon reads, validated once at start-up. This class is also the
 * injection token: services ask for `Environment` and get typed, validated values.
 */
export class Environment {
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 8080;

  /** Loopback unless told otherwise: exposing the service is a deliberate act. */
  @Expose() @IsString() @IsNotEmpty() HOST = '127.0.0.1';

  @Expose() @IsString() @IsNotEmpty() DATA_DIR = './data';

  @Expose() @IsIn(LOG_LEVELS) LOG_LEVEL: LogLevel = 'info';

  /** One log line per HTTP request; off by default because ingestion endpoints are hot. */
  @Expose() @Transform(toBool) @IsBoolean() LOG_REQUESTS = false;

  @Expose()
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'BODY_LIMIT must look like 512kb or 1mb' })
  BODY_LIMIT = '1mb';

  /** Master switch for every scheduled job (pruning, flushing). */
  @Expose() @Transform(toBool) @IsBoolean() JOBS_ENABLED = true;

  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(86_400_000) LATENCY_WINDOW_MS = 60_000;

  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(2_592_000_000) LATENCY_MAX_WINDOW_MS =
    86_400_000;

  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) LATENCY_MAX_SAMPLES = 10_000;

  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) LATENCY_MAX_SAMPLES_LIMIT =
    1_000_000;

  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) LATENCY_MAX_METRICS = 10_000;

  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000_000) LATENCY_MAX_TOTAL_SAMPLES =
    100_000_000;

  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) LATENCY_PRUNE_INTERVAL_MS = 10_000;

  /**
   * A metric created by a sample (StatsD, the api-metrics feed, a POST) whose window has
   * been empty this long is removed; metrics created by PUT stay. 0 = never.
   */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(2_592_000_000) LATENCY_IDLE_EXPIRY_MS =
    3_600_000;

  /** Count every HTTP request; off only to measure what counting costs. */
  @Expose() @Transform(toBool) @IsBoolean() COUNTER_ENABLED = true;

  /** 4 bytes of memory per millisecond of window: 240 KB at 60 s, 14.4 MB at the 1 h cap. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(3600) COUNTER_WINDOW_SECONDS = 60;

  /** How often new counts are appended and fsynced: the most a `kill -9` can lose. */
  @Expose() @Transform(toInt) @IsInt() @Min(10) @Max(60_000) COUNTER_FLUSH_MS = 250;

  /** Rockets tracked at once; a message for one more answers 503. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) ROCKETS_MAX_CHANNELS = 100_000;

  /** Out-of-order messages one rocket may hold while waiting for a gap to fill. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) ROCKETS_MAX_BUFFERED_PER_CHANNEL =
    10_000;

  /** Out-of-order messages all rockets together may hold. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(100_000_000) ROCKETS_MAX_BUFFERED = 1_000_000;

  /** Applied messages per rocket remembered (4 bytes each) to tell a conflicting duplicate. */
  @Expose() @Transform(toInt) @IsInt() @Min(16) @Max(10_000_000) ROCKETS_DEDUP_HISTORY = 10_000;

  /**
   * A rocket that never launched (message 1 never arrived) and has received nothing for
   * this long is dropped, its buffered messages counted as discarded. 0 = never.
   */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(2_592_000_000) ROCKETS_PENDING_EXPIRY_MS =
    3_600_000;

  /** How often pending rockets are checked for expiry. */
  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) ROCKETS_EXPIRY_INTERVAL_MS =
    10_000;

  /** Run the stream consumer (one connection for the whole process). */
  @Expose() @Transform(toBool) @IsBoolean() STREAM_ENABLED = true;

  @Expose()
  @Matches(/^https?:\/\/\S+$/, { message: 'STREAM_URL must be an http(s) URL' })
  STREAM_URL = 'https://stream.upfluence.co/stream';

  /** Posts are grouped by arrival in buckets of this length; pruning drops whole buckets. */
  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(60_000) STREAM_BUCKET_MS = 5000;

  /** Most posts kept (memory bound, ~55 bytes each); past it the oldest go first. */
  @Expose() @Transform(toInt) @IsInt() @Min(1000) @Max(200_000_000) STREAM_MAX_POSTS = 20_000_000;

  /** Durations up to this wait for posts that arrive during the request (live mode). */
  @Expose() @Transform(toInt) @IsInt() @Min(5000) @Max(86_400_000) STREAM_LIVE_MAX_MS = 60_000;

  /** Longest wait `?mode=live` may ask for. */
  @Expose() @Transform(toInt) @IsInt() @Min(5000) @Max(86_400_000) STREAM_LIVE_LIMIT_MS = 300_000;

  /** Reconnect when no byte arrives for this long (comments count). */
  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) STREAM_IDLE_TIMEOUT_MS = 30_000;

  /** Largest event accepted; a bigger one drops the connection (hostile upstream). */
  @Expose() @Transform(toInt) @IsInt() @Min(1024) @Max(67_108_864) STREAM_MAX_EVENT_BYTES =
    1_048_576;

  /** Ceiling of the reconnect backoff (exponential from 250 ms, full jitter). */
  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) STREAM_BACKOFF_MAX_MS = 30_000;

  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) STREAM_PRUNE_INTERVAL_MS = 10_000;

  /** Redis mode: the upstream connection's lock lapses this long after its holder stops renewing. */
  @Expose() @Transform(toInt) @IsInt() @Min(300) @Max(600_000) STREAM_LEADER_TTL_MS = 10_000;

  /** Redis mode: posts the leader holds while Redis is away; past it the oldest go, counted. */
  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(10_000_000) STREAM_OUTAGE_BUFFER_POSTS =
    100_000;

  /** The api-metrics module: UDP ingest, database, WebSocket stream and queries. */
  @Expose() @Transform(toBool) @IsBoolean() API_METRICS_ENABLED = true;

  @Expose() @IsString() @IsNotEmpty() METRICS_UDP_HOST = '127.0.0.1';

  /** UDP port for the seed's binary protocol; 0 picks a free port (tests). */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(65535) METRICS_UDP_PORT = 5000;

  /** Kernel receive buffer: what absorbs a burst while the event loop is busy. */
  @Expose() @Transform(toInt) @IsInt() @Min(65_536) @Max(268_435_456) METRICS_UDP_RCVBUF =
    4_194_304;

  /** `host:port` of a seed-style metrics server to dial (ConnectionInit, then HeartBeats). */
  @Expose()
  @Matches(/^$|^\S+:\d{1,5}$/, { message: 'METRICS_UPSTREAM must be host:port or empty' })
  METRICS_UPSTREAM = '';

  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(3600) METRICS_HEARTBEAT_S = 5;

  /** StatsD timers over UDP, fed to the latency module. */
  @Expose() @Transform(toBool) @IsBoolean() STATSD_ENABLED = true;

  @Expose() @IsString() @IsNotEmpty() STATSD_UDP_HOST = '127.0.0.1';

  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(65535) STATSD_UDP_PORT = 8125;

  /** PostgreSQL for api-metrics rows; empty = the embedded PostgreSQL under DATA_DIR. */
  @Expose()
  @Matches(/^$|^postgres(ql)?:\/\/\S+$/, {
    message: 'DATABASE_URL must be a postgres:// URL or empty',
  })
  DATABASE_URL = '';

  /** How long rows are kept: a number and a unit, d, h or m (`7d`, `36h`, `90m`). */
  @Expose()
  @Matches(/^[1-9]\d{0,5}(d|h|m)$/, {
    message: 'API_METRICS_RETENTION must look like 7d, 36h or 90m',
  })
  API_METRICS_RETENTION = '7d';

  /** Queued records are written at least this often (and at once when a batch fills). */
  @Expose() @Transform(toInt) @IsInt() @Min(10) @Max(60_000) API_METRICS_FLUSH_MS = 200;

  /** Records per INSERT statement. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(100_000) API_METRICS_BATCH_MAX = 5000;

  /** Records waiting for the database, at most (~137 bytes each plus the route); past it new ones are dropped and counted. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) API_METRICS_QUEUE_MAX = 500_000;

  /** Longest wait between write attempts while the database is down. */
  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(600_000) API_METRICS_BACKOFF_MAX_MS = 10_000;

  /** How often rows past the retention are deleted (when TimescaleDB does not do it). */
  @Expose() @Transform(toInt) @IsInt() @Min(1000) @Max(86_400_000) API_METRICS_PRUNE_INTERVAL_MS =
    60_000;

  /**
   * Longest a query of `/api-metrics*` may run (PostgreSQL's statement_timeout on the
   * readers' connections); past it the query is cancelled and answered 503.
   */
  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(600_000) API_METRICS_QUERY_TIMEOUT_MS =
    10_000;

  /** Most rows one `GET /api-metrics` returns (the newest); `truncated` says when more matched. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) API_METRICS_MAX_ROWS = 100_000;

  /** Most cells (seconds × series) one `GET /api-metrics/series` builds. */
  @Expose() @Transform(toInt) @IsInt() @Min(60) @Max(100_000_000) API_METRICS_MAX_SERIES_CELLS =
    5_000_000;

  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(100_000) WS_MAX_CLIENTS = 1000;

  /** Bytes a WebSocket client may have unsent before it starts losing records. */
  @Expose() @Transform(toInt) @IsInt() @Min(1024) @Max(268_435_456) WS_MAX_BUFFERED_BYTES =
    1_048_576;

  /** A client that keeps losing records for this long is closed (1008) to free its share. */
  @Expose() @Transform(toInt) @IsInt() @Min(1000) @Max(3_600_000) WS_MAX_LAG_MS = 30_000;

  /** Records arriving within this much of the last send go out together in one message. */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(10_000) WS_TICK_MS = 25;

  /** Ping interval; a client that has not answered the previous ping is dropped. */
  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) WS_PING_MS = 30_000;

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

  /** How often latency and rockets store their folded state and drop the log before it (local and redis). */
  @Expose() @Transform(toInt) @IsInt() @Min(1000) @Max(3_600_000) SHARED_SNAPSHOT_INTERVAL_MS =
    30_000;

  /** Processes `npm start` runs on the one HTTP port (node:cluster); more than 1 needs redis. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(64) WORKERS = 1;

  /**
   * Set by the cluster's primary, not by users: which worker this is. Only worker 0 binds
   * the UDP ports, so one sender's datagrams all reach one process (its sequence tracking).
   */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(63) BEACON_WORKER_INDEX = 0;

  /**
   * The seed-002 server's own API (`GET /metrics`, `/ws`) on a second port, so its dashboard
   * works unmodified; empty = off. The documented recipe uses 8085.
   */
  @Expose()
  @Matches(/^$|^\d{1,5}$/, { message: 'COMPAT_002_PORT must be a port number or empty' })
  COMPAT_002_PORT = '';

  /** Origins allowed on the seed-002 listener (CORS and WebSocket), comma-separated; `*` = any. */
  @Expose() @IsString() COMPAT_002_CORS_ORIGINS = 'http://localhost:3000';

  /** GET /prometheus and the HTTP request histogram behind it. */
  @Expose() @Transform(toBool) @IsBoolean() PROMETHEUS_ENABLED = true;

  /** Latency metrics whose percentiles /prometheus exports (the first by id); the rest are counted. */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(100_000) PROMETHEUS_MAX_LATENCY_METRICS = 100;

  /** Origins allowed by CORS, comma-separated (`*` for any); empty = CORS off. */
  @Expose() @IsString() CORS_ORIGINS = '';

  /** Deepest nesting of arrays and objects a JSON body may have; deeper → 400. */
  @Expose() @Transform(toInt) @IsInt() @Min(2) @Max(10_000) BODY_MAX_DEPTH = 64;

  /** Open HTTP connections at once; past it new ones are closed at once (node's maxConnections). */
  @Expose() @Transform(toInt) @IsInt() @Min(1) HTTP_MAX_CONNECTIONS = 10_000;

  /** Time a client has to send its request headers (node's headersTimeout). */
  @Expose() @Transform(toInt) @IsInt() @Min(1000) HTTP_HEADERS_TIMEOUT_MS = 10_000;

  /** Time a client has to send its whole request, body included (node's requestTimeout). */
  @Expose() @Transform(toInt) @IsInt() @Min(1000) HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /**
   * Host header values the HTTP listener answers (comma-separated host names, any port;
   * `*` = any). Empty = `localhost,127.0.0.1,[::1]` when HOST is a loopback address (so a
   * DNS-rebinding page cannot reach it), any host otherwise.
   */
  @Expose() @IsString() ALLOWED_HOSTS = '';

  /**
   * Keys that writes (POST, PUT, DELETE, WebSocket upgrades, the compat listener) must
   * present as `Authorization: Bearer <key>` or `X-API-Key: <key>`; comma-separated, each
   * 16–256 printable characters. Empty = no keys (anyone who reaches the port may write).
   */
  @Expose() @IsString() API_KEYS = '';

  /**
   * With API_KEYS set, reads need a key too: all but /health/live, /health/ready, the
   * Swagger docs and the dashboard's page and files (which ask for a key before reading).
   */
  @Expose() @Transform(toBool) @IsBoolean() API_KEYS_FOR_READS = false;

  /** Requests one client address may make per minute (429 with Retry-After past it); 0 = off. */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(100_000_000) RATE_LIMIT_PER_MINUTE = 0;

  /**
   * helmet's headers (CSP, X-Content-Type-Options, X-Frame-Options, Referrer-Policy…) on
   * every response; off only behind a proxy that sets its own, or to measure their cost.
   */
  @Expose() @Transform(toBool) @IsBoolean() SECURITY_HEADERS = true;

  // Derived once by loadEnvironment, so no service parses a setting again.

  /** API_METRICS_RETENTION in milliseconds. */
  apiMetricsRetentionMs = 0;

  /** CORS_ORIGINS as a list; empty = CORS off, `['*']` = any origin. */
  corsOrigins: string[] = [];

  /** BODY_LIMIT in bytes. */
  bodyLimitBytes = 0;

  /** API_KEYS as a list; empty = keys off. */
  apiKeys: string[] = [];

  /** ALLOWED_HOSTS as lower-case host names without ports; null = any host. */
  allowedHosts: string[] | null = null;

  /** COMPAT_002_PORT as a number; null when off. */
  compat002Port: number | null = null;

  /** COMPAT_002_CORS_ORIGINS as a list. */
  compat002Origins: string[] = [];

  /** METRICS_UPSTREAM split; null when empty. An IPv6 host comes without its brackets. */
  metricsUpstream: { host: string; port: number } | null = null;
}

export class InvalidEnvironmentError extends Error {}

/** Turns raw variables into a validated `Environment`, or throws naming each bad variable. */
export function loadEnvironment(raw: Record<string, unknown>): Environment {
  const env = plainToInstance(Environment, raw, {
    excludeExtraneousValues: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(env, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const got = e.property === 'API_KEYS' ? '(hidden)' : raw[e.property];
      return `${Object.values(e.constraints ?? {}).join('; ')} (got ${JSON.stringify(got)})`;
    });
    throw new InvalidEnvironmentError(`Invalid configuration: ${lines.join(' | ')}`);
  }
  if (env.LATENCY_WINDOW_MS > env.LATENCY_MAX_WINDOW_MS) {
    throw new InvalidEnvironmentError(
      'Invalid configuration: LATENCY_WINDOW_MS must not exceed LATENCY_MAX_WINDOW_MS',
    );
  }
  if (env.LATENCY_MAX_SAMPLES > env.LATENCY_MAX_SAMPLES_LIMIT) {
    throw new InvalidEnvironmentError(
      'Invalid configuration: LATENCY_MAX_SAMPLES must not exceed LATENCY_MAX_SAMPLES_LIMIT',
    );
  }
  if (env.COUNTER_FLUSH_MS >= env.COUNTER_WINDOW_SECONDS * 1000) {
    throw new InvalidEnvironmentError(
      'Invalid configuration: COUNTER_FLUSH_MS must be shorter than COUNTER_WINDOW_SECONDS',
    );
  }
  if (env.WORKERS > 1 && env.STATE_BACKEND !== 'redis') {
    throw new InvalidEnvironmentError(
      'Invalid configuration: WORKERS > 1 needs STATE_BACKEND=redis (each worker would keep its own state)',
    );
  }
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    throw new InvalidEnvironmentError(
      'Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS',
    );
  }
  env.apiMetricsRetentionMs = durationSettingMs(env.API_METRICS_RETENTION);
  env.corsOrigins = list(env.CORS_ORIGINS);
  env.compat002Origins = list(env.COMPAT_002_CORS_ORIGINS);
  env.compat002Port = env.COMPAT_002_PORT === '' ? null : Number(env.COMPAT_002_PORT);
  if (env.compat002Port !== null && env.compat002Port > 65535) {
    throw new InvalidEnvironmentError(
      `Invalid configuration: COMPAT_002_PORT must be 0–65535 (got "${env.COMPAT_002_PORT}")`,
    );
  }
  env.metricsUpstream = hostPort(env.METRICS_UPSTREAM);
  env.bodyLimitBytes = sizeBytes(env.BODY_LIMIT);
  env.allowedHosts = allowedHosts(env.ALLOWED_HOSTS, env.HOST);
  env.apiKeys = apiKeys(env.API_KEYS);
  if (env.API_KEYS_FOR_READS && env.apiKeys.length === 0) {
    throw new InvalidEnvironmentError(
      'Invalid configuration: API_KEYS_FOR_READS=true needs API_KEYS (no key could ever read)',
    );
  }
  return env;
}

/** `512kb`, `1mb`, `100b` (BODY_LIMIT's syntax, validated above) in bytes. */
function sizeBytes(setting: string): number {
  const [, n, unit] = /^(\d+)(b|kb|mb)$/i.exec(setting)!;
  return Number(n) * { b: 1, kb: 1024, mb: 1024 * 1024 }[unit.toLowerCase() as 'b' | 'kb' | 'mb'];
}

const LOOPBACK_BINDS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function allowedHosts(setting: string, bind: string): string[] | null {
  const hosts = list(setting).map((h) => h.toLowerCase());
  if (hosts.includes('*')) return null;
  if (hosts.length > 0) return hosts;
  return LOOPBACK_BINDS.has(bind) || bind.startsWith('127.')
    ? ['localhost', '127.0.0.1', '[::1]']
    : null;
}

/** Printable ASCII without spaces or commas, long enough not to be guessed. */
const KEY_SHAPE = /^[\x21-\x2b\x2d-\x7e]{16,256}$/;

function apiKeys(setting: string): string[] {
  const keys = list(setting);
  const bad = keys.findIndex((k) => !KEY_SHAPE.test(k));
  if (bad >= 0) {
    // Never echo a key, not even a bad one: configuration errors end up in logs.
    throw new InvalidEnvironmentError(
      `Invalid configuration: API_KEYS entry ${bad + 1} must be 16–256 printable characters ` +
        'without spaces or commas',
    );
  }
  return keys;
}

function list(setting: string): string[] {
  return setting
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
}

/** `7d`, `36h`, `90m` (already validated) to milliseconds. */
function durationSettingMs(setting: string): number {
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[setting.slice(-1) as 'd' | 'h' | 'm'];
  return Number(setting.slice(0, -1)) * unit;
}

function hostPort(address: string): { host: string; port: number } | null {
  if (address === '') return null;
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (port < 1 || port > 65535) {
    throw new InvalidEnvironmentError(
      `Invalid configuration: METRICS_UPSTREAM port must be 1–65535 (got ${JSON.stringify(address)})`,
    );
  }
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}
