import { Expose, Transform } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { toInt, toBool } from '../config/settings';

/** The `/prometheus` exposition. Validated once at start with every other group (config/load-settings.ts). */
export class PrometheusSettings {
  static readonly section = 'Prometheus';

  /** GET /prometheus and the HTTP request histogram behind it. */
  @Expose() @Transform(toBool) @IsBoolean() PROMETHEUS_ENABLED = true;

  /** Latency metrics whose percentiles /prometheus exports (the first by id); the rest are counted. */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(100_000) PROMETHEUS_MAX_LATENCY_METRICS = 100;
}
