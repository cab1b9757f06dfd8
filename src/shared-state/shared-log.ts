import { UnavailableError } from '../common/domain-errors';
import { BackendStatus, LogBackend, LogSink } from './log-backend';
import { Fold, NotAppendedError, compareIds } from './fold';

export interface SharedLogOptions {
  /** The module's name: the log's file folder or Redis key, and in messages. */
  name: string;
  /** This process; a log entry it wrote is answered to its own waiters. */
  instanceId: string;
  /** With snapshots: how often the folded state is stored and the log before it dropped. */
  snapshotEveryMs?: number;
  /** Most ops in one log entry. */
  maxBatch?: number;
  /** How long a write, once in a tailed log, waits to be applied here before it answers 503. */
  applyTimeoutMs?: number;
  /** Gather ops this long before appending them as one entry (0: one event-loop turn). */
  batchDelayMs?: number;
  /** Told, once stopped, what the log holds: for the one line a graceful stop logs. */
  onStop?: (status: SharedLogStatus) => void;
}

export interface SharedLogStatus extends BackendStatus {
  name: string;
  backend: 'local' | 'redis';
  /** Redis: the tailer reads the log now. Local: always, once open. */
  connected: boolean;
  /** When the tailer lost Redis, while it has not got it back (ISO time). */
  staleSince: string | null;
  lastAppliedId: string;
  /** Entries applied since start (replay included) and ops in them. */
  entriesApplied: number;
  opsApplied: number;
  /** Entries seen a second time (a resent append) and skipped. */
  duplicatesSkipped: number;
  /** Ops this instance appended. */
  opsAppended: number;
  appendFailures: number;
  /** Start-up: snapshot load plus replay, in ms. */
  catchUpMs: number;
}

interface Waiter<Out> {
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout | null;
  /** Answered already (it timed out): its entry, applied later, tells it nothing more. */
  done: boolean;
  /** The backend's append resolved: an outcome may be answered now, not only held. */
  appended: boolean;
  /**
   * The entry came back applied before its append resolved (a tailer can see it before
   * REDIS_MIN_REPLICAS' WAIT confirms it): the outcome, held until the append's own answer.
   */
  held?: { err: unknown; out?: Out };
}

const DEFAULTS = { maxBatch: 1000, applyTimeoutMs: 5000, batchDelayMs: 0 };
const OPEN_BRACKET = 0x5b;
/** Writers remembered for spotting a resent entry; the oldest are forgotten first. */
const MAX_WRITERS = 10_000;
/** How long `stop` waits for this instance's last appends to come back applied. */
const STOP_DRAIN_MS = 2000;

/**
 * The fold driver: one module's log, wherever the backend keeps it, and this instance's
 * fold of it. Writes go append → apply → answer:
 *
 * - `append(op)` coalesces the ops of one event-loop turn (or `batchDelayMs`) into one
 *   entry (a writer token `instance:batch` and the ops, as the fold encodes them or as
 *   JSON) and resolves with the op's
 *   outcome once *this* instance has applied the entry, so the answer to a write is what a
 *   replay (or every other instance) computes for it.
 * - Entries are applied in log order, skipping any applied already and any resent copy of a
 *   batch (a writer's batch number at or below one seen). The local backend hands the
 *   writer's entry back at once; the Redis backend's tailer brings it, and every other
 *   instance's, back from the stream.
 * - Folds that grow for ever are snapshotted every `snapshotEveryMs`; the backend stores the
 *   state captured together with the id of the last entry in it, and drops the log before.
 * - `start()` restores the snapshot and replays what follows before it returns, so the
 *   instance serves a caught-up state.
 */
