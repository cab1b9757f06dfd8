/**
 * Where a module's log lives. The fold driver (`SharedLog`) owns the mechanism (batching
 * appends, applying entries in order, answering writers); a backend only stores entries
 * and snapshots and hands them back: `FileLog` under DATA_DIR, `RedisLog` in a Redis Stream.
 */
export interface LogBackend {
  /** `local` or `redis`, for status and messages. */
  readonly kind: 'local' | 'redis';
  /**
   * True when appended entries come back through the backend's own reading of the log
   * (Redis: every instance tails the stream, the writer included); false when the writer
   * applies its entry itself once `append` resolves (the local log has one writer).
   */
  readonly tails: boolean;
  /** Restores the latest snapshot and replays the log after it into `sink`, then runs. */
  open(sink: LogSink): Promise<void>;
  /**
   * Stores one entry (the ops of one batch, and the same encoded in `body`) and resolves with its id once the
   * backend's promise holds: handed to the kernel (local), taken by Redis (redis; the id is
   * then '' and the entry comes back through the tail). Rejects with `NotAppendedError`
   * when certainly nothing was stored, `AppendUnknownError` when that is unknown.
   */
  append(token: string, ops: unknown[], body: Buffer | string): Promise<string>;
  /** Stores the fold's state and drops the log before it, where this backend does. */
  snapshot(): Promise<void>;
  /** Makes everything appended durable and lets go of files and connections. */
  close(): Promise<void>;
  /** Epoch ms since when this instance may serve an old state (Redis unreachable), or null. */
  staleSinceMs(): number | null;
  /** Why writes cannot succeed now (Redis unreachable, the disk refusing), or null. */
  problem(): Promise<string | null>;
  status(): BackendStatus;
}

/** What the backend hands entries and snapshots to: the fold driver. */
export interface LogSink {
  /** The id of the last entry folded ('0-0' before any). */
  readonly lastId: string;
  /** Folds one entry, answering its writer if it is waiting here. Skips ids at or before `lastId`. */
  applyEntry(id: string, token: string, body: Buffer | string): void;
  /** A time-bounded fold's replay begins after `id`: what is older is outside its window. */
  startAfter(id: string): void;
  /** Replaces the fold's state with a snapshot's, taken at entry `id`. */
  restore(id: string, state: Buffer): void;
  /**
   * The fold's state and the id of the last entry in it, captured in one synchronous step,
   * so a snapshot never holds an entry past the id it records. Null without snapshots.
   */
  capture(): { id: string; state: Buffer } | null;
}

export interface BackendStatus {
  /** Local: the log's folder. */
  dir: string | null;
  snapshotsWritten: number;
  /** Snapshot restores, at start or after falling behind a trim. */
  snapshotsLoaded: number;
  snapshotFailures: number;
  lastSnapshotError: string | null;
  /** Local: what start-up found damaged and dropped (torn tails, bad checksums, snapshots). */
  damage: string[];
  /** Local: the last write the disk refused, cleared by the next that it takes. */
  writeError: string | null;
  /** Redis: Redis lost this log's data while this instance ran and it is not resolved yet. */
  dataLoss: string | null;
  /** Redis: when this instance last saw Redis lose this log's data (ISO), or null. */
  lastDataLoss: string | null;
  /**
   * False while this instance's fold may lack entries (started after Redis lost its data,
   * waiting for a re-seed): it is then not ready, and says why.
   */
  wholeState: boolean;
  /** Local: fdatasync calls since start. */
  syncs: number;
  /** Local: bytes of log and snapshots on disk now. */
  bytesOnDisk: number | null;
}
