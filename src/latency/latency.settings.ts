import { Expose, Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsNotEmpty, IsString, Max, Min } from 'class-validator';
import { DerivedSettings, invalid, toBool, toInt } from '../config/settings';

/** The latency module: windows, caps, expiry and the StatsD listener. Validated once at start with every other group (config/load-settings.ts). */
export class LatencySettings implements DerivedSettings {
  static readonly section = 'Latency';

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

  /** StatsD timers over UDP, fed to the latency module. */
  @Expose() @Transform(toBool) @IsBoolean() STATSD_ENABLED = true;

  @Expose() @IsString() @IsNotEmpty() STATSD_UDP_HOST = '127.0.0.1';

  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(65535) STATSD_UDP_PORT = 8125;

  derive(): void {
    if (this.LATENCY_WINDOW_MS > this.LATENCY_MAX_WINDOW_MS) {
      invalid('LATENCY_WINDOW_MS must not exceed LATENCY_MAX_WINDOW_MS');
    }
    if (this.LATENCY_MAX_SAMPLES > this.LATENCY_MAX_SAMPLES_LIMIT) {
      invalid('LATENCY_MAX_SAMPLES must not exceed LATENCY_MAX_SAMPLES_LIMIT');
    }
  }
}
