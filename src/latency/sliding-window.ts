import { percentileOfSorted } from '../common/percentile';
import { lowerBound } from '../common/binary-search';

const EMPTY = new Float64Array(0);
const MIN_CAPACITY = 16;
/** Small growth steps keep the unused tail under 25% of a window's memory. */
const GROWTH = 1.25;

/** Bytes held per slot: arrival time, value in arrival order, value in sorted order. */
export const BYTES_PER_SLOT = 3 * Float64Array.BYTES_PER_ELEMENT;

/** A window's state in plain numbers; the samples themselves travel as arrays beside it. */
export interface SlidingWindowMeta {
  windowMs: number;
  maxSamples: number;
  /** null for -Infinity (nothing recorded / nothing dropped yet). */
  lastAt: number | null;
  droppedAt: number | null;
  size: number;
}

/**
 * The samples of one metric inside its time window, at most `maxSamples` of them.
 *
 * Samples live twice: in a ring in arrival order (so the oldest leave first, in O(1)
 * to find) and in an ascending array (so any percentile is one index lookup). Writes
 * pay an O(n) memmove to keep the sorted copy; reads pay nothing but evicting what has
 * expired. All storage is Float64Array: 24 bytes a sample, plus at most 25% slack.
 *
 * Every method is synchronous: in Node's single thread no other code can observe a
 * half-updated window, so it needs no lock.
 */
export class SlidingWindow {
  private times: Float64Array = EMPTY;
  private values: Float64Array = EMPTY;
  private sorted: Float64Array = EMPTY;
  private head = 0;
  private size = 0;
  private lastAt = -Infinity;
  /** Arrival time of the newest sample dropped by `maxSamples` while still inside the window. */
  private droppedAt = -Infinity;

  constructor(
    private windowMsValue: number,
    private maxSamplesValue: number,
  ) {}

  get windowMs(): number {
    return this.windowMsValue;
  }

  get maxSamples(): number {
    return this.maxSamplesValue;
  }

  /** Samples held; call `evictExpired` first for the count inside the window. */
  get count(): number {
    return this.size;
  }

  get bytes(): number {
    return this.times.length * BYTES_PER_SLOT;
  }

  /** Records latencies observed at `at` (ms). Oldest samples make room when full. */
  add(latencies: ArrayLike<number>, at: number): void {
    // Arrival order must match ring order for eviction from the head to be correct.
    at = Math.max(at, this.lastAt);
    this.lastAt = at;
    this.evictExpired(at);

    let m = latencies.length;
    let offset = 0;
    if (m > this.maxSamplesValue) {
      offset = m - this.maxSamplesValue;
      m = this.maxSamplesValue;
      this.droppedAt = at;
    }
    const overflow = this.size + m - this.maxSamplesValue;
    if (overflow > 0) this.dropOldest(overflow);
    this.ensureCapacity(this.size + m);

    const cap = this.times.length;
    let tail = (this.head + this.size) % cap;
    for (let i = 0; i < m; i++) {
      this.times[tail] = at;
      this.values[tail] = latencies[offset + i];
      tail = tail + 1 === cap ? 0 : tail + 1;
    }

    if (m === 1) {
      const v = latencies[offset];
      const pos = lowerBound(this.sorted, v, this.size);
      this.sorted.copyWithin(pos + 1, pos, this.size);
      this.sorted[pos] = v;
    } else {
      const incoming = new Float64Array(m);
      for (let i = 0; i < m; i++) incoming[i] = latencies[offset + i];
      incoming.sort();
      this.mergeFromBack(incoming);
    }
    this.size += m;
  }

  /** Drops samples that arrived at or before `now - windowMs`; returns how many. */
  evictExpired(now: number): number {
    const cutoff = now - this.windowMsValue;
    const cap = this.times.length;
    let k = 0;
    let idx = this.head;
    while (k < this.size && this.times[idx] <= cutoff) {
      k++;
      idx = idx + 1 === cap ? 0 : idx + 1;
    }
    if (k > 0) this.removeFromHead(k);
    return k;
  }

  /** Nearest-rank percentile of what is held (null when empty). */
  percentile(p: number): number | null {
    return percentileOfSorted(this.sorted, this.size, p);
  }

  /** True while some sample dropped by `maxSamples` would still be inside the window. */
  truncatedAt(now: number): boolean {
    return this.droppedAt > now - this.windowMsValue;
  }

  /** Changes the window and the cap; lowering the cap drops the oldest samples. */
  reconfigure(windowMs: number, maxSamples: number, now: number): void {
    this.windowMsValue = windowMs;
    this.evictExpired(now);
    if (this.size > maxSamples) this.dropOldest(this.size - maxSamples);
    this.maxSamplesValue = maxSamples;
    if (this.times.length > maxSamples) this.reallocate(maxSamples);
  }

