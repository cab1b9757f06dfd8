/** Exact k-th smallest over many sorted runs, without sorting their union. */

import { lowerBound, upperBound } from '../common/binary-search';

/** In-place Hoare quickselect: the value of rank `k` (0-based) in `a`. */
export function quickselect(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const pivot = a[(left + right) >>> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k];
  }
  return a[k];
}

/**
 * Scratch space reused by every selection (which runs synchronously, so one buffer is
 * enough). Allocating megabytes per query made V8 run full collections for "external
 * memory pressure", each one a pause of 50–130 ms for ingest.
 */
let scratch = new Float64Array(1 << 16);
const sample = new Float64Array(1 << 14);

function concat(runs: Float64Array[], total: number): Float64Array {
  if (scratch.length < total) scratch = new Float64Array(Math.max(total, scratch.length * 2));
  const out = scratch.subarray(0, total);
  let at = 0;
  for (const r of runs) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

/** Below this many values, copying everything and selecting is faster than bracketing. */
const SMALL = 1 << 18;
const SAMPLES = sample.length;

/**
 * The value of 1-based rank `k` among all values of the sorted `runs` (`total` of them).
 * Large inputs: a random sample brackets the answer, counts by binary search in every
 * run confirm the bracket (or widen it), and only the values strictly inside it are
 * copied and selected. The sample only decides how much work is done; the answer is
 * exact whatever it holds.
 */
export function kthOfSortedRuns(runs: Float64Array[], total: number, k: number): number {
  if (total <= SMALL) return quickselect(concat(runs, total), k - 1);
  const prefix = new Float64Array(runs.length + 1);
  for (let i = 0; i < runs.length; i++) prefix[i + 1] = prefix[i] + runs[i].length;
  for (let s = 0; s < SAMPLES; s++) {
    const g = Math.floor(Math.random() * total);
    let lo = 0;
    let hi = runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (prefix[mid] <= g) lo = mid;
      else hi = mid - 1;
    }
    sample[s] = runs[lo][g - prefix[lo]];
  }
  sample.sort();
  const q = k / total;
  const spread = Math.ceil(4 * Math.sqrt(SAMPLES * q * (1 - q))) + 8;
  const centre = Math.floor(q * SAMPLES);
  let lo = sample[Math.max(0, centre - spread)];
  let hi = sample[Math.min(SAMPLES - 1, centre + spread)];
  const countLess = (v: number) => runs.reduce((n, r) => n + lowerBound(r, v), 0);
  const countAtMost = (v: number) => runs.reduce((n, r) => n + upperBound(r, v), 0);
  // Widen a bracket the sample got wrong (rare), so that rank k lies in [lo, hi].
  if (k <= countLess(lo)) lo = -Infinity;
  if (k > countAtMost(hi)) hi = Infinity;
  const atMostLo = lo === -Infinity ? 0 : countAtMost(lo);
  if (k <= atMostLo) return lo;
  if (hi !== Infinity && k > countLess(hi)) return hi;
  const inside: Float64Array[] = [];
  let n = 0;
  for (const r of runs) {
    const a = lo === -Infinity ? 0 : upperBound(r, lo);
    const b = hi === Infinity ? r.length : lowerBound(r, hi);
    if (b > a) {
      inside.push(r.subarray(a, b));
      n += b - a;
    }
  }
  return quickselect(concat(inside, n), k - atMostLo - 1);
}
