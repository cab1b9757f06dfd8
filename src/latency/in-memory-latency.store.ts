import { Mutex } from 'async-mutex';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { LimitExceededError } from '../common/domain-errors';
import { LatencyStore, LatencyUsage, MetricConfig, MetricState } from './latency.store';
import { packSnapshot, unpackSnapshot } from '../shared-state/snapshot';
import { SlidingWindow, SlidingWindowMeta } from './sliding-window';

export interface LatencyLimits {
  defaults: MetricConfig;
  maxMetrics: number;
  /** Ceiling on the sum of `maxSamples` over all metrics, which bounds memory. */
  maxTotalSamples: number;
}

/**
 * What idle expiry needs of a metric: created by a sample (`implicit`, until a `configure`
 * adopts it) and the time of its newest sample (or of its creation).
 */
interface Activity {
  implicit: boolean;
  last: number;
}

type SnapshotMetric = SlidingWindowMeta & { id: string; implicit?: boolean; last?: number };

/** Metrics pruned between yields to the event loop, so a big prune never stalls requests. */
const PRUNE_SLICE = 256;

/**
 * Samples in process memory, one `SlidingWindow` per metric.
 *
 * Record, configure, snapshot and remove are synchronous inside: Node runs them to
 * completion, so they need no lock. Pruning yields between slices of metrics; the
 * mutex keeps two prune passes from overlapping, and each slice re-reads the map so a
 * metric removed meanwhile is simply skipped.
 */
export class InMemoryLatencyStore extends LatencyStore {
  private readonly metrics = new Map<string, SlidingWindow>();
  private readonly activity = new Map<string, Activity>();
  private readonly pruneLock = new Mutex();
  private reservedSamples = 0;
  private expiredIdle = 0;
  private refusedAtLimit = 0;

  constructor(private readonly limits: LatencyLimits) {
    super();
  }

  async record(id: string, latenciesNs: ArrayLike<number>, at: number): Promise<void> {
    this.recordNow(id, latenciesNs, at);
  }

  /** `record` without the promise, for a log's replay (a million samples, a million promises). */
  recordNow(id: string, latenciesNs: ArrayLike<number>, at: number): void {
    let window = this.metrics.get(id);
    if (!window) {
      try {
        window = this.create(id, this.limits.defaults, at, true);
      } catch (err) {
        if (err instanceof LimitExceededError) this.refusedAtLimit++;
        throw err;
      }
    } else {
      const a = this.activity.get(id)!;
      if (at > a.last) a.last = at;
    }
    window.add(latenciesNs, at);
  }

  async configure(
    id: string,
    changes: Partial<MetricConfig>,
    at: number,
  ): Promise<{ created: boolean }> {
    const existing = this.metrics.get(id);
    if (!existing) {
      const { defaults } = this.limits;
      this.create(
        id,
        {
          windowMs: changes.windowMs ?? defaults.windowMs,
          maxSamples: changes.maxSamples ?? defaults.maxSamples,
        },
        at,
        false,
      );
      return { created: true };
    }
    const windowMs = changes.windowMs ?? existing.windowMs;
    const maxSamples = changes.maxSamples ?? existing.maxSamples;
    this.reserve(maxSamples - existing.maxSamples);
    existing.reconfigure(windowMs, maxSamples, at);
    this.activity.get(id)!.implicit = false; // a PUT adopts it (not a refused one)
    return { created: false };
  }

  async snapshot(
    id: string,
    at: number,
    percentiles: readonly number[],
  ): Promise<MetricState | undefined> {
    const window = this.metrics.get(id);
    return window && stateOf(id, window, at, percentiles);
  }

  async snapshotAll(
    at: number,
    percentiles: readonly number[],
    limit = Infinity,
  ): Promise<MetricState[]> {
    const ids = [...this.metrics.keys()].sort().slice(0, limit);
    return ids.map((id) => stateOf(id, this.metrics.get(id)!, at, percentiles));
  }

  async remove(id: string): Promise<boolean> {
    return this.drop(id);
  }

  /**
   * Synchronous, like every op the shared log applies: the log does not wait between ops,
   * so an await in here would let the next op in (a sample for a metric about to go)
   * on some replicas and not on others.
   */
  async expireIdle(at: number, idleMs: number): Promise<number> {
    const idle = this.idleIds(at, idleMs);
    for (const id of idle) this.drop(id);
    this.expiredIdle += idle.length;
    return idle.length;
  }

  private drop(id: string): boolean {
    const window = this.metrics.get(id);
    if (!window) return false;
    this.metrics.delete(id);
    this.activity.delete(id);
    this.reservedSamples -= window.maxSamples;
    return true;
  }

