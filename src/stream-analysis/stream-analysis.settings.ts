import { Expose, Transform } from 'class-transformer';
import { IsBoolean, IsInt, Matches, Max, Min } from 'class-validator';
import { toInt, toBool } from '../config/settings';

/** The stream-analysis module: the upstream SSE connection and the posts kept. Validated once at start with every other group (config/load-settings.ts). */
export class StreamSettings {
  static readonly section = 'Stream analysis';

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

  /**
   * Live waits this process runs at once (the seed's "global concurrency cap" on realtime
   * requests); past it 503 with Retry-After. Each holds a socket and a timer.
   */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) STREAM_MAX_LIVE_WAITS = 1000;

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
}
