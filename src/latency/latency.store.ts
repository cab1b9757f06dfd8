export interface MetricConfig {
  windowMs: number;
  maxSamples: number;
}

/** What a store reports about one metric at one instant. */
export interface MetricState extends MetricConfig {
  id: string;
  /** Samples inside the window. */
  count: number;
  /** Some samples still inside the window were dropped by `maxSamples`. */
  truncated: boolean;
  /** Nearest-rank values for the requested percentiles, in the order asked; null when empty. */
  values: (number | null)[];
}

export interface LatencyUsage {
  metrics: number;
  samples: number;
  /** Sum of every metric's `maxSamples`: the most samples the store may ever hold. */
  reservedSamples: number;
  bytes: number;
  /** Metrics removed by idle expiry (LATENCY_IDLE_EXPIRY_MS) since start. */
  expiredIdle: number;
  /** Samples refused because their metric did not exist and could not be created (a cap). */
  refusedAtLimit: number;
}

/**
 * Where latency samples live. The abstract class is the contract and the injection
 * token, so a shared (e.g. Redis) implementation can replace the in-memory one without
 * touching the service. Every method is async for that reason.
 */
export abstract class LatencyStore {
  /** Appends samples observed at `at`, creating the metric with defaults if needed. */
  abstract record(id: string, latenciesNs: ArrayLike<number>, at: number): Promise<void>;

  /** Creates or reconfigures a metric; unspecified fields keep their value (or default). */
  abstract configure(
    id: string,
    changes: Partial<MetricConfig>,
    at: number,
  ): Promise<{ created: boolean }>;

  abstract snapshot(
    id: string,
    at: number,
    percentiles: readonly number[],
  ): Promise<MetricState | undefined>;

  /** Every metric, sorted by id; with `limit`, the first `limit` of them. */
  abstract snapshotAll(
    at: number,
    percentiles: readonly number[],
    limit?: number,
  ): Promise<MetricState[]>;

  /** Removes a metric; false when there was none. */
  abstract remove(id: string): Promise<boolean>;

  /** Evicts expired samples from every metric and frees idle memory; returns samples evicted. */
  abstract pruneExpired(at: number): Promise<number>;

  /**
   * Removes every metric created implicitly (by a sample, not by `configure`) whose window
   * has held no sample for `idleMs` (its last sample is older than `at − windowMs − idleMs`);
   * returns how many went. Metrics `configure` created or touched stay until removed.
   */
  abstract expireIdle(at: number, idleMs: number): Promise<number>;

  abstract usage(): Promise<LatencyUsage>;
}
