import { FakeClock } from '../../test/helpers/fake-clock';
import { dropPrefix, sharedStateFor, uniquePrefix } from '../../test/helpers/redis';
import { requestCounterStoreContract } from './request-counter.store.contract';
import { SharedRequestCounterStore } from './shared-request-counter.store';

requestCounterStoreContract('SharedRequestCounterStore on Redis', async () => {
  const prefix = uniquePrefix('counter');
  const clock = new FakeClock();
  const opened: SharedRequestCounterStore[] = [];
  return {
    clock,
    // A new SharedState per open: a restart is a new instance with a new id.
    open: async (windowMs) => {
      const store = await SharedRequestCounterStore.open(
        windowMs,
        clock,
        sharedStateFor(prefix, clock),
      );
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      await Promise.all(opened.map((s) => s.onApplicationShutdown()));
      await dropPrefix(prefix);
    },
  };
});

describe('SharedRequestCounterStore across instances', () => {
  it("counts its own requests at once and the others' once they flush", async () => {
    const prefix = uniquePrefix('counter-instances');
    const clock = new FakeClock();
    const [a, b] = await Promise.all(
      [1, 2].map(() =>
        SharedRequestCounterStore.open(60_000, clock, sharedStateFor(prefix, clock)),
      ),
    );
    try {
      for (let i = 0; i < 30; i++) a.record(clock.now());
      for (let i = 0; i < 12; i++) b.record(clock.now());
      expect(a.count(clock.now())).toBe(30);
      expect(b.count(clock.now())).toBe(12);
      await Promise.all([a.flush(), b.flush()]);
      const { eventually } = await import('../../test/helpers/eventually');
      await eventually(() => a.count(clock.now()) === 42 && b.count(clock.now()) === 42);
      clock.advance(60_000);
      expect([a.count(clock.now()), b.count(clock.now())]).toEqual([0, 0]);
    } finally {
      await Promise.all([a.onApplicationShutdown(), b.onApplicationShutdown()]);
      await dropPrefix(prefix);
    }
  });
});
