import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The seed's MetricSnapshot, field names unchanged, plus what a user needs to trust it. */
export class MetricSnapshotDto {
  @ApiProperty({ example: 'checkout-api', description: 'The metric, as named in the path.' })
  MetricID!: string;

  @ApiProperty({
    type: 'integer',
    format: 'int64',
    example: 60_000_000_000,
    description: 'Sliding window in nanoseconds (a Go time.Duration, as in the seed).',
  })
  Window!: number;

  @ApiProperty({ type: 'integer', example: 10_000, description: 'Most samples this metric keeps.' })
  MaxSamples!: number;

  @ApiProperty({ type: 'integer', example: 42, description: 'Samples inside the window.' })
  Count!: number;

  @ApiProperty({
    type: 'integer',
    format: 'int64',
    nullable: true,
    example: 1_250_000,
    description: 'Nearest-rank median in ns; null when no sample is in the window.',
  })
  P50!: number | null;

  @ApiProperty({
    type: 'integer',
    format: 'int64',
    nullable: true,
    example: 3_900_000,
    description: 'Nearest-rank 95th percentile in ns; null when the window is empty.',
  })
  P95!: number | null;

  @ApiProperty({
    type: 'integer',
    format: 'int64',
    nullable: true,
    example: 4_100_000,
    description: 'Nearest-rank 99th percentile in ns; null when the window is empty.',
  })
  P99!: number | null;

  @ApiProperty({
    example: false,
    description:
      'True when max_samples has dropped samples that are still inside the window, so the ' +
      'percentiles cover only the newest Count samples rather than the whole window.',
  })
  Truncated!: boolean;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer', format: 'int64', nullable: true },
    example: { p90: 3_500_000, 'p99.9': 4_100_000 },
    description: 'Present when `percentiles` was requested: nearest-rank value per percentile.',
  })
  Percentiles?: Record<string, number | null>;
}
