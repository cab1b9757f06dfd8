import { FakeClock } from '../../test/helpers/fake-clock';
import { eventually } from '../../test/helpers/eventually';
import { rng } from '../../test/helpers/random';
import { closedAfterEach, localStateFor } from '../../test/helpers/local-state';
import { dropPrefix, sharedStateFor, uniquePrefix } from '../../test/helpers/redis';
import { InMemoryLatencyStore, LatencyLimits } from './in-memory-latency.store';
import { latencyStoreContract } from './latency.store.contract';
import { SharedLatencyStore } from './shared-latency.store';

const opened: { store: SharedLatencyStore; prefix: string }[] = [];
afterEach(async () => {
  await Promise.all(opened.map((o) => o.store.onApplicationShutdown()));
  await Promise.all([...new Set(opened.map((o) => o.prefix))].map((p) => dropPrefix(p)));
  opened.length = 0;
});

async function open(prefix: string, limits: LatencyLimits, snapshotEveryMs = 3_600_000) {
  const shared = sharedStateFor(prefix, new FakeClock());
  const store = await SharedLatencyStore.open(
    new InMemoryLatencyStore(limits),
    shared,
    snapshotEveryMs,
  );
  opened.push({ store, prefix });
  return { store, log: () => shared.statuses()[0] };
}
/** Until every replica has applied the same last entry. */
const caughtUp = (replicas: { log: () => { lastAppliedId: string } }[]) =>
  eventually(() => new Set(replicas.map((r) => r.log().lastAppliedId)).size === 1);

latencyStoreContract(
  'SharedLatencyStore on Redis',
  async (l) =>
    (
      await open(uniquePrefix('latency'), {
        defaults: { windowMs: l.windowMs, maxSamples: l.maxSamples },
        maxMetrics: l.maxMetrics,
        maxTotalSamples: l.maxTotalSamples,
      })
    ).store,
);

const keep = closedAfterEach<SharedLatencyStore>((s) => s.onApplicationShutdown());

latencyStoreContract('SharedLatencyStore on local files', async (l) => {
  const state = localStateFor(new FakeClock());
  const store = await SharedLatencyStore.open(
    new InMemoryLatencyStore({
      defaults: { windowMs: l.windowMs, maxSamples: l.maxSamples },
      maxMetrics: l.maxMetrics,
      maxTotalSamples: l.maxTotalSamples,
    }),
    state.state,
    3_600_000,
  );
  return keep(state, store);
});

describe('SharedLatencyStore replicas', () => {
  const limits: LatencyLimits = {
    defaults: { windowMs: 60_000, maxSamples: 50 },
    maxMetrics: 8,
    maxTotalSamples: 1000,
  };

  it('idle expiry with samples racing it: every replica keeps the same metrics', async () => {
    const prefix = uniquePrefix('latency-expiry');
    const three = await Promise.all([1, 2, 3].map(() => open(prefix, limits)));
    const [a, b, c] = three.map((r) => r.store);
    for (const id of ['m1', 'm2', 'm3', 'm4']) await a.record(id, [1], 0);
    await a.configure('kept', {}, 0);
    await caughtUp(three);
    // All idle at 70,000 (window 60 s + 5 s idle); samples for two of them race the expiry
    // from other replicas, and one more in the same batch as the expiry itself.
    await Promise.all([
      b.expireIdle(70_000, 5000),
      b.record('m2', [2], 70_000),
      c.record('m3', [3], 70_000),
      a.record('m4', [4], 70_000),
      c.expireIdle(70_000, 5000),
    ]);
    await caughtUp(three);
    const states = await Promise.all(
      three.map(async (r) =>
        JSON.stringify(
          (await r.store.snapshotAll(70_000, [50])).map((m) => [m.id, m.count, m.values]),
        ),
      ),
    );
    expect(new Set(states).size).toBe(1);
    const ids = (await a.snapshotAll(70_000, [50])).map((m) => m.id);
    expect(ids).toContain('kept');
    expect(ids).not.toContain('m1');
    const usage = await Promise.all(three.map((r) => r.store.usage()));
    expect(new Set(usage.map((u) => `${u.metrics}/${u.expiredIdle}`)).size).toBe(1);
  });

  it.each([1, 2, 3])(
    'replicas writing random interleavings all fold to the same state (seed %i)',
    async (seed) => {
      const random = rng(seed);
      const prefix = uniquePrefix('latency-replicas');
      const opened3 = await Promise.all([1, 2, 3].map(() => open(prefix, limits)));
      const replicas = opened3.map((r) => r.store);
      // Each replica writes its own random ops, all at once: records, reconfigurations
      // and deletes of a few metrics, some refused at the limits.
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 600; i++) {
        const r = replicas[Math.floor(random() * 3)];
        const id = `m${Math.floor(random() * 10)}`;
        const at = 1_000_000 + i;
        const roll = random();
        if (roll < 0.8) {
          const n = 1 + Math.floor(random() * 5);
          writes.push(
            r.record(
              id,
              Array.from({ length: n }, () => 1 + Math.floor(random() * 1e6)),
              at,
            ),
          );
        } else if (roll < 0.95) {
          writes.push(r.configure(id, { maxSamples: 10 + Math.floor(random() * 90) }, at));
        } else {
          writes.push(r.remove(id));
        }
      }
      const outcomes = await Promise.allSettled(writes);
      expect(outcomes.some((o) => o.status === 'rejected')).toBe(true); // limits were hit
      await caughtUp(opened3);
      const states = await Promise.all(replicas.map((r) => r.snapshotAll(1_000_600, [50, 99])));
      expect(states[0].length).toBeGreaterThan(0);
      expect(states[1]).toEqual(states[0]);
      expect(states[2]).toEqual(states[0]);
    },
  );

  it('a new replica restores the snapshot, replays what follows, and matches the others', async () => {
    const prefix = uniquePrefix('latency-snapshot');
    const first = await open(prefix, limits, 1000);
    for (let i = 0; i < 200; i++) await first.store.record(`m${i % 5}`, [i + 1], 1_000_000 + i);
    // A snapshot is taken every second here; then more is written after it.
    await eventually(() => first.log().snapshotsWritten > 0);
    for (let i = 200; i < 260; i++) await first.store.record(`m${i % 5}`, [i + 1], 1_000_000 + i);
    const late = await open(prefix, limits, 1000);
    expect(late.log()).toMatchObject({ snapshotsLoaded: 1 });
    expect(late.log().entriesApplied).toBeLessThan(first.log().entriesApplied);
    expect(await late.store.snapshotAll(1_000_300, [50])).toEqual(
      await first.store.snapshotAll(1_000_300, [50]),
    );
  });
});
