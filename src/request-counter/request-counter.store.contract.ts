import { FakeClock } from '../../test/helpers/fake-clock';
import { RequestCounterStore } from './request-counter.store';

export interface CounterHarness {
  clock: FakeClock;
  /**
   * Opens a store on the harness's one backing state (a directory, a Redis prefix…), so a
   * second open after close is a restart.
   */
  open(windowMs: number): Promise<RequestCounterStore>;
  cleanup(): Promise<void>;
}

/** What every RequestCounterStore must do, wherever the count is kept. */
export function requestCounterStoreContract(
  name: string,
  harness: () => Promise<CounterHarness>,
): void {
  const WINDOW = 60_000;

  describe(`${name} (RequestCounterStore contract)`, () => {
    let h: CounterHarness;
    beforeEach(async () => {
      h = await harness();
    });
    afterEach(() => h.cleanup());

    it('counts requests in (now − window, now], exactly at both edges', async () => {
      const store = await h.open(WINDOW);
      const t0 = h.clock.now();
      store.record(t0);
      store.record(t0);
      expect(store.count(t0)).toBe(2);
      store.record(t0 + 10);
      expect(store.count(t0 + 10)).toBe(3);
      expect(store.count(t0 + WINDOW - 1)).toBe(3);
      expect(store.count(t0 + WINDOW)).toBe(1);
      expect(store.count(t0 + WINDOW + 10)).toBe(0);
      expect(store.windowMs).toBe(WINDOW);
      await store.close();
    });

    it('a restart after close keeps the count exactly', async () => {
      const a = await h.open(WINDOW);
      for (let i = 0; i < 3000; i++) {
        a.record(h.clock.now());
        h.clock.advance(i % 3 === 0 ? 7 : 0.5);
      }
      const before = a.count(h.clock.now());
      await a.close();
      const b = await h.open(WINDOW);
      expect(b.count(h.clock.now())).toBe(before);
      await b.close();
    });

    it('counts in one millisecond split across flushes are neither lost nor doubled', async () => {
      const a = await h.open(WINDOW);
      a.record(h.clock.now());
      await a.flush();
      a.record(h.clock.now());
      a.record(h.clock.now());
      await a.flush();
      a.record(h.clock.now());
      await a.close();
      const b = await h.open(WINDOW);
      expect(b.count(h.clock.now())).toBe(4);
      await b.close();
    });

    it('takes concurrent flushes and a close, and writes nothing after close', async () => {
      const store = await h.open(WINDOW);
      for (let i = 0; i < 100; i++) store.record(h.clock.now() + i);
      await Promise.all([store.flush(), store.flush(), store.close(), store.flush()]);
      await store.close();
      const again = await h.open(WINDOW);
      expect(again.count(h.clock.now() + 100)).toBe(100);
      await again.close();
    });

    it('never counts backwards in time, nor more than it received', async () => {
      const store = await h.open(WINDOW);
      const t0 = h.clock.now();
      store.record(t0 + 500);
      store.record(t0); // an earlier time counts at the newest millisecond seen
      expect(store.count(t0 + 500)).toBe(2);
      expect(store.count(t0 + 500 + WINDOW)).toBe(0);
      await store.close();
    });
  });
}