export class SharedLog<Op, Out> implements LogSink {
  private readonly opts: Required<Omit<SharedLogOptions, 'snapshotEveryMs' | 'onStop'>> &
    SharedLogOptions;
  lastId = '0-0';
  private snapshotTimer: NodeJS.Timeout | null = null;
  private pending: { op: Op; waiter: Waiter<Out> }[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | null = null;
  private batchSeq = 0;
  private opened = false;
  private stopped = false;
  private readonly waiters = new Map<string, Waiter<Out>[]>();
  /** Per writer, the highest batch number applied: a resent batch has one at or below it. */
  private readonly writerSeq = new Map<string, number>();
  private readonly st = {
    entriesApplied: 0,
    opsApplied: 0,
    duplicatesSkipped: 0,
    opsAppended: 0,
    appendFailures: 0,
    catchUpMs: 0,
  };

  constructor(
    private readonly fold: Fold<Op, Out>,
    options: SharedLogOptions,
    readonly backend: LogBackend,
  ) {
    this.opts = { ...DEFAULTS, ...options };
  }

  /** Restores the latest snapshot, replays the rest of the log, starts the backend's work. */
  async start(): Promise<void> {
    const started = performance.now();
    await this.backend.open(this);
    this.opened = true;
    this.st.catchUpMs = performance.now() - started;
    if (this.fold.snapshot && this.opts.snapshotEveryMs) {
      // Not a scheduled job: it lives and dies with this log, and bounds its disk even with
      // JOBS_ENABLED=false.
      this.snapshotTimer = setInterval(
        () => void this.backend.snapshot(),
        this.opts.snapshotEveryMs,
      );
      this.snapshotTimer.unref();
    }
  }

  /** Appends `op` and resolves with its outcome once this instance has applied it. */
  append(op: Op): Promise<Out> {
    if (this.stopped) {
      return Promise.reject(
        new NotAppendedError(`the ${this.opts.name} log is shut down; nothing was changed`, 1),
      );
    }
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({
        op,
        waiter: { resolve, reject, timer: null, done: false, appended: false },
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        if (this.opts.batchDelayMs > 0) {
          setTimeout(() => void this.flushAppends(), this.opts.batchDelayMs).unref();
        } else {
          setImmediate(() => void this.flushAppends());
        }
      }
    });
  }

  status(): SharedLogStatus {
    const staleSince = this.backend.staleSinceMs();
    return {
      name: this.opts.name,
      backend: this.backend.kind,
      connected: staleSince === null && this.opened && !this.stopped,
      staleSince: staleSince === null ? null : new Date(staleSince).toISOString(),
      lastAppliedId: this.lastId,
      ...this.st,
      ...this.backend.status(),
    };
  }

  /** True while this instance may be serving an old state (Redis unreachable). */
  get stale(): boolean {
    return this.backend.staleSinceMs() !== null;
  }

  /** Why writes cannot succeed now, or null. */
  problem(): Promise<string | null> {
    return this.backend.problem();
  }

