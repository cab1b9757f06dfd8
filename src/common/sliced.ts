import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/**
 * Work on large arrays in slices, yielding to the event loop between them, so that one
 * request building a big answer (100,000 rockets) never holds up the others for more than
 * a slice's time (about a millisecond each).
 */

/** Elements handled between two yields. */
export const SLICE = 4096;

/**
 * A stable sort of `items` (in place) by `cmp`: runs of SLICE sorted by Array#sort, then
 * merged pairwise, bottom-up, yielding between slices of work. Small arrays sort at once.
 */
export async function sortInSlices<T>(items: T[], cmp: (a: T, b: T) => number): Promise<T[]> {
  const n = items.length;
  if (n <= SLICE) return items.sort(cmp);
  for (let lo = 0; lo < n; lo += SLICE) {
    const run = items.slice(lo, lo + SLICE).sort(cmp);
    for (let i = 0; i < run.length; i++) items[lo + i] = run[i];
    await yieldToEventLoop();
  }
  let src = items;
  let dst = new Array<T>(n);
  for (let width = SLICE; width < n; width *= 2) {
    let moved = 0;
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      // In chunks, so that a long merge (the last pass is one of n elements) yields too.
      while (k < hi) {
        const stop = Math.min(hi, k + 8 * SLICE - moved);
        const from = k;
        while (k < stop && i < mid && j < hi) {
          dst[k++] = cmp(src[j], src[i]) < 0 ? src[j++] : src[i++];
        }
        while (k < stop && i < mid) dst[k++] = src[i++];
        while (k < stop && j < hi) dst[k++] = src[j++];
        moved += k - from;
        if (moved >= 8 * SLICE) {
          moved = 0;
          await yieldToEventLoop();
        }
      }
    }
    [src, dst] = [dst, src];
  }
  if (src !== items) for (let i = 0; i < n; i++) items[i] = src[i];
  return items;
}

/** `JSON.stringify(items)`, built a slice at a time. */
export async function stringifyInSlices(items: readonly unknown[]): Promise<string> {
  if (items.length <= SLICE) return JSON.stringify(items);
  const parts: string[] = [];
  for (let lo = 0; lo < items.length; lo += SLICE) {
    parts.push(JSON.stringify(items.slice(lo, lo + SLICE)).slice(1, -1));
    await yieldToEventLoop();
  }
  return `[${parts.join(',')}]`;
}

/** `Array.from(values, map)`, a slice at a time (a live Map iterator copes with changes). */
export async function mapInSlices<T, U>(values: Iterable<T>, map: (v: T) => U): Promise<U[]> {
  const out: U[] = [];
  let sinceYield = 0;
  for (const v of values) {
    out.push(map(v));
    if (++sinceYield === SLICE) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
  }
  return out;
}
