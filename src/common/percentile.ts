/**
 * Nearest-rank percentile, the one definition used everywhere in Beacon:
 * P(p) = sorted[ceil(p/100 * n) - 1], clamped to [0, n-1].
 *
 * `p * n / 100` is computed in floating point, so 99.9 * 1000 / 100 comes out as
 * 999.0000000000001; a rank within a relative 1e-9 of an integer is taken as that
 * integer, so such noise cannot push the answer one sample too high.
 */
export function nearestRankIndex(p: number, n: number): number {
  if (n <= 0) throw new RangeError('nearestRankIndex needs at least one sample');
  const exact = (p * n) / 100;
  const rounded = Math.round(exact);
  const rank = Math.abs(exact - rounded) <= 1e-9 * Math.max(1, exact) ? rounded : Math.ceil(exact);
  return Math.min(n - 1, Math.max(0, rank - 1));
}

/** Percentile of the first `n` entries of an ascending array, or null when `n` is 0. */
export function percentileOfSorted(sorted: ArrayLike<number>, n: number, p: number): number | null {
  return n === 0 ? null : sorted[nearestRankIndex(p, n)];
}
