import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { Post } from './post';
import { PostStore, WindowStats } from './post-store';

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

  ingest(post: Post): void {
    this.store.add(post, this.clock.now());
  }

  /** Posts whose arrival lies in (fromMs, toMs]. */
  query(fromMs: number, toMs: number, dimension: number): WindowStats {
    return this.store.query(fromMs, toMs, dimension);
  }

  prune(): number {
    return this.store.prune(this.clock.now() - RETENTION_MS);
  }

  usage() {
    return {
      postsRetained: this.store.size,
      oldestRetainedArrival: this.store.oldestArrival,
      evictedForMemory: this.store.evicted,
      bytes: this.store.bytes(),
    };
  }
}
