import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { Post } from './post';
import { PostStore, PostStoreUsage, WindowStats, percentileOf } from './post.store';

/** 24 h: the longest window a query may ask for, and so how long posts are kept. */
export const RETENTION_MS = 86_400_000;

/** Owns the posts: the consumer adds, queries read, the prune job trims. */
@Injectable()
export class AnalysisService {
  constructor(
    private readonly store: PostStore,
    private readonly clock: Clock,
  ) {}

  now(): number {
    return this.clock.now();
  }

  ingest(post: Post): Promise<void> {
    return this.store.add(post, this.clock.now());
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

  /** The prune job's work: drop what arrived more than 24 h ago. */
  prune(): Promise<number> {
    return this.store.pruneOlderThan(this.clock.now() - RETENTION_MS);
  }

  usage(): Promise<PostStoreUsage> {
    return this.store.usage();
  }
}
