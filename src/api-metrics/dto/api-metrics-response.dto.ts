import { ApiProperty } from '@nestjs/swagger';
import { METHOD_NAMES, MethodName } from '../api-metric';

export class ResponseSampleDto {
  @ApiProperty({ description: 'Response time in milliseconds.', example: 150.2 })
  time!: number;

  @ApiProperty({ type: 'integer', description: 'HTTP status code.', example: 200 })
  status!: number;
}

export class RouteMetricsDto {
  @ApiProperty({ example: '/health', description: 'The route as the sender reported it.' })
  route!: string;

  @ApiProperty({ enum: METHOD_NAMES, enumName: 'HttpMethod', example: 'GET' })
  method!: MethodName;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    isArray: true,
    description: 'When each call happened, ascending (RFC 3339, milliseconds, UTC).',
    example: ['2025-01-15T12:00:00.000Z', '2025-01-15T12:01:00.000Z'],
  })
  timestamps!: string[];

  @ApiProperty({
    type: ResponseSampleDto,
    isArray: true,
    description: 'The call at the same position in `timestamps`.',
  })
  responses!: ResponseSampleDto[];
}

export class RecentMetricsDto {
  @ApiProperty({
    type: RouteMetricsDto,
    isArray: true,
    description: 'Ordered by route, then method.',
  })
  metrics!: RouteMetricsDto[];

  @ApiProperty({
    description:
      'More records matched than API_METRICS_MAX_ROWS; the newest ones are returned. Ask ' +
      'for fewer minutes to see a whole window.',
  })
  truncated!: boolean;
}

export class SeriesMetricDto {
  @ApiProperty({ description: '`<METHOD> - <route>`.', example: 'GET - /health' })
  route!: string;

  @ApiProperty({
    type: 'number',
    isArray: true,
    description:
      'Per second of `timestamps`: the slowest response time (ms) that second, -1 when none.',
  })
  responseTime!: number[];

  @ApiProperty({
    type: 'integer',
    isArray: true,
    description: 'The status of that slowest call, -1 when none.',
  })
  responseStatus!: number[];
}

export class SeriesDto {
  @ApiProperty({
    type: 'string',
    format: 'date-time',
    isArray: true,
    description: 'One per second of the window, ascending; the last is the current second.',
  })
  timestamps!: string[];

  @ApiProperty({
    type: SeriesMetricDto,
    isArray: true,
    description: 'Ordered by route, then method.',
  })
  metrics!: SeriesMetricDto[];
}

export class ResponsePercentilesDto {
  @ApiProperty({ type: 'integer', description: 'Records in the window that match.' })
  count!: number;

  @ApiProperty({
    type: 'number',
    nullable: true,
    description: 'Median response time (ms); null when count is 0.',
  })
  p50!: number | null;

  @ApiProperty({
    type: 'number',
    nullable: true,
    description: 'Nearest-rank 95th percentile of response times in ms; null when none matched.',
  })
  p95!: number | null;

  @ApiProperty({
    type: 'number',
    nullable: true,
    description: 'Nearest-rank 99th percentile of response times in ms; null when none matched.',
  })
  p99!: number | null;
}
