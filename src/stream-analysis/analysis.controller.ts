import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { EdgeRequest as Request, EdgeResponse as Response } from '../http/edge-types';
import { ApiKeys } from '../http/api-keys';
import { errorResponse } from '../common/error-response.dto';
import { shown } from '../common/health';
import { AnalysisService, DEFAULT_PERCENTILES } from './analysis.service';
import { AnalysisQueryDto } from './dto/analysis-query.dto';
import { AnalysisStatusDto } from './dto/analysis-status.dto';
import { parseGoDuration } from './duration';
import { StreamConsumer } from './stream-consumer';

@ApiTags('stream-analysis')
@Controller('analysis')
export class AnalysisController {
  constructor(
    private readonly analysis: AnalysisService,
    private readonly consumer: StreamConsumer,
    private readonly keys: ApiKeys,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Engagement percentiles over a window of the post stream',
    description:
      'Durations up to STREAM_LIVE_MAX_MS (60 s) wait that long and describe the posts that ' +
      'arrive during the wait; longer ones answer at once about the posts that arrived in ' +
      'the last `duration`. `mode` forces either; past STREAM_MAX_LIVE_WAITS waits at once, ' +
      '503. Percentiles are exact nearest-rank over the posts that carry the dimension; ' +
      'totals and timestamps are over all posts in the window. Keys: `total_posts`, ' +
      '`minimum_timestamp`, `maximum_timestamp`, and per dimension `<dimension>_p50`, ' +
      '`<dimension>_p90`, `<dimension>_p99` (or `<dimension>_p<value>` for each of ' +
      '`percentiles`), always integers.',
  })
  @ApiOkResponse({
    description:
      'The window, e.g. {"total_posts": 3, "minimum_timestamp": 1695204160, …, "likes_p99": 4738}.',
    headers: {
      'X-Data-Age': {
        description:
          'Whole seconds from the arrival of the newest post in the window to this answer ' +
          "(the seed's staleness header).",
        schema: { type: 'integer', minimum: 0 },
      },
    },
    schema: {
      type: 'object',
      required: ['total_posts', 'minimum_timestamp', 'maximum_timestamp'],
      properties: {
        total_posts: { type: 'integer', minimum: 1 },
        minimum_timestamp: { type: 'integer' },
        maximum_timestamp: { type: 'integer' },
      },
      additionalProperties: { type: 'integer' },
      example: {
        total_posts: 3,
        minimum_timestamp: 1695204160,
        maximum_timestamp: 1695527768,
        likes_p50: 80,
        likes_p90: 4738,
        likes_p99: 4738,
      },
    },
  })
  @ApiBadRequestResponse(
    errorResponse(400, 'Missing or invalid duration, dimension, percentiles or mode.', [
      'duration "10" is not a duration like 5s, 10m or 1h30m',
    ]),
  )
  @ApiNotFoundResponse(
    errorResponse(
      404,
      'No post in the window, or none of them carries a dimension asked for.',
      'no data available for requested dimension and duration: 3 posts arrived in the last ' +
        '10m, none carrying views',
    ),
  )
  @ApiServiceUnavailableResponse(
    errorResponse(
      503,
      'A live wait past STREAM_MAX_LIVE_WAITS; retry after Retry-After seconds (when the ' +
        'soonest running wait ends).',
      '1000 live waits are running (STREAM_MAX_LIVE_WAITS); retry in 12s, or ask for a ' +
        'duration over the live threshold (answered at once from history)',
    ),
  )
  async analyse(
    @Query() q: AnalysisQueryDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Record<string, number>> {
    // A client that disconnects ends its wait: nothing is kept for it.
    const left = new AbortController();
    const onClose = () => left.abort();
    req.socket.once('close', onClose);
    try {
      const percentiles = q.percentiles ?? DEFAULT_PERCENTILES;
      const s = await this.analysis.analyse(
        {
          durationMs: parseGoDuration(q.duration)!,
          dimensions: q.dimension,
          percentiles,
          mode: q.mode,
        },
        left.signal,
      );
      if (s === null) return {};
      res.header('X-Data-Age', String(s.dataAgeSeconds));
      const out: Record<string, number> = {
        total_posts: s.totalPosts,
        minimum_timestamp: s.minTimestamp!,
        maximum_timestamp: s.maxTimestamp!,
      };
      // `p<value>` as `GET /metrics/{id}` names its extra percentiles.
      q.dimension.forEach((d, i) =>
        percentiles.forEach((p, j) => (out[`${d}_p${p}`] = s.fields[i].percentiles[j]!)),
      );
      return out;
    } finally {
      req.socket.off('close', onClose);
    }
  }

  @Get('status')
  @ApiOperation({
    summary: 'The stream consumer and what is retained',
    description:
      "This instance's connection to STREAM_URL (in redis mode, whether it is the one that " +
      'holds it), what it received, and what the post store keeps.',
  })
  @ApiOkResponse({ type: AnalysisStatusDto, description: 'The consumer and the store.' })
  async status(@Req() req: Request): Promise<AnalysisStatusDto> {
    const u = await this.analysis.usage();
    const s = this.consumer.status();
    const detailed = this.keys.maySeeDetails(req);
    const waits = this.analysis.liveWaits();
    return {
      ...s,
      url: shown(s.url, detailed),
      lastError: shown(s.lastError, detailed),
      postsRetained: u.postsRetained,
      oldestRetainedArrival:
        u.oldestRetainedArrival === null ? null : new Date(u.oldestRetainedArrival).toISOString(),
      evictedForMemory: u.evictedForMemory,
      bytes: u.bytes,
      liveWaits: waits.running,
      liveWaitsRefused: waits.refused,
    };
  }
}
