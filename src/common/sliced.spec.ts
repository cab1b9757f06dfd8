import { rng } from '../../test/helpers/random';
import { SLICE, mapInSlices, sortInSlices, stringifyInSlices } from './sliced';

describe('sliced work', () => {
  it.each([0, 1, SLICE, SLICE + 1, 3 * SLICE + 17, 9 * SLICE])(
    'sorts %i items as Array#sort does, stably',
    async (n) => {
      const random = rng(n + 1);
      const items = Array.from({ length: n }, (_, i) => ({ k: Math.floor(random() * 50), i }));
      const want = [...items].sort((a, b) => a.k - b.k);
      const got = await sortInSlices(items, (a, b) => a.k - b.k);
      expect(got).toBe(items);
      expect(got).toEqual(want);
    },
  );

  it('yields to the event loop while sorting a large array', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const items = Array.from({ length: 40 * SLICE }, (_, i) => (i * 7919) % 100_003);
    const want = Array.from(Float64Array.from(items).sort());
    await sortInSlices(items, (a, b) => a - b);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    // One comparison with a reference sort (one expect per element took 9 s): the first
    // place they differ, if any, and the lengths.
    const differs = items.findIndex((v, i) => v !== want[i]);
    expect({ length: items.length, differs }).toEqual({ length: want.length, differs: -1 });
  });

  it('stringifies like JSON.stringify, and maps like Array.from', async () => {
    for (const n of [0, 1, SLICE + 3, 2 * SLICE]) {
      const items = Array.from({ length: n }, (_, i) => ({ i, s: `"${i}"` }));
      expect(await stringifyInSlices(items)).toBe(JSON.stringify(items));
      expect(await mapInSlices(new Set(items), (x) => x.i)).toEqual(items.map((x) => x.i));
    }
  });
});
