import { Expose, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { CoreSettings } from '../config/core.settings';
import { DerivedSettings, SettingsLookup, invalid, list, toBool, toInt } from '../config/settings';

/** What happens to a request before a controller sees it: limits, hosts, keys, CORS, headers. Validated once at start with every other group (config/load-settings.ts). */
export class HttpSettings implements DerivedSettings {
  static readonly section = 'HTTP edge';
  static readonly secret = ['API_KEYS'];

  /**
   * The framework under NestJS that serves HTTP: `express` (the default) or `fastify`, the
   * same routes and rules at about half the CPU per request (docs/configuration.md).
   */
  @Expose()
  @IsIn(['express', 'fastify'], { message: 'HTTP_ADAPTER must be express or fastify' })
  HTTP_ADAPTER: 'express' | 'fastify' = 'express';

  /** One log line per HTTP request; off by default because ingestion endpoints are hot. */
  @Expose() @Transform(toBool) @IsBoolean() LOG_REQUESTS = false;

  @Expose()
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'BODY_LIMIT must look like 512kb or 1mb' })
  BODY_LIMIT = '1mb';

  /** Deepest nesting of arrays and objects a JSON body may have; deeper → 400. */
  @Expose() @Transform(toInt) @IsInt() @Min(2) @Max(10_000) BODY_MAX_DEPTH = 64;

  /**
   * Open HTTP connections at once; past it new ones are closed at once (node's
   * maxConnections). Also the listen backlog, so a burst of connects queues, not resets.
   */
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

  /**
   * Compress answers (br, gzip or deflate, as the request's Accept-Encoding prefers) of JSON
   * or plain text of at least COMPRESSION_MIN_BYTES; off behind a proxy that compresses.
   */
  @Expose() @Transform(toBool) @IsBoolean() COMPRESSION = true;

  /** Smaller answers go out as they are: compressing them costs more than it saves. */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(1_073_741_824) COMPRESSION_MIN_BYTES = 1024;

  /** Origins allowed by CORS, comma-separated (`*` for any); empty = CORS off. */
  @Expose() @IsString() CORS_ORIGINS = '';

  // Derived once by `derive`, so no service parses a setting again.

  /** BODY_LIMIT in bytes. */
  bodyLimitBytes = 0;

  /** CORS_ORIGINS as a list; empty = CORS off, `['*']` = any origin. */
  corsOrigins: string[] = [];

  /** API_KEYS as a list; empty = keys off. */
  apiKeys: string[] = [];

  /** ALLOWED_HOSTS as lower-case host names without ports; null = any host. */
  allowedHosts: string[] | null = null;

  derive(lookup: SettingsLookup): void {
    if (this.HTTP_HEADERS_TIMEOUT_MS > this.HTTP_REQUEST_TIMEOUT_MS) {
      invalid('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
    }
    this.bodyLimitBytes = sizeBytes(this.BODY_LIMIT);
    this.corsOrigins = list(this.CORS_ORIGINS);
    this.allowedHosts = allowedHosts(this.ALLOWED_HOSTS, lookup(CoreSettings).HOST);
    this.apiKeys = apiKeys(this.API_KEYS);
    if (this.API_KEYS_FOR_READS && this.apiKeys.length === 0) {
      invalid('API_KEYS_FOR_READS=true needs API_KEYS (no key could ever read)');
    }
  }
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
    invalid(
      `API_KEYS entry ${bad + 1} must be 16–256 printable characters without spaces or commas`,
    );
  }
  return keys;
}
