import { ApiMetricRecord, MethodName } from './api-metric';

export interface StoreInfo {
  engine: 'embedded' | 'postgresql';
  /** Rows live in a TimescaleDB hypertable whose retention policy deletes old chunks. */
  timescale: boolean;
}

export interface RecentRecords {
  /** Newest first. */
  records: ApiMetricRecord[];
  /** More rows matched than the limit allowed. */
  truncated: boolean;
}

/** The slowest record of one (route, method) in one whole second. */
export interface SecondCell {
  route: string;
  method: MethodName;
  /** Unix seconds. */
  second: number;
  responseTimeMs: number;
  statusCode: number;
}

export interface PercentileQuery {
  sinceMs: number;
  route?: string;
  method?: MethodName;
}

export interface PercentileResult {
  count: number;
  /** One per requested fraction, null when no row matched. */
  values: (number | null)[];
}

/** The database refused a batch as invalid data: retrying it can never succeed. */
export class BatchRejectedError extends Error {}

/**
 * Durable home of API metric records. Async and narrow so the engine behind it can change
 * without touching callers; every method may reject when the database is unreachable.
 */
export abstract class ApiMetricsStore {
  /** Connects and brings the schema up to date; safe to call again after a failure. */
  abstract open(): Promise<StoreInfo>;
  /**
   * Writes every record in one statement, or none of them. Rejects with
   * `BatchRejectedError` when the data itself is refused (retrying cannot help), with any
   * other error when the database could not be reached.
   */
  abstract append(records: readonly ApiMetricRecord[]): Promise<void>;
  /** Opens if needed and asks the database one trivial question; rejects when it cannot answer. */
  abstract ping(): Promise<void>;
  /**
   * What the last attempt to reach the database found, whatever made it (a write, a query,
   * a ping): `opening` before any attempt succeeded or failed.
   */
  abstract connection(): 'up' | 'down' | 'opening';
  abstract recent(sinceMs: number, limit: number): Promise<RecentRecords>;
  /** Cells in [fromMs, toMs), ordered by route, method, second; at most `limit`. */
  abstract slowestPerSecond(fromMs: number, toMs: number, limit: number): Promise<SecondCell[]>;
  /** Nearest-rank percentiles (`percentile_disc`) of response times; fractions in (0, 1]. */
  abstract percentiles(
    query: PercentileQuery,
    fractions: readonly number[],
  ): Promise<PercentileResult>;
  /** Deletes rows older than `cutoffMs`; returns how many. */
  abstract pruneOlderThan(cutoffMs: number): Promise<number>;
  abstract close(): Promise<void>;
}
