import { Expose, Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsNotEmpty, IsString, Matches, Max, Min } from 'class-validator';
import { DerivedSettings, invalid, list, toInt, toBool } from '../config/settings';

/** The api-metrics module: UDP intake, the database, the WebSocket feed and the seed-002 listener. Validated once at start with every other group (config/load-settings.ts). */
export class ApiMetricsSettings implements DerivedSettings {
  static readonly section = 'API metrics';

  /** The api-metrics module: UDP ingest, database, WebSocket stream and queries. */
  @Expose() @Transform(toBool) @IsBoolean() API_METRICS_ENABLED = true;

  @Expose() @IsString() @IsNotEmpty() METRICS_UDP_HOST = '127.0.0.1';

  /** UDP port for the seed's binary protocol; 0 picks a free port (tests). */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(65535) METRICS_UDP_PORT = 5000;

  /** `host:port` of a seed-style metrics server to dial (ConnectionInit, then HeartBeats). */
  @Expose()
  @Matches(/^$|^\S+:\d{1,5}$/, { message: 'METRICS_UPSTREAM must be host:port or empty' })
  METRICS_UPSTREAM = '';

  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(3600) METRICS_HEARTBEAT_S = 5;

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
   * The seed-002 server's own API (`GET /metrics`, `/ws`) on a second port, so its dashboard
   * works unmodified; empty = off. The documented recipe uses 8085.
   */
  @Expose()
  @Matches(/^$|^\d{1,5}$/, { message: 'COMPAT_002_PORT must be a port number or empty' })
  COMPAT_002_PORT = '';

  /** Origins allowed on the seed-002 listener (CORS and WebSocket), comma-separated; `*` = any. */
  @Expose() @IsString() COMPAT_002_CORS_ORIGINS = 'http://localhost:3000,http://127.0.0.1:3000';

  // Derived once by `derive`, so no service parses a setting again.

  /** API_METRICS_RETENTION in milliseconds. */
  apiMetricsRetentionMs = 0;

  /** COMPAT_002_PORT as a number; null when off. */
  compat002Port: number | null = null;

  /** COMPAT_002_CORS_ORIGINS as a list. */
  compat002Origins: string[] = [];

  /** METRICS_UPSTREAM split; null when empty. An IPv6 host comes without its brackets. */
  metricsUpstream: { host: string; port: number } | null = null;

  derive(): void {
    this.apiMetricsRetentionMs = durationSettingMs(this.API_METRICS_RETENTION);
    this.compat002Origins = list(this.COMPAT_002_CORS_ORIGINS);
    this.compat002Port = this.COMPAT_002_PORT === '' ? null : Number(this.COMPAT_002_PORT);
    if (this.compat002Port !== null && this.compat002Port > 65535) {
      invalid(`COMPAT_002_PORT must be 0–65535 (got "${this.COMPAT_002_PORT}")`);
    }
    this.metricsUpstream = hostPort(this.METRICS_UPSTREAM);
  }
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
    invalid(`METRICS_UPSTREAM port must be 1–65535 (got ${JSON.stringify(address)})`);
  }
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}