  /**
   * Its whole state: the plain part, and the samples' arrival times and values in arrival
   * order (the sorted copy is rebuilt on restore).
   */
  toSnapshot(): { meta: SlidingWindowMeta; times: Float64Array; values: Float64Array } {
    const times = new Float64Array(this.size);
    const values = new Float64Array(this.size);
    const cap = this.times.length;
    for (let i = 0, idx = this.head; i < this.size; i++, idx = idx + 1 === cap ? 0 : idx + 1) {
      times[i] = this.times[idx];
      values[i] = this.values[idx];
    }
    const finite = (x: number) => (Number.isFinite(x) ? x : null);
    return {
      meta: {
        windowMs: this.windowMsValue,
        maxSamples: this.maxSamplesValue,
        lastAt: finite(this.lastAt),
        droppedAt: finite(this.droppedAt),
        size: this.size,
      },
      times,
      values,
    };
  }

  static fromSnapshot(
    meta: SlidingWindowMeta,
    times: Float64Array,
    values: Float64Array,
  ): SlidingWindow {
    const w = new SlidingWindow(meta.windowMs, meta.maxSamples);
    w.lastAt = meta.lastAt ?? -Infinity;
    w.droppedAt = meta.droppedAt ?? -Infinity;
    if (meta.size > 0) {
      w.reallocate(Math.min(meta.maxSamples, Math.max(MIN_CAPACITY, meta.size)));
      w.times.set(times.subarray(0, meta.size));
      w.values.set(values.subarray(0, meta.size));
      w.sorted.set(values.subarray(0, meta.size));
      w.sorted.subarray(0, meta.size).sort();
      w.size = meta.size;
    }
    return w;
  }

  /** Gives back memory an idle or shrunken window no longer needs. */
  shrinkToFit(): void {
    if (this.size === 0) {
      this.times = this.values = this.sorted = EMPTY;
      this.head = 0;
    } else if (this.times.length > MIN_CAPACITY && this.size < this.times.length / 4) {
      this.reallocate(Math.max(MIN_CAPACITY, Math.ceil(this.size * GROWTH)));
    }
  }

  /** Removes the `k` oldest samples, which are still inside the window (a truncation). */
  private dropOldest(k: number): void {
    const newest = this.times[(this.head + k - 1) % this.times.length];
    this.droppedAt = Math.max(this.droppedAt, newest);
    this.removeFromHead(k);
  }

  private removeFromHead(k: number): void {
    const cap = this.times.length;
    if (k === 1) {
      const pos = lowerBound(this.sorted, this.values[this.head], this.size);
      this.sorted.copyWithin(pos, pos + 1, this.size);
    } else {
      const removed = new Float64Array(k);
      for (let i = 0, idx = this.head; i < k; i++, idx = idx + 1 === cap ? 0 : idx + 1) {
        removed[i] = this.values[idx];
      }
      removed.sort();
      // One pass over the sorted array, skipping each removed value once (multiset difference).
      const s = this.sorted;
      let r = lowerBound(s, removed[0], this.size);
      let w = r;
      let j = 0;
      for (; r < this.size; r++) {
        if (j < k && s[r] === removed[j]) j++;
        else s[w++] = s[r];
      }
    }
    this.head = (this.head + k) % cap;
    this.size -= k;
    if (this.size === 0) this.head = 0;
  }

  /** Merges ascending `incoming` into the sorted array in place, from the back. */
  private mergeFromBack(incoming: Float64Array): void {
    const s = this.sorted;
    let i = this.size - 1;
    let j = incoming.length - 1;
    let w = this.size + incoming.length - 1;
    while (j >= 0) {
      if (i >= 0 && s[i] > incoming[j]) s[w--] = s[i--];
      else s[w--] = incoming[j--];
    }
  }

  private ensureCapacity(needed: number): void {
    const cap = this.times.length;
    if (needed <= cap) return;
    const grown = Math.max(needed, MIN_CAPACITY, Math.ceil(cap * GROWTH));
    this.reallocate(Math.min(this.maxSamplesValue, grown));
  }

  private reallocate(capacity: number): void {
    const times = new Float64Array(capacity);
    const values = new Float64Array(capacity);
    const sorted = new Float64Array(capacity);
    const cap = this.times.length;
    const first = Math.min(this.size, cap - this.head);
    times.set(this.times.subarray(this.head, this.head + first));
    values.set(this.values.subarray(this.head, this.head + first));
    if (first < this.size) {
      times.set(this.times.subarray(0, this.size - first), first);
      values.set(this.values.subarray(0, this.size - first), first);
    }
    sorted.set(this.sorted.subarray(0, this.size));
    this.times = times;
    this.values = values;
    this.sorted = sorted;
    this.head = 0;
  }
}
