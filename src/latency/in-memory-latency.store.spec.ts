import { InMemoryLatencyStore } from './in-memory-latency.store';
import { latencyStoreContract } from './latency.store.contract';

latencyStoreContract(
  'InMemoryLatencyStore',
  (l) =>
    new InMemoryLatencyStore({
      defaults: { windowMs: l.windowMs, maxSamples: l.maxSamples },
      maxMetrics: l.maxMetrics,
      maxTotalSamples: l.maxTotalSamples,
    }),
);

describe('InMemoryLatencyStore pruning', () => {
  it('does not overlap two passes and still skips metrics removed mid-pass', async () => {
    const store = new InMemoryLatencyStore({
      defaults: { windowMs: 10, maxSamples: 10 },
      maxMetrics: 2000,
      maxTotalSamples: 100_000,
    });
    for (let i = 0; i < 1000; i++) await store.record(`m${i}`, [1, 2], 0);
    // The first pass yields between slices; the second finds it running and returns at once.
    const first = store.pruneExpired(100);
    const second = store.pruneExpired(100);
    await store.remove('m999');
    expect(await second).toBe(0);
    expect(await first).toBe(1998);
    expect(await store.usage()).toMatchObject({ metrics: 999, samples: 0, bytes: 0 });
  });
});

describe('InMemoryLatencyStore snapshots', () => {
  const make = () =>
    new InMemoryLatencyStore({
      defaults: { windowMs: 1000, maxSamples: 10 },
      maxMetrics: 10,
      maxTotalSamples: 1000,
    });

  it('keep what idle expiry needs: which metrics a PUT made, and their last sample', async () => {
    const a = make();
    await a.record('implicit', [1], 100);
    await a.configure('put', {}, 0);
    await expect(a.record('x', [1], 50)).resolves.toBeUndefined();
    const b = make();
    b.restoreSnapshot(a.toSnapshot());
    expect(await b.expireIdle(100 + 1000 + 5000 - 1, 5000)).toBe(1); // 'x' (last 50) only
    expect(await b.expireIdle(100 + 1000 + 5000, 5000)).toBe(1); // then 'implicit'
    expect((await b.snapshotAll(1e9, [50])).map((m) => m.id)).toEqual(['put']);
    expect(await b.usage()).toMatchObject({ expiredIdle: 2 });
  });
});

describe('InMemoryLatencyStore as a fold of the shared log', () => {
  it('applies every op at once: nothing after an expiry can land before it ends', async () => {
    const store = new InMemoryLatencyStore({
      defaults: { windowMs: 1000, maxSamples: 10 },
      maxMetrics: 10,
      maxTotalSamples: 1000,
    });
    for (const id of ['a', 'b', 'c']) await store.record(id, [1], 0);
    // As the log applies an entry: one op after the other, without awaiting.
    const expired = store.expireIdle(10_000, 5000);
    const recorded = store.record('c', [2], 10_000);
    await Promise.all([expired, recorded]);
    expect(await expired).toBe(3);
    // 'c' was expired first, then created anew by the sample that came after.
    expect((await store.snapshotAll(10_000, [50])).map((m) => [m.id, m.count])).toEqual([['c', 1]]);
  });

  it('a PUT refused at the sample budget does not adopt the metric', async () => {
    const store = new InMemoryLatencyStore({
      defaults: { windowMs: 1000, maxSamples: 10 },
      maxMetrics: 10,
      maxTotalSamples: 20,
    });
    await store.record('m', [1], 0);
    await expect(store.configure('m', { maxSamples: 100 }, 0)).rejects.toThrow(/budget/);
    expect(await store.expireIdle(10_000, 5000)).toBe(1);
  });
});
