import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { InvalidArgumentError, NotFoundError } from '../common/domain-errors';
import { Periodic } from '../jobs/periodic';
import { LatencySettings } from './latency.settings';
import { LatencyStore, LatencyUsage, MetricConfig, MetricState } from './latency.store';

/** The percentiles every snapshot carries, as the seed defines them. */
export const STANDARD_PERCENTILES = [50, 95, 99] as const;

export interface LatencySnapshot {
  id: string;
  windowMs: number;
  maxSamples: number;
  count: number;
  truncated: boolean;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Extra percentiles asked for, in the order asked. */
  extra: { p: number; value: number | null }[];
}

@Injectable()
export class LatencyService {
  constructor(
    private readonly store: LatencyStore,
    private readonly clock: Clock,
    private readonly config: LatencySettings,
  ) {}

  async record(id: string, latenciesNs: readonly number[]): Promise<number> {
    await this.store.record(id, latenciesNs, this.clock.now());
    return latenciesNs.length;
  }

  async snapshot(id: string, extra: readonly number[] = []): Promise<LatencySnapshot> {
    const state = await this.store.snapshot(id, this.clock.now(), withStandard(extra));
    if (!state) throw new NotFoundError(`Metric '${id}' not found`);
    return toSnapshot(state, extra);
  }

  /** Every metric (or the first `limit` by id), sorted by id. */
  async list(extra: readonly number[] = [], limit?: number): Promise<LatencySnapshot[]> {
    const states = await this.store.snapshotAll(this.clock.now(), withStandard(extra), limit);
    return states.map((s) => toSnapshot(s, extra));
  }

  async configure(
    id: string,
    changes: Partial<MetricConfig>,
  ): Promise<{ created: boolean; snapshot: LatencySnapshot }> {
    if (changes.windowMs !== undefined && changes.windowMs > this.config.LATENCY_MAX_WINDOW_MS) {
      throw new InvalidArgumentError(
        `window_ms must not exceed ${this.config.LATENCY_MAX_WINDOW_MS} (LATENCY_MAX_WINDOW_MS)`,
      );
    }
    if (
      changes.maxSamples !== undefined &&
      changes.maxSamples > this.config.LATENCY_MAX_SAMPLES_LIMIT
    ) {
      throw new InvalidArgumentError(
        `max_samples must not exceed ${this.config.LATENCY_MAX_SAMPLES_LIMIT} (LATENCY_MAX_SAMPLES_LIMIT)`,
      );
    }
    const { created } = await this.store.configure(id, changes, this.clock.now());
    return { created, snapshot: await this.snapshot(id) };
  }

  async remove(id: string): Promise<void> {
    if (!(await this.store.remove(id))) throw new NotFoundError(`Metric '${id}' not found`);
  }

  usage(): Promise<LatencyUsage> {
    return this.store.usage();
  }

  /**
   * The prune job: removes implicit metrics idle past LATENCY_IDLE_EXPIRY_MS, so a burst
   * of names frees itself, then evicts expired samples so idle metrics hold no memory.
   */
  @Periodic({
    name: 'latency-prune',
    settings: LatencySettings,
    every: 'LATENCY_PRUNE_INTERVAL_MS',
  })
  async prune(): Promise<void> {
    await this.expireIdle();
    await this.pruneExpired();
  }

  /** LATENCY_IDLE_EXPIRY_MS: removes implicit metrics idle that long (0 = never). */
  expireIdle(): Promise<number> {
    const idleMs = this.config.LATENCY_IDLE_EXPIRY_MS;
    return idleMs > 0 ? this.store.expireIdle(this.clock.now(), idleMs) : Promise.resolve(0);
  }

  pruneExpired(): Promise<number> {
    return this.store.pruneExpired(this.clock.now());
  }
}

function withStandard(extra: readonly number[]): number[] {
  return [...STANDARD_PERCENTILES, ...extra];
}

function toSnapshot(state: MetricState, extra: readonly number[]): LatencySnapshot {
  const [p50, p95, p99, ...rest] = state.values;
  return {
    id: state.id,
    windowMs: state.windowMs,
    maxSamples: state.maxSamples,
    count: state.count,
    truncated: state.truncated,
    p50,
    p95,
    p99,
    extra: extra.map((p, i) => ({ p, value: rest[i] })),
  };
}
