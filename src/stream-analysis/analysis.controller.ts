import { Controller, Get, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorResponseDto } from '../common/error-response.dto';
import { InvalidArgumentError, NotFoundError } from '../common/domain-errors';
import { Environment } from '../config/environment';
import { AnalysisService, RETENTION_MS } from './analysis.service';
import { parseGoDuration } from './duration';
import { DIMENSIONS, DIMENSION_INDEX } from './post';
import { AnalysisStatusDto } from './dto/analysis-status.dto';
import { StreamConsumer } from './stream-consumer';

const MIN_MS = 5000;

function fmt(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

@ApiTags('stream-analysis')
@Controller('analysis')
export class AnalysisController {
  constructor(
    private readonly analysis: AnalysisService,
    private readonly consumer: StreamConsumer,
    private readonly env: Environment,
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
  @ApiQuery({
    name: 'duration',
    description: 'Go duration, 5s to 24h: 5s, 10m, 1h30m.',
    example: '24h',
  })
  @ApiQuery({ name: 'dimension', enum: DIMENSIONS, enumName: 'Dimension' })
  @ApiQuery({ name: 'mode', enum: ['live', 'history'], required: false })
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
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'Missing or invalid duration, dimension or mode.',
  })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No post in the window.' })
  async analyse(
    @Query('duration') duration: unknown,
    @Query('dimension') dimension: unknown,
    @Query('mode') mode: unknown,
    @Req() req: Request,
  ): Promise<Record<string, number | null>> {
    const ms = this.duration(duration);
    if (typeof dimension !== 'string' || !Object.hasOwn(DIMENSION_INDEX, dimension)) {
      throw new InvalidArgumentError(`dimension must be one of: ${DIMENSIONS.join(', ')}`);
    }
    if (mode !== undefined && mode !== 'live' && mode !== 'history') {
      throw new InvalidArgumentError('mode must be live or history');
    }
    const live = mode === 'live' || (mode === undefined && ms <= this.env.STREAM_LIVE_MAX_MS);
    if (live && ms > this.env.STREAM_LIVE_LIMIT_MS) {
      throw new InvalidArgumentError(
        `live mode waits at most ${fmt(this.env.STREAM_LIVE_LIMIT_MS)} (STREAM_LIVE_LIMIT_MS); use mode=history`,
      );
    }
    let from: number;
    let to: number;
    if (live) {
      from = this.analysis.now();
      const waited = await this.wait(ms, req);
      if (!waited) return {}; // the client left: nothing to answer, nothing kept
      to = from + ms;
    } else {
      to = this.analysis.now();
      from = to - ms;
    }
    const s = await this.analysis.query(from, to, DIMENSION_INDEX[dimension]);
    if (s.totalPosts === 0) {
      throw new NotFoundError(
        live
          ? `No post arrived during the ${fmt(ms)} wait`
          : `No post arrived in the last ${fmt(ms)}`,
      );
    }
    return {
      total_posts: s.totalPosts,
      minimum_timestamp: s.minTimestamp,
      maximum_timestamp: s.maxTimestamp,
      [`${dimension}_p50`]: s.p50,
      [`${dimension}_p90`]: s.p90,
      [`${dimension}_p99`]: s.p99,
    };
  }

  @Get('status')
  @ApiOperation({ summary: 'The stream consumer and what is retained' })
  @ApiOkResponse({ type: AnalysisStatusDto })
  async status(): Promise<AnalysisStatusDto> {
    const u = await this.analysis.usage();
    return {
      ...this.consumer.status(),
      postsRetained: u.postsRetained,
      oldestRetainedArrival:
        u.oldestRetainedArrival === null ? null : new Date(u.oldestRetainedArrival).toISOString(),
      evictedForMemory: u.evictedForMemory,
      bytes: u.bytes,
    };
  }

  private duration(raw: unknown): number {
    if (raw === undefined || raw === '') {
      throw new InvalidArgumentError('duration is required, e.g. ?duration=10m (5s to 24h)');
    }
    if (typeof raw !== 'string') throw new InvalidArgumentError('duration must be given once');
    const ms = parseGoDuration(raw);
    if (ms === null) {
      throw new InvalidArgumentError(
        `duration "${raw.slice(0, 64)}" is not a duration like 5s, 10m or 1h30m`,
      );
    }
    if (ms < MIN_MS) throw new InvalidArgumentError(`duration ${raw} is too short: at least 5s`);
    if (ms > RETENTION_MS)
      throw new InvalidArgumentError(`duration ${raw} is too long: at most 24h`);
    return ms;
  }

  /** Resolves true after `ms`, or false as soon as the client disconnects. */
  private wait(ms: number, req: Request): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        req.socket.off('close', onClose);
        resolve(ok);
      };
      const onClose = () => done(false);
      const timer = setTimeout(() => done(true), ms);
      req.socket.once('close', onClose);
    });
  }
}
