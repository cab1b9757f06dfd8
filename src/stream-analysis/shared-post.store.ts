import { Logger } from '@nestjs/common';
import { errorText } from '../common/error-text';
import { AppendUnknownError, FencedError, NotAppendedError } from '../shared-state/fold';
import { SharedLog } from '../shared-state/shared-log';
import { SharedState } from '../shared-state/shared-state';
import { RETENTION_MS } from './analysis.service';
import { InMemoryPostStore } from './in-memory-post.store';
import { DIMENSIONS, Post } from './post';
import { PostStore, PostStoreUsage, WindowRuns } from './post.store';
import { PostOp, decodePostOps, encodePostOps } from './post-ops';
import { StreamLeadership } from './stream-leadership';

const RETRY_MS = 500;
/** How long a live answer waits for posts still on their way through the log. */
const SETTLE_MS = 250;

/**
 * Posts as a fold of the stream log (`STATE_BACKEND=local` or `redis`). Local: this process
 * appends every post to its log under DATA_DIR with the event id it came with, and a restart
 * replays the 24 h window and resumes upstream after the newest event id kept.
 *
 * Redis mode: the leader (the one instance that holds the upstream connection) appends
 * every post to the shared stream log, fenced by its lock, with the event id it came with;
 * every instance folds the log into its `InMemoryPostStore`, so `/analysis` answers alike
 * everywhere and counts each post once. The log keeps 24 h; a new instance replays it
 * before it serves. While Redis is away the leader keeps its upstream connection and holds
 * up to `maxBuffered` posts (the oldest dropped first, counted), appended in order when
 * Redis is back, unless the lock was lost meanwhile (a new leader resumes upstream from the
 * last event id appended, so the held posts are dropped, counted).
 */
export class SharedPostStore extends PostStore {
  private readonly logger = new Logger('SharedPostStore');
  private readonly held: PostOp[] = [];
  private retry: NodeJS.Timeout | null = null;
  private flushing = false;
  private readonly counts = { heldWhileAway: 0, droppedWhileAway: 0, fenced: 0, unknown: 0 };
  /** Arrival of the newest post applied here. */
  private appliedUpTo = -Infinity;
  /** The upstream event id of the newest post applied that had one. */
  private lastEvent: string | undefined;
  private settling: { toMs: number; resolve: () => void }[] = [];

  private log!: SharedLog<PostOp, void>;

  private constructor(
    private readonly local: InMemoryPostStore,
    private readonly leadership: StreamLeadership,
    private readonly maxBuffered: number,
  ) {
    super();
    leadership.onChange((leader) => {
      if (!leader && this.held.length > 0) {
        this.counts.droppedWhileAway += this.held.length;
        this.held.length = 0;
      }
    });
  }

  static async open(
    local: InMemoryPostStore,
    shared: SharedState,
    leadership: StreamLeadership,
    maxBuffered: number,
  ): Promise<SharedPostStore> {
    const store = new SharedPostStore(local, leadership, maxBuffered);
    store.log = await shared.open<PostOp, void>(
      'stream',
      { apply: (op) => store.applyPost(op), encode: encodePostOps, decode: decodePostOps },
      {
        keepMs: RETENTION_MS,
        // Redis: posts gathered for 50 ms make one entry (a day at 100 posts/s is 1.7 M
        // entries, not 8.6 M). Local: one turn's posts (an SSE chunk's) make one write.
        batchDelayMs: shared.shared ? 50 : 0,
        fence: { lockKey: leadership.lockKey, value: () => leadership.value },
        alongside: {
          key: leadership.lastEventIdKey,
          value: (ops) => {
            for (let i = ops.length - 1; i >= 0; i--) {
              const e = (ops[i] as PostOp).e;
              if (e !== undefined) return e;
            }
            return null;
          },
        },
      },
    );
    return store;
  }

  async add(post: Post, arrivalMs: number, eventId?: string): Promise<void> {
    const v: (number | null)[] = [];
    for (let d = 0; d < DIMENSIONS.length; d++) {
      const x = post.values[d];
      v.push(Number.isNaN(x) ? null : x);
    }
    while (v.length > 0 && v[v.length - 1] === null) v.pop();
    const op: PostOp = { a: arrivalMs, t: post.timestamp, v, ...(eventId ? { e: eventId } : {}) };
    // Order is kept: while posts are held, new ones queue behind them.
    if (this.held.length > 0) return this.hold(op);
    await this.send(op);
  }

