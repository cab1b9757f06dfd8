import { rng } from '../../test/helpers/random';
import { DIMENSIONS, Post } from './post';
import { PostStore, percentileOf } from './post.store';

const nearestRank = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1];
};

export function randomPost(random: () => number, ts: number): Post {
  const values = new Float64Array(DIMENSIONS.length).fill(NaN);
  for (let d = 0; d < DIMENSIONS.length; d++) {
    // Heavy-tailed, many ties at 0, and some posts without the field.
    if (random() < 0.7) values[d] = random() < 0.3 ? 0 : Math.floor(Math.exp(random() * 14));
  }
  return { type: 'tweet', timestamp: ts, values };
}

/**
 * What every PostStore must do, wherever posts live. `make` returns an empty store that
 * groups arrivals in buckets of `bucketMs` and keeps at most `maxPosts`.
 */
export function postStoreContract(
  name: string,
  make: (bucketMs: number, maxPosts: number) => Promise<PostStore> | PostStore,
): void {
  describe(`${name} (PostStore contract)`, () => {
    it.each([1, 2, 3])(
      'windows and exact percentiles match brute force over random arrivals (seed %i)',
      async (seed) => {
        const random = rng(seed);
        const store = await make(5000, 1e9);
        const kept: { at: number; post: Post }[] = [];
        let now = 1_700_000_000_000;
        for (let i = 0; i < 2000; i++) {
          now += Math.floor(random() * (random() < 0.1 ? 20_000 : 200));
          const p = randomPost(random, 1_600_000_000 + Math.floor(random() * 1e6));
          await store.add(p, now);
          kept.push({ at: now, post: p });
        }
        for (let q = 0; q < 30; q++) {
          const to = now - Math.floor(random() * 100_000);
          const from = to - 1 - Math.floor(random() * 300_000);
          // One to three dimensions at once, each answered as if alone.
          const dims = [...new Set([0, 1, 2].map(() => Math.floor(random() * DIMENSIONS.length)))];
          dims.length = 1 + Math.floor(random() * dims.length);
          const inside = kept.filter((k) => k.at > from && k.at <= to);
          const w = await store.window(from, to, dims);
          expect(w.stats.totalPosts).toBe(inside.length);
          if (inside.length > 0) {
            expect(w.stats.minTimestamp).toBe(Math.min(...inside.map((k) => k.post.timestamp)));
            expect(w.stats.maxTimestamp).toBe(Math.max(...inside.map((k) => k.post.timestamp)));
            expect(w.stats.newestArrival).toBe(Math.max(...inside.map((k) => k.at)));
          } else {
            expect(w.stats.newestArrival).toBeNull();
          }
          expect(w.fields).toHaveLength(dims.length);
          dims.forEach((d, i) => {
            const vals = inside.map((k) => k.post.values[d]).filter((v) => !Number.isNaN(v));
            expect(w.fields[i].count).toBe(vals.length);
            for (const p of [50, 90, 99]) {
              expect(percentileOf(w.fields[i], p)).toBe(
                vals.length === 0 ? null : nearestRank(vals, p),
              );
            }
          });
        }
      },
    );

    it('keeps every post of concurrent adds', async () => {
      const store = await make(5000, 1e9);
      const random = rng(4);
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => store.add(randomPost(random, i + 1), 10_000 + i)),
      );
      expect((await store.window(0, 20_000, [0])).stats).toMatchObject({
        totalPosts: 500,
        minTimestamp: 1,
        maxTimestamp: 500,
      });
      expect(await store.usage()).toMatchObject({ postsRetained: 500, evictedForMemory: 0 });
    });

    it('prunes what arrived before the cut-off and says how many', async () => {
      const store = await make(5000, 1e9);
      const random = rng(9);
      await store.add(randomPost(random, 1), 10_000);
      await store.add(randomPost(random, 2), 14_999);
      await store.add(randomPost(random, 3), 15_000);
      expect(await store.pruneOlderThan(15_000)).toBe(2);
      expect(await store.usage()).toMatchObject({
        postsRetained: 1,
        oldestRetainedArrival: 15_000,
      });
      expect((await store.window(0, 20_000, [0])).stats.totalPosts).toBe(1);
    });

    it('bounds memory: past maxPosts the oldest go first, counted', async () => {
      const store = await make(1000, 10);
      const random = rng(3);
      for (let i = 0; i < 50; i++) await store.add(randomPost(random, 1), i * 250);
      const u = await store.usage();
      expect(u.postsRetained).toBeLessThanOrEqual(10);
      expect(u.evictedForMemory).toBe(50 - u.postsRetained);
      expect((await store.window(0, 50 * 250, [0])).stats.totalPosts).toBe(u.postsRetained);
    });

    it('answers an empty window with zero posts and no percentiles', async () => {
      const store = await make(5000, 1e9);
      const w = await store.window(0, 1000, [0]);
      expect(w.stats).toMatchObject({ totalPosts: 0, minTimestamp: null, newestArrival: null });
      expect(w.fields).toEqual([{ runs: [], count: 0 }]);
      expect(percentileOf(w.fields[0], 50)).toBeNull();
    });
  });
}
