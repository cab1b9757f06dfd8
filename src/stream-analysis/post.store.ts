import { nearestRankIndex } from '../common/percentile';
import { Post } from './post';
import { kthOfSortedRuns } from './select';

/** What a window holds, over every post in it whatever fields they carry. */
export interface WindowTotals {
  totalPosts: number;
  minTimestamp: number | null;
  maxTimestamp: number | null;
  /** Arrival (epoch ms) of the newest post in the window; null when it is empty. */
  newestArrival: number | null;
}

/** One engagement field's values in a window: sorted runs, `count` values in all. */
export interface FieldRuns {
  runs: Float64Array[];
  count: number;
}

export interface WindowRuns {
  stats: WindowTotals;
  /** One per dimension asked for, in the order asked. */
  fields: FieldRuns[];
}

/** Exact nearest-rank percentile `p` of a field's runs; null when it has no value. */
export function percentileOf(f: FieldRuns, p: number): number | null {
  const n = f.count;
  return n === 0 ? null : kthOfSortedRuns(f.runs, n, nearestRankIndex(p, n) + 1);
}

export interface PostStoreUsage {
  postsRetained: number;
  /** Arrival (epoch ms) of the oldest post kept, null when empty. */
  oldestRetainedArrival: number | null;
  /** Posts dropped early because of the memory bound. */
  evictedForMemory: number;
  bytes: number;
  /** Redis mode: what the leader held while Redis was away, and appends refused by the fence. */
  sharing?: {
    held: number;
    heldWhileAway: number;
    droppedWhileAway: number;
    fenced: number;
    /** Appends whose outcome Redis never told (a connection lost mid-way): not resent. */
    unknown: number;
  };
}

/**
 * Posts by arrival time. Narrow and async, so a shared implementation (Redis, many
 * instances) can replace the in-memory one without touching the service.
 */
export abstract class PostStore {
  /**
   * @param eventId the upstream SSE event id it came with, if any: a shared store keeps the
   *                last one, so whoever consumes the stream next resumes after it
   */
  abstract add(post: Post, arrivalMs: number, eventId?: string): Promise<void>;
  /**
   * Totals, and sorted runs of each field in `dimensions`, for posts whose arrival lies in
   * (fromMs, toMs]: one pass over the window however many fields are asked for. The runs
   * may be shared with the store but are never modified afterwards.
   */
  abstract window(fromMs: number, toMs: number, dimensions: readonly number[]): Promise<WindowRuns>;
  abstract pruneOlderThan(beforeMs: number): Promise<number>;
  abstract usage(): Promise<PostStoreUsage>;

  /**
   * Resolves once every post that arrived by `toMs` is in the store (a shared store applies
   * the leader's posts a moment after they arrive), so a live window ending at `toMs` counts
   * them all. A local store has them at once.
   */
  settled(_toMs: number): Promise<void> {
    return Promise.resolve();
  }

  /**
   * The upstream event id of the newest post in a kept log (local state after a restart),
   * so the consumer resumes with Last-Event-ID; undefined when the store keeps none.
   */
  lastEventId(): string | undefined {
    return undefined;
  }

  /** Writes what it still holds and lets go of what it uses; nothing is added after. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