  /** The metrics `expireIdle(at, idleMs)` would remove, without removing them. */
  idleIds(at: number, idleMs: number): string[] {
    const idle: string[] = [];
    for (const [id, a] of this.activity) {
      if (a.implicit && a.last + this.metrics.get(id)!.windowMs + idleMs <= at) idle.push(id);
    }
    return idle;
  }

  async pruneExpired(at: number): Promise<number> {
    // A pass already running will cover this tick too.
    if (this.pruneLock.isLocked()) return 0;
    return this.pruneLock.runExclusive(async () => {
      const ids = [...this.metrics.keys()];
      let evicted = 0;
      for (let i = 0; i < ids.length; i += PRUNE_SLICE) {
        for (const id of ids.slice(i, i + PRUNE_SLICE)) {
          const window = this.metrics.get(id);
          if (!window) continue;
          evicted += window.evictExpired(at);
          window.shrinkToFit();
        }
        if (i + PRUNE_SLICE < ids.length) await yieldToEventLoop();
      }
      return evicted;
    });
  }

  async usage(): Promise<LatencyUsage> {
    let samples = 0;
    let bytes = 0;
    for (const window of this.metrics.values()) {
      samples += window.count;
      bytes += window.bytes;
    }
    return {
      metrics: this.metrics.size,
      samples,
      reservedSamples: this.reservedSamples,
      bytes,
      expiredIdle: this.expiredIdle,
      refusedAtLimit: this.refusedAtLimit,
    };
  }

  /** Every metric with its samples, as bytes (see `packSnapshot`): 16 bytes a sample. */
  toSnapshot(): Buffer {
    const metrics: SnapshotMetric[] = [];
    const times: Float64Array[] = [];
    const values: Float64Array[] = [];
    for (const [id, window] of this.metrics) {
      const s = window.toSnapshot();
      metrics.push({ id, ...s.meta, ...this.activity.get(id)! });
      times.push(s.times);
      values.push(s.values);
    }
    const counts = { expiredIdle: this.expiredIdle, refusedAtLimit: this.refusedAtLimit };
    return packSnapshot({ metrics, counts }, [concat(times), concat(values)]);
  }

  /** Replaces every metric with a snapshot's. */
  restoreSnapshot(data: Buffer): void {
    const { meta, arrays } = unpackSnapshot<{
      metrics: SnapshotMetric[];
      counts?: { expiredIdle: number; refusedAtLimit: number };
    }>(data);
    const [times, values] = arrays;
    this.metrics.clear();
    this.activity.clear();
    this.reservedSamples = 0;
    this.expiredIdle = meta.counts?.expiredIdle ?? 0;
    this.refusedAtLimit = meta.counts?.refusedAtLimit ?? 0;
    let at = 0;
    for (const { id, implicit, last, ...m } of meta.metrics) {
      // A snapshot from before idle expiry: its metrics are kept, as they always were.
      this.activity.set(id, { implicit: implicit ?? false, last: last ?? 0 });
      const window = SlidingWindow.fromSnapshot(
        m,
        times.subarray(at, at + m.size),
        values.subarray(at, at + m.size),
      );
      at += m.size;
      this.metrics.set(id, window);
      this.reservedSamples += m.maxSamples;
    }
  }

  private create(id: string, config: MetricConfig, at: number, implicit: boolean): SlidingWindow {
    if (this.metrics.size >= this.limits.maxMetrics) {
      throw new LimitExceededError(
        `Metric limit reached (${this.limits.maxMetrics}); delete a metric or raise LATENCY_MAX_METRICS`,
      );
    }
    this.reserve(config.maxSamples);
    const window = new SlidingWindow(config.windowMs, config.maxSamples);
    this.metrics.set(id, window);
    this.activity.set(id, { implicit, last: at });
    return window;
  }

  private reserve(extra: number): void {
    if (this.reservedSamples + extra > this.limits.maxTotalSamples) {
      throw new LimitExceededError(
        `Sample budget exhausted: metrics already reserve ${this.reservedSamples} of ` +
          `${this.limits.maxTotalSamples} samples (LATENCY_MAX_TOTAL_SAMPLES); ` +
          `${extra} more do not fit`,
      );
    }
    this.reservedSamples += extra;
  }
}

function stateOf(
  id: string,
  window: SlidingWindow,
  at: number,
  percentiles: readonly number[],
): MetricState {
  window.evictExpired(at);
  return {
    id,
    windowMs: window.windowMs,
    maxSamples: window.maxSamples,
    count: window.count,
    truncated: window.truncatedAt(at),
    values: percentiles.map((p) => window.percentile(p)),
  };
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
