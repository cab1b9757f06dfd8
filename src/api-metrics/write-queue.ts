import { Logger } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import { Backoff } from '../common/backoff';
import { Clock } from '../common/clock';
import { errorText } from '../common/error-text';
import { ApiMetricRecord } from './api-metric';
import { BatchRejectedError } from './api-metrics.store';

const BACKOFF_START_MS = 200;
/** Pause between shutdown attempts while the database is down. */
const SHUTDOWN_RETRY_MS = 500;

export interface WriteQueueOptions {
  /** Records per write. */
  batchMax: number;
  /** Records waiting at most; past it new ones are refused and counted. */
  queueMax: number;
  /** Longest wait between attempts while writes fail. */
  backoffMaxMs: number;
}

export interface WriteQueueStats {
  /** Records taken into the queue. */
  accepted: number;
  written: number;
  queued: number;
  /** Refused because the queue was full (the database too slow or down for too long). */
  droppedQueueFull: number;
  /** Records in batches the database refused as invalid data; dropped so they cannot block the queue. */
  rejectedByDatabase: number;
  flushes: number;
  failedWrites: number;
  /** The last write's error while writes fail; null once one succeeds. */
  lastError: string | null;
}

export interface DrainResult {
  written: number;
  /** Still queued when the time ran out: the database never took them. */
  lost: number;
}

/**
 * The bounded queue between ingest and the database, and the one writer that drains it:
 * ingest never waits on the database, a record leaves the queue only once its batch is
 * written, and while writes fail the writer backs off (equal jitter) on the injected clock.
 * It is the only owner of these records until they are rows.
 */
export class WriteQueue {
  private readonly logger = new Logger('ApiMetricsWriter');
  // Read from `head`; compacted once the read part dominates.
  private queue: ApiMetricRecord[] = [];
  private head = 0;
  /** Held by the one writer; nothing else waits on it but the shutdown drain. */
  private readonly writer = new Mutex();
  private readonly backoff: Backoff;
  private nextAttemptAt = 0;
  private lastError: string | null = null;
  private readonly counts = {
    accepted: 0,
    written: 0,
    droppedQueueFull: 0,
    rejectedByDatabase: 0,
    flushes: 0,
    failedWrites: 0,
  };

  /**
   * @param write writes one batch, all of it or none; rejects with `BatchRejectedError`
   *              when the data is refused, with anything else when the database is away
   */
  constructor(
    private readonly write: (batch: readonly ApiMetricRecord[]) => Promise<void>,
    private readonly clock: Clock,
    private readonly options: WriteQueueOptions,
  ) {
    this.backoff = new Backoff(BACKOFF_START_MS, options.backoffMaxMs);
  }

  get size(): number {
    return this.queue.length - this.head;
  }

  /** Queues one record; false (and counted) when the queue is full. A full batch starts a write. */
  offer(record: ApiMetricRecord): boolean {
    if (this.size >= this.options.queueMax) {
      this.counts.droppedQueueFull++;
      return false;
    }
    this.queue.push(record);
    this.counts.accepted++;
    if (this.size >= this.options.batchMax && !this.writer.isLocked()) void this.flush();
    return true;
  }

  /**
   * Writes queued records in batches until the queue is empty or a write fails; then waits
   * out the backoff before trying again (`force` skips the wait). The scheduled job calls
   * this every API_METRICS_FLUSH_MS. Returns the rows written.
   */
  async flush(force = false): Promise<number> {
    if (this.writer.isLocked()) return 0;
    return this.writer.runExclusive(async () => {
      let written = 0;
      while (this.size > 0) {
        if (!force && this.clock.now() < this.nextAttemptAt) break;
        const batch = this.queue.slice(this.head, this.head + this.options.batchMax);
        try {
          await this.write(batch);
        } catch (err) {
          if (err instanceof BatchRejectedError) {
            // Inputs are validated, so this is a bug or a changed schema; blocking the
            // queue behind one bad batch forever would lose everything after it.
            this.counts.rejectedByDatabase += batch.length;
            this.logger.error(`database refused a batch of ${batch.length}: ${err.message}`);
            this.take(batch.length);
            continue;
          }
          this.failed(err);
          break;
        }
        this.take(batch.length);
        written += batch.length;
        this.counts.written += batch.length;
        this.counts.flushes++;
        if (this.backoff.failures > 0) this.logger.log('database is back; draining the queue');
        this.backoff.reset();
        this.nextAttemptAt = 0;
        this.lastError = null;
      }
      return written;
    });
  }

  /**
   * For shutdown, after intake has stopped: writes everything queued, retrying while the
   * database is down, until the queue is empty or `timeoutMs` of the clock has passed.
   */
  async drain(timeoutMs: number): Promise<DrainResult> {
    await this.writer.waitForUnlock();
    const deadline = this.clock.now() + timeoutMs;
    let written = 0;
    while (this.size > 0) {
      written += await this.flush(true);
      const left = deadline - this.clock.now();
      if (this.size === 0 || left <= 0) break;
      await this.clock.sleep(Math.min(SHUTDOWN_RETRY_MS, left));
    }
    const lost = this.size;
    if (lost > 0) this.logger.error(`shutting down with ${lost} records the database did not take`);
    return { written, lost };
  }

  stats(): WriteQueueStats {
    return {
      ...this.counts,
      queued: this.size,
      lastError: this.lastError,
    };
  }

  private take(n: number): void {
    this.head += n;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 65_536 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private failed(err: unknown): void {
    this.counts.failedWrites++;
    this.nextAttemptAt = this.clock.now() + this.backoff.fail();
    const text = errorText(err);
    if (this.backoff.failures === 1 || text !== this.lastError) {
      this.logger.warn(
        `database write failed, ${this.size} records queued, retrying with backoff: ${text}`,
      );
    }
    this.lastError = text;
  }
}
