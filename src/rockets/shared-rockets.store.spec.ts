import { eventually } from '../../test/helpers/eventually';
import { FakeClock } from '../../test/helpers/fake-clock';
import { rng } from '../../test/helpers/random';
import { closedAfterEach, localStateFor } from '../../test/helpers/local-state';
import { dropPrefix, sharedStateFor, uniquePrefix } from '../../test/helpers/redis';
import {
  WireMessage,
  expectedState,
  rocketHistory,
  shuffledWithDuplicates,
} from '../../test/helpers/rocket-history';
import { UnavailableError } from '../common/domain-errors';
import { InMemoryRocketsStore } from './in-memory-rockets.store';
import { MessageType, RocketPayload } from './rocket';
import { RocketMessage } from './rocket-message';
import { RocketsLimitsForTest, rocketsStoreContract } from './rockets.store.contract';
import { SharedRocketsStore } from './shared-rockets.store';

const opened: { store: SharedRocketsStore; prefix: string }[] = [];
afterEach(async () => {
  await Promise.all(opened.map((o) => o.store.onApplicationShutdown()));
  await Promise.all([...new Set(opened.map((o) => o.prefix))].map((p) => dropPrefix(p)));
  opened.length = 0;
});

async function replica(prefix: string, limits: RocketsLimitsForTest, snapshotEveryMs = 3_600_000) {
  const shared = sharedStateFor(prefix, new FakeClock());
  const store = await SharedRocketsStore.open(
    new InMemoryRocketsStore(limits),
    shared,
    snapshotEveryMs,
  );
  opened.push({ store, prefix });
  return { store, log: () => shared.statuses()[0] };
}

rocketsStoreContract(
  'SharedRocketsStore on Redis',
  async (limits) => (await replica(uniquePrefix('rockets'), limits)).store,
);

const keep = closedAfterEach<SharedRocketsStore>((s) => s.onApplicationShutdown());

rocketsStoreContract('SharedRocketsStore on local files', async (limits) => {
  const state = localStateFor(new FakeClock());
  const store = await SharedRocketsStore.open(
    new InMemoryRocketsStore(limits),
    state.state,
    3_600_000,
  );
  return keep(state, store);
});

/** Until every replica has applied the same last entry. */
const caughtUp = (replicas: { log: () => { lastAppliedId: string } }[]) =>
  eventually(() => new Set(replicas.map((r) => r.log().lastAppliedId)).size === 1);

const fromWire = (w: WireMessage): RocketMessage => ({
  channel: w.metadata.channel,
  number: w.metadata.messageNumber,
  time: w.metadata.messageTime,
  type: w.metadata.messageType as MessageType,
  payload: w.message as unknown as RocketPayload,
});

describe('SharedRocketsStore replicas', () => {
  const limits: RocketsLimitsForTest = {
    maxChannels: 100,
    maxBufferedPerChannel: 8,
    maxBuffered: 1000,
    dedupHistory: 10_000,
  };

  it('expiry and DELETE through the log: replicas forget the same rockets, whichever asks', async () => {
    const prefix = uniquePrefix('rockets-expiry');
    const replicas = await Promise.all([1, 2, 3].map(() => replica(prefix, limits)));
    const [a, b, c] = replicas.map((r) => r.store);
    const m = (channel: string, n: number): RocketMessage => ({
      channel,
      number: n,
      time: '2022-02-02T19:39:05.86337+01:00',
      type: 'RocketSpeedIncreased',
      payload: { by: 1 },
    });
    await a.accept(m('old', 2), 1000);
    await b.accept(m('fresh', 2), 1000);
    await caughtUp(replicas);
    // 'fresh' hears again (through c) at the same moment b asks to expire at 6000: the log
    // orders the two, and every replica applies them in that one order.
    const [, expired] = await Promise.all([
      c.accept(m('fresh', 3), 5500),
      b.expirePending(6000, 5000),
    ]);
    await caughtUp(replicas);
    const ids = await Promise.all(
      replicas.map(async (r) => (await r.store.list()).map((x) => x.id)),
    );
    expect(new Set(ids.map((l) => l.join()))).toEqual(new Set([ids[0].join()]));
    expect(ids[0]).not.toContain('old');
    expect(expired).toBeGreaterThanOrEqual(1);
    // Nothing to expire: nothing appended.
    const before = replicas[0].log().lastAppliedId;
    expect(await c.expirePending(6000, 5000)).toBe(0);
    expect(replicas[0].log().lastAppliedId).toBe(before);
    // DELETE through one replica: gone from all.
    expect(await a.remove('fresh')).toBe(ids[0].includes('fresh'));
    await caughtUp(replicas);
    for (const r of replicas) expect(await r.store.list()).toEqual([]);
    const stats = await Promise.all(replicas.map((r) => r.store.stats()));
    expect(new Set(stats.map((x) => JSON.stringify(x))).size).toBe(1);
  });

  it.each([1, 2, 3])(
    'copies of shuffled histories sent to three replicas at once: every replica exact (seed %i)',
    async (seed) => {
      const random = rng(seed);
      const prefix = uniquePrefix('rockets-replicas');
      const replicas = await Promise.all([1, 2, 3].map(() => replica(prefix, limits)));
      const histories = Array.from({ length: 6 }, (_, r) =>
        rocketHistory(`rocket-${r}`, 5 + Math.floor(random() * 40), random),
      );
      let queue = shuffledWithDuplicates(histories, 0.5, random).map(fromWire);
      const statuses: string[] = [];
      while (queue.length > 0) {
        // Every message goes to a random replica, all of them in flight at once.
        const results = await Promise.allSettled(
          queue.map((m) => replicas[Math.floor(random() * 3)].store.accept(m, 0)),
        );
        const retry: RocketMessage[] = [];
        results.forEach((r, i) => {
          if (r.status === 'fulfilled') statuses.push(r.value.status);
          else if (r.reason instanceof UnavailableError) retry.push(queue[i]);
          else throw r.reason;
        });
        queue = retry;
      }
      // Each writer has its own answers; the others catch up on the last entries.
      await caughtUp(replicas);
      for (const h of histories) {
        const want = expectedState(h);
        for (const { store } of replicas) {
          expect(await store.get(h[0].metadata.channel)).toEqual({
            ...want,
            reason: want.reason ?? null,
            bufferedMessages: 0,
          });
        }
      }
      const stats = await Promise.all(replicas.map(({ store }) => store.stats()));
      expect(stats[1]).toEqual(stats[0]);
      expect(stats[2]).toEqual(stats[0]);
      expect(statuses).toContain('duplicate');
    },
  );

  it('a replica started after snapshots and trims knows every rocket', async () => {
    const prefix = uniquePrefix('rockets-snapshot');
    const first = await replica(prefix, limits, 1000);
    const random = rng(9);
    const histories = Array.from({ length: 4 }, (_, r) => rocketHistory(`late-${r}`, 30, random));
    for (const h of histories.map((x) => x.slice(0, 20))) {
      for (const m of h) await first.store.accept(fromWire(m), 0);
    }
    await eventually(() => first.log().snapshotsWritten > 0);
    for (const h of histories.map((x) => x.slice(20))) {
      for (const m of h) await first.store.accept(fromWire(m), 0);
    }
    const late = await replica(prefix, limits, 1000);
    expect(late.log().snapshotsLoaded).toBe(1);
    expect(await late.store.list()).toEqual(await first.store.list());
    expect(await late.store.stats()).toEqual(await first.store.stats());
  });
});