  window(fromMs: number, toMs: number, dimensions: readonly number[]): Promise<WindowRuns> {
    return this.local.window(fromMs, toMs, dimensions);
  }

  /** Local: every instance drops what is older than 24 h at its own pace; no answer changes. */
  pruneOlderThan(beforeMs: number): Promise<number> {
    return this.local.pruneOlderThan(beforeMs);
  }

  override settled(toMs: number): Promise<void> {
    if (this.appliedUpTo >= toMs) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = { toMs, resolve };
      this.settling.push(entry);
      // Nothing may arrive after the window at all: then the wait is just this long.
      setTimeout(() => {
        this.settling = this.settling.filter((s) => s !== entry);
        resolve();
      }, SETTLE_MS).unref();
    });
  }

  async usage(): Promise<PostStoreUsage> {
    return { ...(await this.local.usage()), sharing: { held: this.held.length, ...this.counts } };
  }

  /** Shutdown, after the consumer has stopped: appends what it holds if it can, then stops. */
  override async close(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    if (this.held.length > 0) await this.flushHeld();
    await this.log.stop();
  }

  override lastEventId(): string | undefined {
    return this.lastEvent;
  }

  /** The fold: one post into the local store, at its arrival on the leader's clock. */
  private applyPost(op: PostOp): void {
    if (op.e !== undefined) this.lastEvent = op.e;
    // A new leader's clock may trail the old one's by a fraction of a ms.
    this.appliedUpTo = Math.max(this.appliedUpTo, op.a);
    const values = new Array<number>(DIMENSIONS.length);
    for (let d = 0; d < values.length; d++) values[d] = op.v[d] ?? NaN;
    // The synchronous append: a replay applies millions, one promise each would show.
    this.local.append({ type: '', timestamp: op.t, values }, this.appliedUpTo);
    if (this.settling.length > 0) {
      const done = this.settling.filter((s) => s.toMs <= this.appliedUpTo);
      this.settling = this.settling.filter((s) => s.toMs > this.appliedUpTo);
      for (const s of done) s.resolve();
    }
  }

  private async send(op: PostOp): Promise<void> {
    try {
      await this.log.append(op);
    } catch (err) {
      if (err instanceof FencedError) {
        this.counts.fenced++;
        this.leadership.lost();
      } else if (err instanceof NotAppendedError) {
        this.hold(op);
      } else if (err instanceof AppendUnknownError) {
        // Perhaps in the log, perhaps not: sending it again could count it twice.
        this.counts.unknown++;
      }
      // Otherwise it is in the log and will be applied: nothing to do.
    }
  }

  private hold(op: PostOp): void {
    if (!this.leadership.isLeader) {
      this.counts.droppedWhileAway++;
      return;
    }
    if (this.held.length === 0) {
      this.logger.warn('Redis is away: holding posts until it is back');
    }
    this.held.push(op);
    this.counts.heldWhileAway++;
    if (this.held.length > this.maxBuffered) {
      this.held.shift();
      this.counts.droppedWhileAway++;
    }
    this.retry ??= setTimeout(() => void this.flushHeld(), RETRY_MS);
  }

  /** Appends what was held, in order, once Redis takes appends again. */
  private async flushHeld(): Promise<void> {
    this.retry = null;
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.held.length > 0 && this.leadership.isLeader) {
        const batch = this.held.slice(0, 1000);
        const results = await Promise.allSettled(batch.map((op) => this.log.append(op)));
        const refused = results.findIndex(
          (r) => r.status === 'rejected' && r.reason instanceof NotAppendedError,
        );
        if (results.some((r) => r.status === 'rejected' && r.reason instanceof FencedError)) {
          this.counts.fenced++;
          this.leadership.lost();
          return;
        }
        if (refused >= 0) {
          // Still away (or away again): keep the rest, in order, and try later.
          this.held.splice(0, refused);
          break;
        }
        this.held.splice(0, batch.length);
      }
      if (this.held.length === 0) this.logger.log('Redis is back: held posts appended');
    } catch (err) {
      this.logger.warn(`appending held posts failed: ${errorText(err)}`);
    } finally {
      this.flushing = false;
      if (this.held.length > 0 && this.leadership.isLeader) {
        this.retry ??= setTimeout(() => void this.flushHeld(), RETRY_MS);
      }
    }
  }
}