  /**
   * Appends what is pending, waits (a little) for those entries to come back applied so
   * their writers get their answers, then closes the backend (the local one stores a final
   * snapshot there, so a restart replays little).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    await this.flushAppends();
    this.stopped = true;
    const deadline = Date.now() + STOP_DRAIN_MS;
    while (this.waiters.size > 0 && !this.stale && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await this.backend.close();
    this.opts.onStop?.(this.status());
    for (const list of this.waiters.values()) {
      for (const w of list) this.answer(w, new UnavailableError('shutting down', 1));
    }
    this.waiters.clear();
  }

  // ---- LogSink: what the backend calls ----

  applyEntry(id: string, token: string, body: Buffer | string): void {
    // Applied already (a reload replayed past it): applying again would double it.
    if (compareIds(id, this.lastId) <= 0) return;
    this.lastId = id;
    this.st.entriesApplied++;
    // A batch the writer's connection sent twice (a reply lost, the command resent): skip
    // the copy. Every instance sees the same entries, so every one skips the same ones.
    const colon = token.lastIndexOf(':');
    if (colon > 0) {
      const writer = token.slice(0, colon);
      const seq = Number(token.slice(colon + 1));
      const seen = this.writerSeq.get(writer);
      if (seen !== undefined && seq <= seen) {
        this.st.duplicatesSkipped++;
        return;
      }
      this.writerSeq.delete(writer);
      this.writerSeq.set(writer, seq);
      if (this.writerSeq.size > MAX_WRITERS) {
        this.writerSeq.delete(this.writerSeq.keys().next().value as string);
      }
    }
    const ops = this.decode(body);
    const waiting = this.waiters.get(token);
    if (waiting) this.waiters.delete(token);
    for (let i = 0; i < ops.length; i++) {
      const w = waiting?.[i];
      if (w && !w.done) {
        // A fold that throws instead of rejecting still answers its writer.
        new Promise<Out>((resolve) => resolve(this.fold.apply(ops[i]))).then(
          (out) => this.outcome(w, null, out),
          (err: unknown) => this.outcome(w, err),
        );
        continue;
      }
      // Another instance's write (its writer is told), or a replay: no promise per op, since
      // a replay applies millions of them.
      try {
        const out = this.fold.apply(ops[i]);
        if (out instanceof Promise) out.catch(() => undefined);
      } catch {
        /* the writer is told */
      }
    }
    this.st.opsApplied += ops.length;
  }

  /** A batch as the fold encoded it, or JSON (a log may hold both). */
  private decode(body: Buffer | string): Op[] {
    if (typeof body === 'string') return JSON.parse(body) as Op[];
    if (body[0] !== OPEN_BRACKET && this.fold.decode) return this.fold.decode(body);
    return JSON.parse(body.toString('utf8')) as Op[];
  }

  startAfter(id: string): void {
    this.lastId = id;
  }

  restore(id: string, state: Buffer): void {
    this.fold.restore!(state);
    this.lastId = id;
    // As an instance started from this snapshot would: the entries replayed after it (even
    // ones this instance applied before, when the snapshot is older) are judged afresh.
    this.writerSeq.clear();
  }

  capture(): { id: string; state: Buffer } | null {
    if (!this.fold.snapshot || this.lastId === '0-0') return null;
    return { id: this.lastId, state: this.fold.snapshot() };
  }

  // ---- appending ----

  private async flushAppends(): Promise<void> {
    // One flusher at a time, so batch numbers reach the log in order.
    while (this.flushing) await this.flushing;
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    this.flushing = this.flushPending();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  private async flushPending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.opts.maxBatch);
      const token = `${this.opts.instanceId}:${++this.batchSeq}`;
      const waiters = batch.map((p) => p.waiter);
      const ops = batch.map((p) => p.op);
      const body = this.fold.encode?.(ops) ?? JSON.stringify(ops);
      this.waiters.set(token, waiters);
      let id: string;
      try {
        id = await this.backend.append(token, ops, body);
      } catch (err) {
        this.st.appendFailures += batch.length;
        this.waiters.delete(token);
        for (const w of waiters) this.answer(w, err);
        continue;
      }
      this.st.opsAppended += batch.length;
      for (const w of waiters) {
        w.appended = true;
        if (w.held) this.answer(w, w.held.err, w.held.out);
      }
      if (!this.backend.tails) {
        // The one writer: its entry is applied now, from the very bytes a replay reads.
        this.applyEntry(id, token, body);
        continue;
      }
      // In the log: now its application here is waited for, and no longer than that.
      for (const w of waiters) {
        if (w.done) continue;
        w.timer = setTimeout(() => {
          this.answer(
            w,
            new UnavailableError(
              `the ${this.opts.name} write is in the shared log but this instance has not ` +
                'applied it yet (Redis may be unreachable); it applies it when it catches up',
              1,
            ),
          );
          if (waiters.every((x) => x.done)) this.waiters.delete(token);
        }, this.opts.applyTimeoutMs);
        w.timer.unref();
      }
    }
  }

  /** An applied op's outcome: answered, or held until its append has resolved. */
  private outcome(w: Waiter<Out>, err: unknown, out?: Out): void {
    if (w.appended) this.answer(w, err, out);
    else w.held = { err, out };
  }

  /** Settles a waiter once. */
  private answer(w: Waiter<Out>, err: unknown, out?: Out): void {
    if (w.done) return;
    w.done = true;
    if (w.timer) clearTimeout(w.timer);
    if (err === null) w.resolve(out as Out);
    else w.reject(err);
  }
}
