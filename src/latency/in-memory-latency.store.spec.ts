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
