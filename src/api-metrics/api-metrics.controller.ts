import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { errorResponse } from '../common/error-response.dto';
import { ApiMetricsService } from './api-metrics.service';
import { MinutesQueryDto, PercentilesQueryDto } from './dto/api-metrics-query.dto';
import {
  RecentMetricsDto,
  ResponsePercentilesDto,
  SeriesDto,
} from './dto/api-metrics-response.dto';

const iso = (ms: number) => new Date(ms).toISOString();

@ApiTags('api-metrics')
@ApiBadRequestResponse(
  errorResponse(400, 'A query parameter is invalid.', ['minutes must not be greater than 1440']),
)
@ApiNotFoundResponse(
  errorResponse(
    404,
    'The module is off (API_METRICS_ENABLED=false).',
    'api-metrics is disabled (API_METRICS_ENABLED=false)',
  ),
)
@ApiServiceUnavailableResponse(
  errorResponse(
    503,
    'The database is unreachable; records keep queueing. Retry after Retry-After seconds.',
    'the api-metrics database is unavailable; retry shortly',
  ),
)
@Controller('api-metrics')
export class ApiMetricsController {
  constructor(private readonly metrics: ApiMetricsService) {}

  @Get()
  @ApiOperation({
    summary: 'Records of the last minutes, grouped by route and method',
    description:
      "The seed's `GET /metrics` shape: per route and method, parallel arrays of timestamps " +
      'and responses, ascending. Shows what has been written (records reach the database ' +
      'within API_METRICS_FLUSH_MS).',
  })
  @ApiOkResponse({ type: RecentMetricsDto, description: 'The records, grouped.' })
  async recent(@Query() q: MinutesQueryDto): Promise<RecentMetricsDto> {
    const { metrics, truncated } = await this.metrics.recent(q.minutes);
    return {
      metrics: metrics.map((m) => ({ ...m, timestamps: m.timestamps.map(iso) })),
      truncated,
    };
  }

  @Get('series')
  @ApiOperation({
    summary: 'Per-second grid for dashboards',
    description:
      'One column per second of the window; per route and method the slowest call of each ' +
      'second, -1 where there was none. Answers 400 when the grid would exceed ' +
      'API_METRICS_MAX_SERIES_CELLS cells.',
  })
  @ApiOkResponse({ type: SeriesDto, description: 'The grid.' })
  async series(@Query() q: MinutesQueryDto): Promise<SeriesDto> {
    const { seconds, metrics } = await this.metrics.series(q.minutes);
    return {
      timestamps: seconds.map((s) => iso(s * 1000)),
      metrics: metrics.map((m) => ({
        route: `${m.method} - ${m.route}`,
        responseTime: m.responseTime,
        responseStatus: m.responseStatus,
      })),
    };
  }

  @Get('percentiles')
  @ApiOperation({
    summary: 'Response-time percentiles from the database',
    description:
      'Nearest rank on the sorted response times, P(p) = sorted[ceil(p/100 · n) − 1], ' +
      "computed by PostgreSQL's `percentile_disc`: the same definition as everywhere in Beacon.",
  })
  @ApiOkResponse({ type: ResponsePercentilesDto, description: 'The percentiles.' })
  async percentiles(@Query() q: PercentilesQueryDto): Promise<ResponsePercentilesDto> {
    const { count, values } = await this.metrics.percentiles(q.minutes, q.route, q.method);
    return { count, p50: values[0], p95: values[1], p99: values[2] };
  }
}
