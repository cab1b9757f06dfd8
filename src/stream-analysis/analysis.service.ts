import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../common/domain-errors';
import { Periodic } from '../jobs/periodic';
import { StreamSettings } from './stream-analysis.settings';
import { MAX_DURATION_MS, formatDuration } from './duration';
import { DIMENSION_INDEX, Dimension, Post } from './post';
import { PostStore, PostStoreUsage, WindowTotals, percentileOf } from './post.store';

/** 24 h: the longest window a query may ask for, and so how long posts are kept. */
export const RETENTION_MS = MAX_DURATION_MS;

export const ANALYSIS_MODES = ['live', 'history'] as const;
export type AnalysisMode = (typeof ANALYSIS_MODES)[number];

/** The seed's three, unless a request asks for others. */
export const DEFAULT_PERCENTILES: readonly number[] = [50, 90, 99];

export interface AnalysisRequest {
  durationMs: number;
  /** One or more, each once. */
  dimensions: readonly Dimension[];
  /** Nearest-rank percentiles to give for each dimension; default DEFAULT_PERCENTILES. */
  percentiles?: readonly number[];
  /** Absent: live up to STREAM_LIVE_MAX_MS, history beyond. */
  mode?: AnalysisMode;
}

/** A window's totals and, per dimension asked for, the percentiles asked for. */
export interface WindowStats extends WindowTotals {
  /** In the order asked. */
  fields: {
    /** Posts in the window that carry the dimension. */
    count: number;
    /** In the order asked; null when no post carries the dimension. */
    percentiles: (number | null)[];
  }[];
}

/** What `/analysis` answers: the window, and how old its newest post is. */
export interface Analysis extends WindowStats {
  /** Whole seconds from the newest post's arrival to the answer. */
  dataAgeSeconds: number;
}

/** Owns the posts: the consumer adds, queries read, the prune job trims. */
@Injectable()
export class AnalysisService {
  /** Live waits running: how many end at each instant (epoch ms). */
  private readonly waits = new Map<number, number>();
  private runningWaits = 0;
  private refusedWaits = 0;

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
   * 404 when no post arrived in the window, or none of them carries a dimension asked for
   * (the seed's "no data available for requested dimension and duration").
   */
  async analyse(req: AnalysisRequest, signal?: AbortSignal): Promise<Analysis | null> {
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
      to = from + ms;
      if (!(await this.liveWait(to, signal))) return null;
      await this.store.settled(to);
    } else {
      to = this.clock.now();
      from = to - ms;
    }
    const dims = req.dimensions;
    const stats = await this.query(
      from,
      to,
      dims.map((d) => DIMENSION_INDEX[d]),
      req.percentiles,
    );
    const where = live
      ? `during the ${formatDuration(ms)} wait`
      : `in the last ${formatDuration(ms)}`;
    if (stats.totalPosts === 0) throw new NotFoundError(`No post arrived ${where}`);
    const missing = dims.filter((_, i) => stats.fields[i].count === 0);
    if (missing.length > 0) {
      const posts = stats.totalPosts === 1 ? '1 post' : `${stats.totalPosts} posts`;
      throw new NotFoundError(
        'no data available for requested dimension and duration: ' +
          `${posts} arrived ${where}, ${missing.map((d) => `none carrying ${d}`).join(', ')}`,
      );
    }
    const newest = stats.newestArrival ?? to;
    const dataAgeSeconds = Math.max(0, Math.floor((this.clock.now() - newest) / 1000));
    return { ...stats, dataAgeSeconds };
  }

  /**
   * Sleeps until `endMs` on the clock, holding one of STREAM_MAX_LIVE_WAITS places; past
   * the cap, 503 with Retry-After when the soonest wait ends. False when `signal` aborted.
   */
  private async liveWait(endMs: number, signal?: AbortSignal): Promise<boolean> {
    const cap = this.config.STREAM_MAX_LIVE_WAITS;
    if (this.runningWaits >= cap) {
      this.refusedWaits++;
      let soonest = Infinity;
      for (const end of this.waits.keys()) if (end < soonest) soonest = end;
      const seconds = Math.max(1, Math.ceil((soonest - this.clock.now()) / 1000));
      throw new UnavailableError(
        `${cap} live waits are running (STREAM_MAX_LIVE_WAITS); retry in ${seconds}s, ` +
          'or ask for a duration over the live threshold (answered at once from history)',
        seconds,
      );
    }
    // Counted by end time: the soonest end says when a place frees.
    this.waits.set(endMs, (this.waits.get(endMs) ?? 0) + 1);
    this.runningWaits++;
    try {
      return await this.clock.sleep(endMs - this.clock.now(), signal);
    } finally {
      this.runningWaits--;
      const left = this.waits.get(endMs)! - 1;
      if (left === 0) this.waits.delete(endMs);
      else this.waits.set(endMs, left);
    }
  }

  /** Live waits running now, and those refused at STREAM_MAX_LIVE_WAITS since start. */
  liveWaits(): { running: number; refused: number } {
    return { running: this.runningWaits, refused: this.refusedWaits };
  }

  /**
   * Posts whose arrival lies in (fromMs, toMs], with the percentiles of each dimension, in
   * one pass over the window. Each percentile is selected in its own turn of the event
   * loop, so a query over a full day holds up ingest for a fraction as long.
   */
  async query(
    fromMs: number,
    toMs: number,
    dimensions: readonly number[],
    percentiles: readonly number[] = DEFAULT_PERCENTILES,
  ): Promise<WindowStats> {
    const w = await this.store.window(fromMs, toMs, dimensions);
    const fields: WindowStats['fields'] = [];
    for (const f of w.fields) {
      const values: (number | null)[] = [];
      for (const p of percentiles) {
        await new Promise((resolve) => setImmediate(resolve));
        values.push(percentileOf(f, p));
      }
      fields.push({ count: f.count, percentiles: values });
    }
    return { ...w.stats, fields };
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
