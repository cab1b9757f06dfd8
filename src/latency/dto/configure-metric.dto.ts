import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Min } from 'class-validator';

export class ConfigureMetricDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    example: 60_000,
    description:
      'Sliding window in milliseconds (at most LATENCY_MAX_WINDOW_MS, default 86400000). ' +
      'Omitted: unchanged, or LATENCY_WINDOW_MS for a new metric.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  window_ms?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    example: 10_000,
    description:
      'Most samples kept (at most LATENCY_MAX_SAMPLES_LIMIT, default 1000000); when full the ' +
      'oldest make room. Omitted: unchanged, or LATENCY_MAX_SAMPLES for a new metric.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  max_samples?: number;
}
