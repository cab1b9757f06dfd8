import { rng } from '../../test/helpers/random';
import { settingsOf } from '../config/load-settings';
import { StreamSettings } from './stream-analysis.settings';
import { FakeClock } from '../../test/helpers/fake-clock';
import { AnalysisService } from './analysis.service';
import { DIMENSIONS, Post } from './post';
import { InMemoryPostStore as PostStore } from './in-memory-post.store';
import { postStoreContract } from './post.store.contract';
import { kthOfSortedRuns, quickselect } from './select';

const nearestRank = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1];
};

function post(random: () => number, ts: number): Post {
  const values = new Float64Array(DIMENSIONS.length).fill(NaN);
  for (let d = 0; d < DIMENSIONS.length; d++) {
    // Heavy-tailed, many ties at 0, and some posts without the field.
    if (random() < 0.7) values[d] = random() < 0.3 ? 0 : Math.floor(Math.exp(random() * 14));
  }
  return { type: 'tweet', timestamp: ts, values };
}

postStoreContract('InMemoryPostStore', (bucketMs, maxPosts) => new PostStore(bucketMs, maxPosts));

describe('selection', () => {
  it('quickselect agrees with sorting', () => {
    const random = rng(1);
    for (let t = 0; t < 200; t++) {
      const a = Float64Array.from({ length: 1 + (t % 50) }, () => Math.floor(random() * 10));
      const k = Math.floor(random() * a.length);
      const sorted = [...a].sort((x, y) => x - y);
      expect(quickselect(Float64Array.from(a), k)).toBe(sorted[k]);
    }
  });

  it('k-th of many sorted runs is exact on large heavy-tailed inputs (the bracketing path)', () => {
    const random = rng(2);
    const all: number[] = [];
    const runs: Float64Array[] = [];
    for (let r = 0; r < 2000; r++) {
      const run = Float64Array.from({ length: Math.floor(random() * 400) }, () =>
        random() < 0.3 ? 0 : Math.floor(Math.exp(random() * 20)),
      ).sort();
      runs.push(run);
      all.push(...run);
    }
    expect(all.length).toBeGreaterThan(1 << 18);
    const sorted = Float64Array.from(all).sort();
    for (const k of [
      1,
      2,
      1000,
      Math.ceil(all.length / 2),
      Math.ceil(all.length * 0.9),
      Math.ceil(all.length * 0.99),
      all.length,
    ]) {
      expect(kthOfSortedRuns(runs, all.length, k)).toBe(sorted[k - 1]);
    }
  });
});

describe('PostStore', () => {
  it.each([1, 2, 3, 4, 5])(
    'matches brute force over random arrivals and windows (seed %i)',
    async (seed) => {
      const random = rng(seed);
      const store = new PostStore(5000, 1e9);
      // Queried the way the service queries it (window, then each percentile).
      const service = new AnalysisService(store, new FakeClock(), settingsOf(StreamSettings));
      const kept: { at: number; post: Post }[] = [];
      let now = 1_700_000_000_000;
      for (let i = 0; i < 3000; i++) {
        now += Math.floor(random() * (random() < 0.1 ? 20_000 : 200));
        const p = post(random, 1_600_000_000 + Math.floor(random() * 1e6));
        store.append(p, now);
        kept.push({ at: now, post: p });
      }
      for (let q = 0; q < 40; q++) {
        const to = now - Math.floor(random() * 100_000);
        const from = to - 1 - Math.floor(random() * 300_000);
        const d = Math.floor(random() * DIMENSIONS.length);
        const inside = kept.filter((k) => k.at > from && k.at <= to);
        const vals = inside.map((k) => k.post.values[d]).filter((v) => !Number.isNaN(v));
        const got = await service.query(from, to, [d]);
        expect(got.totalPosts).toBe(inside.length);
        expect(got.fields[0].count).toBe(vals.length);
        if (inside.length > 0) {
          expect(got.minTimestamp).toBe(Math.min(...inside.map((k) => k.post.timestamp)));
          expect(got.maxTimestamp).toBe(Math.max(...inside.map((k) => k.post.timestamp)));
        }
        [50, 90, 99].forEach((p, i) =>
          expect(got.fields[0].percentiles[i]).toBe(
            vals.length === 0 ? null : nearestRank(vals, p),
          ),
        );
      }
    },
  );

  it('prunes whole buckets that ended before the cut-off', () => {
    const store = new PostStore(5000, 1e9);
    const random = rng(9);
    store.append(post(random, 1), 10_000);
    store.append(post(random, 2), 14_999);
    store.append(post(random, 3), 15_000);
    expect(store.prune(15_000)).toBe(2);
    expect(store.size).toBe(1);
    expect(store.oldestArrival).toBe(15_000);
  });

  it('bounds memory: past maxPosts the oldest buckets are evicted and counted', () => {
    const store = new PostStore(1000, 10);
    const random = rng(3);
    for (let i = 0; i < 50; i++) store.append(post(random, 1), i * 250);
    expect(store.size).toBeLessThanOrEqual(10);
    expect(store.evicted).toBe(50 - store.size);
  });
});
