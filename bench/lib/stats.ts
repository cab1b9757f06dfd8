/**
 * The bench's order statistics, in one place so every figure picks its rank the same way.
 * Two definitions, both kept as the published figures were measured with them: `quantile`
 * takes the element at floor(p·n), `nearestRank` the one at ceil(p·n) − 1.
 */

/** An ascending copy. */
export function ascending(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** The element at floor(p·n) of an ascending array (its last for p near 1). */
export function quantileOfSorted(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** `quantileOfSorted` of an unsorted array. */
export function quantile(xs: readonly number[], p: number): number {
  return quantileOfSorted(ascending(xs), p);
}

/** The element at floor(n / 2) in ascending order: the middle of an odd number of runs. */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** The element whose `key` is the median, e.g. the run with the median requests/s. */
export function medianBy<T>(xs: readonly T[], key: (x: T) => number): T {
  return [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)];
}

/** Nearest-rank percentile (ceil(p·n) − 1), NaN for no values. */
export function nearestRank(xs: readonly number[], p: number): number {
  const sorted = ascending(xs);
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
    : NaN;
}
