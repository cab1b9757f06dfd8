import { rng } from '../../test/helpers/random';
import { MillisecondWindow } from './ms-window';

/** The obvious, slow definition: keep every arrival time and count those in the window. */
class BruteForce {
  private readonly times: number[] = [];
  private newest = -Infinity;
  constructor(private readonly windowMs: number) {}
  record(at: number): void {
    const t = Math.max(Math.floor(at), this.newest);
    this.newest = t;
    this.times.push(t);
  }
  count(at: number): number {
    const now = Math.max(Math.floor(at), this.newest);
    this.newest = now;
    return this.times.filter((t) => t > now - this.windowMs && t <= now).length;
  }
}

const START = Date.UTC(2026, 0, 1);

describe('MillisecondWindow', () => {
  it('counts (t − window, t]: in at window − 1 ms, out at exactly the window', () => {
    const w = new MillisecondWindow(60_000, START);
    w.record(START);
    expect(w.count(START)).toBe(1);
    expect(w.count(START + 59_999)).toBe(1);
    expect(w.count(START + 60_000)).toBe(0);
  });

  it('floors fractional times to the millisecond', () => {
    const w = new MillisecondWindow(1000, START);
    w.record(START + 0.9);
    w.record(START + 999.999);
    expect(w.count(START + 999.5)).toBe(2);
    expect(w.count(START + 1000)).toBe(1);
    expect(w.count(START + 1999.99)).toBe(0);
  });

  it('never goes back in time: an earlier time counts at the newest millisecond', () => {
    const w = new MillisecondWindow(1000, START);
    w.record(START + 500);
    w.record(START + 100); // clock stepped back
    expect(w.count(START)).toBe(2);
    expect(w.count(START + 1499)).toBe(2);
    expect(w.count(START + 1500)).toBe(0);
  });

  it('a jump longer than the window clears everything', () => {
    const w = new MillisecondWindow(1000, START);
    for (let i = 0; i < 1000; i++) w.record(START + i);
    expect(w.count(START + 999)).toBe(1000);
    expect(w.count(START + 10_000_000)).toBe(0);
    w.record(START + 10_000_000);
    expect(w.count(START + 10_000_000)).toBe(1);
  });

  it('restore adds only inside the window and does not move time', () => {
    const w = new MillisecondWindow(1000, START + 5000);
    expect(w.restore(START + 4001, 3)).toBe(true);
    expect(w.restore(START + 4000, 3)).toBe(false);
    expect(w.restore(START + 5001, 3)).toBe(false);
    expect(w.headMs).toBe(START + 5000);
    expect(w.count(START + 5000)).toBe(3);
    expect(w.at(START + 4001)).toBe(3);
  });

  it('forEachSince lists non-empty milliseconds oldest first, clamped to the window', () => {
    const w = new MillisecondWindow(100, START);
    for (const t of [0, 5, 5, 50, 150]) w.record(START + t);
    const seen: [number, number][] = [];
    w.forEachSince(-Infinity, (ms, c) => seen.push([ms - START, c]));
    expect(seen).toEqual([[150, 1]]);
    const w2 = new MillisecondWindow(1000, START);
    for (const t of [0, 5, 5, 50]) w2.record(START + t);
    const seen2: [number, number][] = [];
    w2.forEachSince(START + 5, (ms, c) => seen2.push([ms - START, c]));
    expect(seen2).toEqual([
      [5, 2],
      [50, 1],
    ]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'matches a brute-force list of timestamps on random arrival patterns (seed %i)',
    (seed) => {
      const random = rng(seed);
      const windowMs = [1, 7, 100, 1000, 60_000][seed % 5];
      const w = new MillisecondWindow(windowMs, START);
      const ref = new BruteForce(windowMs);
      let now = START;
      for (let step = 0; step < 3000; step++) {
        const r = random();
        // Bursts in one millisecond, small steps, steps of exactly the window, long gaps,
        // fractional times and the odd step backwards.
        if (r < 0.3) now += 0;
        else if (r < 0.6) now += random() * 3;
        else if (r < 0.7) now += windowMs;
        else if (r < 0.75) now += windowMs - 1;
        else if (r < 0.8) now += random() * windowMs * 3;
        else if (r < 0.83) now -= random() * 5;
        else now += Math.floor(random() * 50);
        if (random() < 0.7) {
          w.record(now);
          ref.record(now);
        } else {
          expect(w.count(now)).toBe(ref.count(now));
        }
      }
      expect(w.count(now)).toBe(ref.count(now));
    },
  );
});
