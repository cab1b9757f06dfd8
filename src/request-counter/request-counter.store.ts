/** What the store reports about itself at /health and to the bench. */
export interface CounterStoreStats {
  /** Where the state lives; null when it is not persisted. */
  file: string | null;
  /** Bytes written to the file since start-up (appends and compactions). */
  bytesWritten: number;
  flushes: number;
  /** Writes (flushes and compactions) that failed since start-up. */
  flushErrors: number;
  compactions: number;
  /** Wall time (ms) of the last successful write, null before the first. */
  lastFlushAt: number | null;
  /** The last write error, cleared by the next successful write. */
  lastError: string | null;
  /** Milliseconds the start-up load took. */
  loadMs: number;
}

/**
 * Owns the request counter's state. `record` and `count` are synchronous because
 * `record` runs on every HTTP request; everything that touches storage is async and
 * serialised by the implementation. A shared implementation (e.g. Redis) would keep
 * the same shape with its own persistence.
 */
export abstract class RequestCounterStore {
  abstract readonly windowMs: number;

  /** One request arrived at `atMs` (epoch milliseconds). */
  abstract record(atMs: number): void;

  /** Requests that arrived in `(atMs − windowMs, atMs]`. */
  abstract count(atMs: number): number;

  /** Makes everything recorded so far durable. */
  abstract flush(): Promise<void>;

  /** Final flush; the store writes nothing afterwards. */
  abstract close(): Promise<void>;

  abstract stats(): CounterStoreStats;
}
