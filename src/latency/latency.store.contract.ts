import { LimitExceededError } from '../common/domain-errors';
import { LatencyStore } from './latency.store';

export interface StoreLimits {
  windowMs: number;
  maxSamples: number;
  maxMetrics: number;
  maxTotalSamples: number;
}

/**
 * What every LatencyStore must do, whatever keeps the samples. Each implementation's
 * spec calls this with a factory; `makeStore` must return an empty store.
 */
export function latencyStoreContract(
  name: string,
  makeStore: (limits: StoreLimits) => Promise<LatencyStore> | LatencyStore,
): void {
  const limits: StoreLimits = {
    windowMs: 1000,
    maxSamples: 100,
    maxMetrics: 5,
    maxTotalSamples: 1000,
  };

  describe(`${name} (LatencyStore contract)`, () => {
    let store: LatencyStore;
    beforeEach(async () => {
      store = await makeStore(limits);
    });

    it('creates a metric with the defaults on first record', async () => {
      await store.record('a', [3, 1, 2], 0);
      expect(await store.snapshot('a', 0, [50, 100])).toEqual({
        id: 'a',
        windowMs: 1000,
        maxSamples: 100,
        count: 3,
        truncated: false,
        values: [2, 3],
      });
    });

    it('expires metrics created by samples once their window has been empty idleMs, never PUT ones', async () => {
      // windowMs 1000, idle 5000: a metric whose last sample is at t goes at t + 6000.
      await store.record('implicit', [1], 0);
      await store.record('implicit-busy', [1], 0);
      await store.configure('put', {}, 0);
      await store.record('adopted', [1], 0);
      await store.configure('adopted', { maxSamples: 50 }, 0); // a PUT adopts it
      await store.record('implicit-busy', [2], 3000);
      expect(await store.expireIdle(5999, 5000)).toBe(0);
      expect(await store.expireIdle(6000, 5000)).toBe(1);
      expect(await store.snapshot('implicit', 6000, [50])).toBeUndefined();
      expect(await store.snapshot('implicit-busy', 6000, [50])).toBeDefined();
      expect(await store.expireIdle(9000, 5000)).toBe(1);
      expect(await store.expireIdle(1e9, 5000)).toBe(0);
      expect((await store.snapshotAll(1e9, [50])).map((m) => m.id)).toEqual(['adopted', 'put']);
      expect(await store.usage()).toMatchObject({ metrics: 2, expiredIdle: 2 });
      // An expired name comes back with its next sample, as a new metric.
      await store.record('implicit', [7], 1e9);
      expect(await store.snapshot('implicit', 1e9, [50])).toMatchObject({ count: 1, values: [7] });
    });

    it('counts samples refused at the metric cap', async () => {
      for (let i = 0; i < 5; i++) await store.record(`m${i}`, [1], 0);
      await expect(store.record('one-more', [1], 0)).rejects.toThrow(LimitExceededError);
      await expect(store.record('and-another', [1], 0)).rejects.toThrow(LimitExceededError);
      expect(await store.usage()).toMatchObject({ metrics: 5, refusedAtLimit: 2 });
      // Idle expiry frees the cap by itself.
      expect(await store.expireIdle(10_000, 5000)).toBe(5);
      await expect(store.record('one-more', [1], 10_000)).resolves.toBeUndefined();
    });

    it('knows nothing of a metric never recorded', async () => {
      expect(await store.snapshot('nope', 0, [50])).toBeUndefined();
      expect(await store.remove('nope')).toBe(false);
    });

    it('loses nothing under concurrent writers to one and many metrics', async () => {
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => store.record(i % 2 ? 'odd' : 'even', [i + 1], 10)),
      );
      const all = await store.snapshotAll(10, [100]);
      expect(all.map((s) => [s.id, s.count])).toEqual([
        ['even', 100],
        ['odd', 100],
      ]);
      // Each kept the newest 100 of its 250 and says so.
      expect(all.every((s) => s.truncated)).toBe(true);
    });

    it('lists snapshots sorted by id', async () => {
      for (const id of ['b', 'c', 'a']) await store.record(id, [1], 0);
      expect((await store.snapshotAll(0, [])).map((s) => s.id)).toEqual(['a', 'b', 'c']);
      expect((await store.snapshotAll(0, [], 2)).map((s) => s.id)).toEqual(['a', 'b']);
    });

    it('evicts samples at exactly the window edge', async () => {
      await store.record('a', [1], 0);
      expect((await store.snapshot('a', 999, []))!.count).toBe(1);
      expect((await store.snapshot('a', 1000, []))!.count).toBe(0);
    });

    it('prunes expired samples and reports how many', async () => {
      await store.record('a', [1, 2], 0);
      await store.record('b', [3], 500);
      expect(await store.pruneExpired(1200)).toBe(2);
      expect((await store.usage()).samples).toBe(1);
    });

    it('refuses metrics beyond maxMetrics and reservations beyond maxTotalSamples', async () => {
      for (let i = 0; i < 5; i++) await store.record(`m${i}`, [1], 0);
      await expect(store.record('m5', [1], 0)).rejects.toThrow(LimitExceededError);
      await expect(store.configure('m0', { maxSamples: 700 }, 0)).rejects.toThrow(
        LimitExceededError,
      );
      expect((await store.snapshot('m0', 0, []))!.maxSamples).toBe(100);
      // Removing a metric frees both its slot and its reservation.
      expect(await store.remove('m1')).toBe(true);
      await expect(store.configure('m0', { maxSamples: 650 }, 0)).resolves.toEqual({
        created: false,
      });
      // A free metric slot, but 650 + 3 × 100 + 100 samples exceed the budget of 1000.
      await expect(store.record('m5', [1], 0)).rejects.toThrow('LATENCY_MAX_TOTAL_SAMPLES');
      expect(await store.usage()).toMatchObject({ metrics: 4, reservedSamples: 950 });
    });

    it('configure creates with given settings and later changes only what is given', async () => {
      expect(await store.configure('c', { windowMs: 50 }, 0)).toEqual({ created: true });
      expect(await store.configure('c', { maxSamples: 7 }, 0)).toEqual({ created: false });
      expect(await store.snapshot('c', 0, [])).toMatchObject({ windowMs: 50, maxSamples: 7 });
    });
  });
}
