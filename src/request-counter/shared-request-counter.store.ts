import { OnApplicationShutdown } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import { Clock } from '../common/clock';
import { errorText } from '../common/error-text';
import { NotAppendedError } from '../shared-state/fold';
import { SharedLog } from '../shared-state/shared-log';
import { SharedState } from '../shared-state/shared-state';
import { FlushMarker, MillisecondWindow } from './ms-window';
import { CounterStoreStats, RequestCounterStore } from './request-counter.store';

/** One flush of one instance: requests per millisecond since its previous flush. */
interface CountsOp {
  /** The instance that counted them. */
  i: string;
  ms: number[];
  c: number[];
}

/**
 * Redis mode: each instance counts the requests it receives in its own window at once,
 * and every COUNTER_FLUSH_MS appends what is new to the shared counter log; every
 * instance folds the other instances' entries into a second window. `count` is the sum:
 * this instance's requests immediately, the others' once they have flushed. The log is
 * trimmed to the window as it is appended to, and a new instance replays just the
 * window, so a restart of every instance loses nothing while Redis keeps the log.
 */
export class SharedRequestCounterStore
  extends RequestCounterStore
  implements OnApplicationShutdown
{
  private readonly own: MillisecondWindow;
  private readonly others: MillisecondWindow;
  private readonly mutex = new Mutex();
  private log!: SharedLog<CountsOp, void>;
  /** What of this instance's own counts is in the log. */
  private readonly flushed: FlushMarker;
  private closed = false;
  private readonly st: CounterStoreStats;

  private constructor(
    readonly windowMs: number,
    private readonly clock: Clock,
    private readonly instanceId: string,
    file: string,
  ) {
    super();
    const now = clock.now();
    this.own = new MillisecondWindow(windowMs, now);
    this.others = new MillisecondWindow(windowMs, now);
    this.flushed = new FlushMarker(this.own);
    this.st = {
      file,
      bytesWritten: 0,
      flushes: 0,
      compactions: 0,
      lastFlushAt: null,
      flushErrors: 0,
      lastError: null,
      loadMs: 0,
    };
  }

  static async open(
    windowMs: number,
    clock: Clock,
    shared: SharedState,
  ): Promise<SharedRequestCounterStore> {
    const store = new SharedRequestCounterStore(
      windowMs,
      clock,
      shared.instanceId,
      `redis key ${shared.keyOf('counter')}`,
    );
    store.log = await shared.open<CountsOp, void>(
      'counter',
      { apply: (op) => store.applyOthers(op) },
      { keepMs: windowMs },
    );
    store.st.loadMs = store.log.status().catchUpMs;
    return store;
  }

  record(atMs: number): void {
    this.own.record(atMs);
  }

  count(atMs: number): number {
    return this.own.count(atMs) + this.others.count(atMs);
  }

  stats(): CounterStoreStats {
    return { ...this.st };
  }

  async flush(): Promise<void> {
    await this.mutex.runExclusive(() => this.flushLocked());
  }

  async close(): Promise<void> {
    await this.mutex.runExclusive(async () => {
      if (this.closed) return;
      await this.flushLocked();
      this.closed = true;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
    await this.log.stop();
  }

  private async flushLocked(): Promise<void> {
    if (this.closed) return;
    // Taken synchronously: requests counted while the write is in flight go in the next one.
    const { entries, before } = this.flushed.take();
    if (entries.ms.length === 0) return;
    const op: CountsOp = { i: this.instanceId, ms: entries.ms, c: entries.count };
    try {
      await this.log.append(op);
      this.st.flushes++;
      this.st.bytesWritten += JSON.stringify(op).length;
      this.st.lastFlushAt = this.clock.now();
      this.st.lastError = null;
    } catch (err) {
      // Not in the log: send it again next time. (Once in the log, even if not yet
      // applied here, it must not be sent twice.)
      if (err instanceof NotAppendedError) {
        this.flushed.putBack(before);
      }
      this.st.lastError = `request counter flush to Redis failed: ${errorText(err)}`;
      this.st.flushErrors++;
    }
  }

  /** Another instance's counts; this instance's own are in `own` already. */
  private applyOthers(op: CountsOp): void {
    if (op.i === this.instanceId) return;
    for (let k = 0; k < op.ms.length; k++) {
      if (!this.others.restore(op.ms[k], op.c[k]) && op.ms[k] > this.others.headMs) {
        this.others.record(op.ms[k], op.c[k]);
      }
    }
  }
}
