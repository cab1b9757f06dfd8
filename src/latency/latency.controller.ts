import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { EdgeResponse } from '../http/edge-types';
import { errorResponse } from '../common/error-response.dto';
import { ConfigureMetricDto } from './dto/configure-metric.dto';
import { MetricSnapshotDto } from './dto/metric-snapshot.dto';
import { AcceptedDto, RecordLatenciesDto, RecordLatencyDto } from './dto/record-latency.dto';
import { LatencyService, LatencySnapshot } from './latency.service';
import { METRIC_ID_PARAM, MetricIdPipe } from './metric-id.pipe';
import { PERCENTILES_MESSAGE, PERCENTILES_QUERY, PercentilesPipe } from './percentiles.pipe';

const BAD_SAMPLE = errorResponse(400, 'Invalid id or body; nothing was recorded.', [
  'latency_ns must be a positive integer no larger than 9007199254740991',
]);
const BAD_BATCH = errorResponse(400, 'Invalid id or body; nothing was recorded.', [
  'each value in latencies_ns must be a positive integer no larger than 9007199254740991',
]);
const BAD_PERCENTILES = errorResponse(400, 'Invalid id or `percentiles`.', [PERCENTILES_MESSAGE]);
const BAD_CONFIG = errorResponse(400, 'Invalid id or body; nothing was changed.', [
  'window_ms must not exceed 86400000 (LATENCY_MAX_WINDOW_MS)',
]);
const BAD_ID = errorResponse(400, 'Invalid id.', [
  'id must be shorter than or equal to 200 characters',
]);
const NOT_FOUND = errorResponse(404, 'No metric with this id.', "Metric 'checkout' not found");
const LIMIT = errorResponse(
  409,
  'Creating the metric would exceed LATENCY_MAX_METRICS or LATENCY_MAX_TOTAL_SAMPLES.',
  'Metric limit reached (10000); delete a metric or raise LATENCY_MAX_METRICS',
);
const TOO_LARGE = errorResponse(
  413,
  'Body larger than BODY_LIMIT.',
  'Request body is larger than BODY_LIMIT',
);

const STATE_UNAVAILABLE = errorResponse(
  503,
  'The state could not be written (local: the disk refuses writes; redis mode: Redis is ' +
    'unreachable, full or read-only). When the message says nothing was changed or ' +
    'recorded, send it again after Retry-After seconds. Redis mode only: when it says the ' +
    'write "may or may not have been recorded" (Redis did not answer within ' +
    'REDIS_WRITE_TIMEOUT_MS, or the connection dropped), a resent sample may count twice.',
  'the latency state could not be written to disk (ENOSPC); nothing was changed',
);

@ApiTags('latency')
@Controller('metrics')
export class LatencyController {
  constructor(private readonly latency: LatencyService) {}

