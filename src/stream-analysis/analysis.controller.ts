import { Controller, Get, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { EdgeRequest as Request } from '../http/edge-types';
import { ApiKeys } from '../http/api-keys';
import { errorResponse } from '../common/error-response.dto';
import { shown } from '../common/health';
import { AnalysisService } from './analysis.service';
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
      'the last `duration`. `mode` forces either. Percentiles are exact nearest-rank over the ' +
      'posts that carry the dimension (null if none does); totals and timestamps are over ' +
      'all posts in the window. Keys: `total_posts`, `minimum_timestamp`, `maximum_timestamp`, ' +
      '`<dimension>_p50`, `<dimension>_p90`, `<dimension>_p99`.',
  })
  @ApiOkResponse({
    description:
      'The window, e.g. {"total_posts": 3, "minimum_timestamp": 1695204160, …, "likes_p99": 4738}.',
    schema: {
      type: 'object',
      required: ['total_posts', 'minimum_timestamp', 'maximum_timestamp'],
      properties: {
        total_posts: { type: 'integer', minimum: 1 },
        minimum_timestamp: { type: 'integer' },
        maximum_timestamp: { type: 'integer' },
      },
      additionalProperties: { type: 'integer', nullable: true },
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
    errorResponse(400, 'Missing or invalid duration, dimension or mode.', [
      'duration "10" is not a duration like 5s, 10m or 1h30m',
    ]),
  )
  @ApiNotFoundResponse(
    errorResponse(404, 'No post in the window.', 'No post arrived in the last 10m'),
  )
  async analyse(
    @Query() q: AnalysisQueryDto,
    @Req() req: Request,
  ): Promise<Record<string, number | null>> {
    // A client that disconnects ends its wait: nothing is kept for it.
    const left = new AbortController();
    const onClose = () => left.abort();
    req.socket.once('close', onClose);
    try {
      const s = await this.analysis.analyse(
        { durationMs: parseGoDuration(q.duration)!, dimension: q.dimension, mode: q.mode },
        left.signal,
      );
      if (s === null) return {};
      return {
        total_posts: s.totalPosts,
        minimum_timestamp: s.minTimestamp,
        maximum_timestamp: s.maxTimestamp,
        [`${q.dimension}_p50`]: s.p50,
        [`${q.dimension}_p90`]: s.p90,
        [`${q.dimension}_p99`]: s.p99,
      };
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
    return {
      ...s,
      url: shown(s.url, detailed),
      lastError: shown(s.lastError, detailed),
      postsRetained: u.postsRetained,
      oldestRetainedArrival:
        u.oldestRetainedArrival === null ? null : new Date(u.oldestRetainedArrival).toISOString(),
      evictedForMemory: u.evictedForMemory,
      bytes: u.bytes,
    };
  }
}
