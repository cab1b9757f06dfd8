import { nearestRankIndex, percentileOfSorted } from './percentile';

/** The definition by counting: the smallest value with at least p% of samples at or below it. */
function bruteForce(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  for (const v of sorted) {
    const atOrBelow = sorted.filter((x) => x <= v).length;
    // Compare in integers: atOrBelow / n >= p / 100, with p given to 4 decimals.
    if (atOrBelow * 1_000_000 >= Math.round(p * 10_000) * sorted.length) return v;
  }
  return sorted[sorted.length - 1];
}

describe('nearest-rank percentile', () => {
  it('follows the textbook examples', () => {
    const sorted = [15, 20, 35, 40, 50];
    expect(percentileOfSorted(sorted, 5, 5)).toBe(15);
    expect(percentileOfSorted(sorted, 5, 30)).toBe(20);
    expect(percentileOfSorted(sorted, 5, 40)).toBe(20);
    expect(percentileOfSorted(sorted, 5, 50)).toBe(35);
    expect(percentileOfSorted(sorted, 5, 100)).toBe(50);
  });

  it('returns null for no samples and the only sample for one', () => {
    expect(percentileOfSorted([], 0, 50)).toBeNull();
    expect(percentileOfSorted([7], 1, 0.001)).toBe(7);
    expect(percentileOfSorted([7], 1, 100)).toBe(7);
  });

  it('is not pushed up a rank by floating-point noise', () => {
    // 99.9% of 1000 is exactly rank 999 (index 998).
    expect(nearestRankIndex(99.9, 1000)).toBe(998);
    expect(nearestRankIndex(95, 100)).toBe(94);
    expect(nearestRankIndex(99.99, 10_000)).toBe(9998);
  });

  it('matches counting on random data', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(rand() * 200);
      const values = Array.from({ length: n }, () => 1 + Math.floor(rand() * 50));
      const sorted = [...values].sort((a, b) => a - b);
      for (const p of [0.1, 1, 25, 50, 90, 95, 99, 99.9, 100, Math.round(rand() * 1e6) / 1e4]) {
        if (p <= 0) continue;
        expect(percentileOfSorted(sorted, n, p)).toBe(bruteForce(values, p));
      }
    }
  });
});