  @Post(':id/latency')
  @ApiParam(METRIC_ID_PARAM)
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Record one latency sample',
    description: 'Creates the metric with the default window and cap if it does not exist.',
  })
  @ApiAcceptedResponse({ description: 'Recorded. Empty body.' })
  @ApiBadRequestResponse(BAD_SAMPLE)
  @ApiConflictResponse(LIMIT)
  @ApiPayloadTooLargeResponse(TOO_LARGE)
  @ApiServiceUnavailableResponse(STATE_UNAVAILABLE)
  async record(
    @Param('id', MetricIdPipe) id: string,
    @Body() body: RecordLatencyDto,
  ): Promise<void> {
    await this.latency.record(id, [body.latency_ns]);
  }

  @Post(':id/latencies')
  @ApiParam(METRIC_ID_PARAM)
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Record a batch of latency samples',
    description: 'All samples get the same arrival time. One invalid value rejects the batch.',
  })
  @ApiAcceptedResponse({ type: AcceptedDto, description: 'Recorded, every sample of the batch.' })
  @ApiBadRequestResponse(BAD_BATCH)
  @ApiConflictResponse(LIMIT)
  @ApiPayloadTooLargeResponse(TOO_LARGE)
  @ApiServiceUnavailableResponse(STATE_UNAVAILABLE)
  async recordBatch(
    @Param('id', MetricIdPipe) id: string,
    @Body() body: RecordLatenciesDto,
  ): Promise<AcceptedDto> {
    return { accepted: await this.latency.record(id, body.latencies_ns) };
  }

  @Get()
  @ApiOperation({
    summary: 'Snapshots of every metric, sorted by MetricID',
    description: 'Every metric as `GET /metrics/{id}` gives it; `[]` when there is none.',
  })
  @ApiQuery(PERCENTILES_QUERY)
  @ApiOkResponse({ type: MetricSnapshotDto, isArray: true, description: 'Every metric.' })
  @ApiBadRequestResponse(BAD_PERCENTILES)
  async list(
    @Query('percentiles', PercentilesPipe) percentiles?: number[],
  ): Promise<MetricSnapshotDto[]> {
    const snapshots = await this.latency.list(percentiles);
    return snapshots.map((s) => toDto(s, percentiles !== undefined));
  }

  @Get(':id')
  @ApiParam(METRIC_ID_PARAM)
  @ApiOperation({
    summary: 'Snapshot of one metric: count and P50/P95/P99 over its window',
    description:
      'Nearest-rank percentiles, `sorted[ceil(p/100·n) − 1]`, over the samples inside the ' +
      'window; `percentiles=90,99.9` adds any others.',
  })
  @ApiQuery(PERCENTILES_QUERY)
  @ApiOkResponse({ type: MetricSnapshotDto, description: 'The metric now.' })
  @ApiBadRequestResponse(BAD_PERCENTILES)
  @ApiNotFoundResponse(NOT_FOUND)
  async get(
    @Param('id', MetricIdPipe) id: string,
    @Query('percentiles', PercentilesPipe) percentiles?: number[],
  ): Promise<MetricSnapshotDto> {
    return toDto(await this.latency.snapshot(id, percentiles), percentiles !== undefined);
  }

  @Put(':id')
  @ApiParam(METRIC_ID_PARAM)
  @ApiOperation({
    summary: 'Create or reconfigure a metric',
    description:
      'Changing the window applies to the next read; lowering max_samples drops the oldest ' +
      'samples at once. Widening the window does not bring back samples already evicted.',
  })
  @ApiCreatedResponse({ type: MetricSnapshotDto, description: 'Created.' })
  @ApiOkResponse({ type: MetricSnapshotDto, description: 'Reconfigured.' })
  @ApiBadRequestResponse(BAD_CONFIG)
  @ApiConflictResponse(LIMIT)
  @ApiServiceUnavailableResponse(STATE_UNAVAILABLE)
  async configure(
    @Param('id', MetricIdPipe) id: string,
    @Body() body: ConfigureMetricDto,
    @Res({ passthrough: true }) res: EdgeResponse,
  ): Promise<MetricSnapshotDto> {
    const { created, snapshot } = await this.latency.configure(id, {
      windowMs: body.window_ms,
      maxSamples: body.max_samples,
    });
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return toDto(snapshot, false);
  }

  @Delete(':id')
  @ApiParam(METRIC_ID_PARAM)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete a metric and its samples',
    description: 'Frees its slot under LATENCY_MAX_METRICS and its share of the sample budget.',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiServiceUnavailableResponse(STATE_UNAVAILABLE)
  async remove(@Param('id', MetricIdPipe) id: string): Promise<void> {
    await this.latency.remove(id);
  }
}

function toDto(s: LatencySnapshot, withExtra: boolean): MetricSnapshotDto {
  const dto: MetricSnapshotDto = {
    MetricID: s.id,
    Window: s.windowMs * 1_000_000,
    MaxSamples: s.maxSamples,
    Count: s.count,
    P50: s.p50,
    P95: s.p95,
    P99: s.p99,
    Truncated: s.truncated,
  };
  if (withExtra) {
    // A Map-free plain object is safe here: keys are `p` + a number, never client strings.
    dto.Percentiles = Object.fromEntries(s.extra.map(({ p, value }) => [`p${p}`, value]));
  }
  return dto;
}
