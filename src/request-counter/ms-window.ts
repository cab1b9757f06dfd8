import type { Entries } from './counter-log';

/**
 * An exact count of events over the last `windowMs` milliseconds: one 32-bit slot per
 * millisecond of the window in a ring, plus a running total. Memory is 4 bytes per
 * millisecond of window (240 KB for 60 s) whatever the event rate; recording is O(1);
 * moving time forward clears each expired slot once, so it is O(1) amortised.
 *
 * An event at millisecond `a` counts at time `t` while `a > t − windowMs`, i.e. the
 * window is `(t − windowMs, t]` at millisecond resolution. Times are floored to whole
 * milliseconds. Time never moves backwards: an earlier time is treated as the newest
 * time seen, so a clock that steps back can neither lose events nor make counts negative.
 */
export class MillisecondWindow {
  private readonly slots: Uint32Array;
  private head: number;
  private total = 0;

  constructor(
    readonly windowMs: number,
    startMs: number,
  ) {
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
      throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
    }
    this.slots = new Uint32Array(windowMs);
    this.head = Math.floor(startMs);
  }

  /** The newest millisecond the window has reached. */
  get headMs(): number {
    return this.head;
  }

  /** Moves the window's end to `atMs` (never backwards) and returns the new end. */
  advance(atMs: number): number {
    const to = Math.floor(atMs);
    if (to <= this.head) return this.head;
    const w = this.windowMs;
    if (to - this.head >= w) {
      this.slots.fill(0);
      this.total = 0;
    } else {
      for (let ms = this.head + 1; ms <= to; ms++) {
        const i = ms % w;
        this.total -= this.slots[i];
        this.slots[i] = 0;
      }
    }
    this.head = to;
    return to;
  }

  /** Counts `n` events at `atMs` (or at the newest millisecond seen, if that is later). */
  record(atMs: number, n = 1): void {
    const at = this.advance(atMs);
    this.slots[at % this.windowMs] += n;
    this.total += n;
  }

  /**
   * Adds `n` events at a past millisecond without moving time, as when replaying a file.
   * Returns false, changing nothing, when `ms` is outside `(head − windowMs, head]`.
   */
  restore(ms: number, n: number): boolean {
    if (ms > this.head || ms <= this.head - this.windowMs) return false;
    this.slots[ms % this.windowMs] += n;
    this.total += n;
    return true;
  }

  /** Events in `(atMs − windowMs, atMs]`. */
  count(atMs: number): number {
    this.advance(atMs);
    return this.total;
  }

  /** The count at one millisecond still inside the window (0 outside it). */
  at(ms: number): number {
    if (ms > this.head || ms <= this.head - this.windowMs) return 0;
    return this.slots[ms % this.windowMs];
  }

  /**
   * Calls `fn` for each non-empty millisecond from `fromMs` (clamped to the window) up to
   * the head, oldest first, without moving time.
   */
  forEachSince(fromMs: number, fn: (ms: number, count: number) => void): void {
    const w = this.windowMs;
    for (let ms = Math.max(fromMs, this.head - w + 1); ms <= this.head; ms++) {
      const c = this.slots[ms % w];
      if (c !== 0) fn(ms, c);
    }
  }
}

/**
 * How much of a window has been written (to a file or a log): everything before `ms`, and
 * `count` of the requests at `ms`. Both stores move it the same way: `take` collects what
 * arrived since and moves the marker to the window's head synchronously, so requests
 * counted while the write is in flight go in the next one; `putBack` undoes a take whose
 * write certainly did not happen.
 */
export class FlushMarker {
  private ms: number;
  private count = 0;

  constructor(private readonly window: MillisecondWindow) {
    this.ms = window.headMs;
  }

  /** What arrived since the marker (or the whole window), marking it all written. */
  take(all = false): { entries: Entries; before: { ms: number; count: number } } {
    const before = { ms: this.ms, count: this.count };
    const fromMs = all ? -Infinity : before.ms;
    const entries: Entries = { ms: [], count: [] };
    this.window.forEachSince(fromMs, (ms, c) => {
      const n = ms === fromMs ? c - before.count : c;
      if (n > 0) {
        entries.ms.push(ms);
        entries.count.push(n);
      }
    });
    this.ms = this.window.headMs;
    this.count = this.window.at(this.ms);
    return { entries, before };
  }

  putBack(before: { ms: number; count: number }): void {
    this.ms = before.ms;
    this.count = before.count;
  }
}
