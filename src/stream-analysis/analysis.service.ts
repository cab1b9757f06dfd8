import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { InvalidArgumentError, NotFoundError } from '../common/domain-errors';
import { Periodic } from '../jobs/periodic';
import { StreamSettings } from './stream-analysis.settings';
import { MAX_DURATION_MS, formatDuration } from './duration';
import { DIMENSION_INDEX, Dimension, Post } from './post';
import { PostStore, PostStoreUsage, WindowStats, percentileOf } from './post.store';

/** 24 h: the longest window a query may ask for, and so how long posts are kept. */
export const RETENTION_MS = MAX_DURATION_MS;

export const ANALYSIS_MODES = ['live', 'history'] as const;
export type AnalysisMode = (typeof ANALYSIS_MODES)[number];

export interface AnalysisRequest {
  durationMs: number;
  dimension: Dimension;
  /** Absent: live up to STREAM_LIVE_MAX_MS, history beyond. */
  mode?: AnalysisMode;
}

/** Owns the posts: the consumer adds, queries read, the prune job trims. */
@Injectable()
export class AnalysisService {
  constructor(
    private readonly store: PostStore,
    private readonly clock: Clock,
    private readonly config: StreamSettings,
  ) {}

  ingest(post: Post, eventId?: string): Promise<void> {
    return this.store.add(post, this.clock.now(), eventId);
  }

  /**
   * The seed's question. Live: waits `durationMs` on the clock and describes the posts that
   * arrive meanwhile; history: the posts that arrived in the last `durationMs`. Resolves
   * null when `signal` aborts the wait (the client left: nothing to answer, nothing kept).
   */
  async analyse(req: AnalysisRequest, signal?: AbortSignal): Promise<WindowStats | null> {
    const ms = req.durationMs;
    const live =
      req.mode === 'live' || (req.mode === undefined && ms <= this.config.STREAM_LIVE_MAX_MS);
    if (live && ms > this.config.STREAM_LIVE_LIMIT_MS) {
      throw new InvalidArgumentError(
        `live mode waits at most ${formatDuration(this.config.STREAM_LIVE_LIMIT_MS)} ` +
          '(STREAM_LIVE_LIMIT_MS); use mode=history',
      );
    }
    let from: number;
    let to: number;
    if (live) {
      from = this.clock.now();
      if (!(await this.clock.sleep(ms, signal))) return null;
      to = from + ms;
      await this.store.settled(to);
    } else {
      to = this.clock.now();
      from = to - ms;
    }
    const stats = await this.query(from, to, DIMENSION_INDEX[req.dimension]);
    if (stats.totalPosts === 0) {
      throw new NotFoundError(
        live
          ? `No post arrived during the ${formatDuration(ms)} wait`
          : `No post arrived in the last ${formatDuration(ms)}`,
      );
    }
    return stats;
  }

  /**
   * Posts whose arrival lies in (fromMs, toMs]. Each percentile is selected in its own
   * turn of the event loop, so a query over a full day holds up ingest for a third as long.
   */
  async query(fromMs: number, toMs: number, dimension: number): Promise<WindowStats> {
    const w = await this.store.window(fromMs, toMs, dimension);
    const out: number[] = [];
    for (const p of [50, 90, 99]) {
      await new Promise((resolve) => setImmediate(resolve));
      out.push(percentileOf(w, p) as number);
    }
    return { ...w.stats, p50: out[0], p90: out[1], p99: out[2] };
  }

  /** The upstream event id of the newest post kept (local state), to resume after it. */
  lastEventId(): string | undefined {
    return this.store.lastEventId();
  }

  /** The prune job's work: drop what arrived more than 24 h ago. */
  @Periodic({ name: 'stream-prune', settings: StreamSettings, every: 'STREAM_PRUNE_INTERVAL_MS' })
  prune(): Promise<number> {
    return this.store.pruneOlderThan(this.clock.now() - RETENTION_MS);
  }

  usage(): Promise<PostStoreUsage> {
    return this.store.usage();
  }

  /** Shutdown, after ingest has stopped: the store writes what it holds. */
  close(): Promise<void> {
    return this.store.close();
  }
}
