import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray } from 'class-validator';
import { IsPositiveSafeInteger } from '../../common/validators';

export const MAX_BATCH = 10_000;

export class RecordLatencyDto {
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    example: 1_250_000,
    description: 'Observed latency in nanoseconds: a positive integer.',
  })
  @IsPositiveSafeInteger()
  latency_ns!: number;
}

export class RecordLatenciesDto {
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    isArray: true,
    minItems: 1,
    maxItems: MAX_BATCH,
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    example: [1_250_000, 980_000, 4_100_000],
    description: `1–${MAX_BATCH} latencies in nanoseconds; one invalid value rejects the whole batch.`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH)
  @IsPositiveSafeInteger({ each: true })
  latencies_ns!: number[];
}

export class AcceptedDto {
  @ApiProperty({ type: 'integer', example: 3, description: 'Samples recorded.' })
  accepted!: number;
}
