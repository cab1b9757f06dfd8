import { nearestRankIndex } from '../common/percentile';
import { SlidingWindow } from './sliding-window';

/** The reference the seed describes: keep every sample, filter by time and sort on read. */
class BruteForceWindow {
  samples: { at: number; v: number }[] = [];
  droppedAt = -Infinity;

  constructor(
    public windowMs: number,
    public maxSamples: number,
  ) {}

  add(values: number[], at: number) {
    for (const v of values) this.samples.push({ at, v });
    while (this.samples.length > this.maxSamples) {
      const gone = this.samples.shift()!;
      if (gone.at > at - this.windowMs) this.droppedAt = Math.max(this.droppedAt, gone.at);
    }
  }

  live(now: number): number[] {
    return this.samples
      .filter((s) => s.at > now - this.windowMs)
      .map((s) => s.v)
      .sort((a, b) => a - b);
  }

  percentile(now: number, p: number): number | null {
    const live = this.live(now);
    return live.length === 0 ? null : live[nearestRankIndex(p, live.length)];
  }
}

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

describe('SlidingWindow', () => {
  it('counts a sample while recordedAt > now - window, and not at exactly the window', () => {
    const w = new SlidingWindow(1000, 100);
    w.add([5], 10_000);
    w.evictExpired(10_999);
    expect(w.count).toBe(1);
    w.evictExpired(11_000);
    expect(w.count).toBe(0);
    expect(w.percentile(50)).toBeNull();
  });

  it('computes nearest-rank percentiles over what it holds', () => {
    const w = new SlidingWindow(60_000, 1000);
    w.add([50, 10, 40, 20, 30], 0);
    expect(w.percentile(50)).toBe(30);
    expect(w.percentile(95)).toBe(50);
    expect(w.percentile(1)).toBe(10);
  });

  it('keeps the newest maxSamples and reports truncation while dropped samples are in window', () => {
    const w = new SlidingWindow(1000, 3);
    w.add([1, 2], 0);
    w.add([3, 4], 100);
    expect(w.count).toBe(3);
    expect(w.percentile(1)).toBe(2);
    expect(w.truncatedAt(100)).toBe(true);
    // The dropped sample (at 0) would have left the window at 1000.
    expect(w.truncatedAt(999)).toBe(true);
    expect(w.truncatedAt(1000)).toBe(false);
  });

  it('does not call eviction of expired samples a truncation', () => {
    const w = new SlidingWindow(1000, 2);
    w.add([1, 2], 0);
    w.add([3], 1500);
    expect(w.count).toBe(1);
    expect(w.truncatedAt(1500)).toBe(false);
  });

  it('keeps the last maxSamples of a batch larger than the cap', () => {
    const w = new SlidingWindow(1000, 3);
    w.add([9, 8, 7, 1, 2, 3], 0);
    expect(w.count).toBe(3);
    expect(w.percentile(100)).toBe(3);
    expect(w.truncatedAt(0)).toBe(true);
  });

  it('lowering maxSamples drops the oldest and gives memory back', () => {
    const w = new SlidingWindow(60_000, 100);
    w.add([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0);
    w.reconfigure(60_000, 4, 0);
    expect(w.count).toBe(4);
    expect(w.percentile(1)).toBe(7);
    expect(w.bytes).toBeLessThanOrEqual(4 * 24);
    expect(w.truncatedAt(0)).toBe(true);
  });

  it('releases all memory once every sample has expired', () => {
    const w = new SlidingWindow(1000, 100);
    w.add([1, 2, 3], 0);
    expect(w.bytes).toBeGreaterThan(0);
    w.evictExpired(5000);
    w.shrinkToFit();
    expect(w.bytes).toBe(0);
    w.add([4], 6000);
    expect(w.percentile(50)).toBe(4);
  });

  it('never lets a clock step backwards reorder its samples', () => {
    const w = new SlidingWindow(1000, 100);
    w.add([1], 5000);
    w.add([2], 3000); // treated as arriving at 5000
    w.evictExpired(5999);
    expect(w.count).toBe(2);
    w.evictExpired(6000);
    expect(w.count).toBe(0);
  });

  it('agrees with the brute-force reference on random histories', () => {
    const rand = rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const windowMs = 1 + Math.floor(rand() * 2000);
      const maxSamples = 1 + Math.floor(rand() * 64);
      const w = new SlidingWindow(windowMs, maxSamples);
      const ref = new BruteForceWindow(windowMs, maxSamples);
      let now = Math.floor(rand() * 1e6);
      for (let step = 0; step < 60; step++) {
        now += Math.floor(rand() * 300);
        const batch = Array.from(
          { length: rand() < 0.5 ? 1 : 1 + Math.floor(rand() * 80) },
          // Few distinct values so that duplicates are common.
          () => 1 + Math.floor(rand() * 20),
        );
        w.add(batch, now);
        ref.add(batch, now);
        const readAt = now + Math.floor(rand() * windowMs * 1.2);
        w.evictExpired(readAt);
        expect(w.count).toBe(ref.live(readAt).length);
        for (const p of [1, 50, 95, 99, 100]) {
          expect(w.percentile(p)).toBe(ref.percentile(readAt, p));
        }
        expect(w.truncatedAt(readAt)).toBe(ref.droppedAt > readAt - windowMs);
        if (rand() < 0.1) w.shrinkToFit();
        now = Math.max(now, readAt);
      }
    }
  });
});
