import {
  WireMessage,
  expectedState,
  rocketHistory,
  shuffledWithDuplicates,
} from '../../test/helpers/rocket-history';
import { rng } from '../../test/helpers/random';
import { UnavailableError } from '../common/domain-errors';
import { MessageType, RocketPayload } from './rocket';
import { RocketMessage } from './rocket-message';
import { RocketsStore } from './rockets.store';

export interface RocketsLimitsForTest {
  maxChannels: number;
  maxBufferedPerChannel: number;
  maxBuffered: number;
  dedupHistory: number;
}

const T0 = '2022-02-02T19:39:05.86337+01:00';
const msg = (n: number, type: MessageType, payload: object, channel = 'r1'): RocketMessage => ({
  channel,
  number: n,
  time: T0,
  type,
  payload: payload as RocketPayload,
});
const launch = (channel = 'r1') =>
  msg(1, 'RocketLaunched', { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' }, channel);
const up = (n: number, by: number, channel = 'r1') =>
  msg(n, 'RocketSpeedIncreased', { by }, channel);
const fromWire = (w: WireMessage): RocketMessage => ({
  channel: w.metadata.channel,
  number: w.metadata.messageNumber,
  time: w.metadata.messageTime,
  type: w.metadata.messageType as MessageType,
  payload: w.message as unknown as RocketPayload,
});

/**
 * What every RocketsStore must do, wherever rocket state lives. `make` returns an empty
 * store with the given limits.
 */
export function rocketsStoreContract(
  name: string,
  make: (limits: RocketsLimitsForTest) => Promise<RocketsStore> | RocketsStore,
): void {
  const roomy: RocketsLimitsForTest = {
    maxChannels: 100,
    maxBufferedPerChannel: 100,
    maxBuffered: 1000,
    dedupHistory: 1000,
  };

  describe(`${name} (RocketsStore contract)`, () => {
    it('knows nothing of a rocket never heard of, and lists what it has', async () => {
      const store = await make(roomy);
      expect(await store.get('nope')).toBeUndefined();
      expect(await store.list()).toEqual([]);
      await store.accept(launch('b'), 0);
      await store.accept(up(3, 5, 'a'), 0);
      const list = await store.list();
      expect(list.map((s) => [s.id, s.status]).sort()).toEqual([
        ['a', 'pending'],
        ['b', 'active'],
      ]);
      expect(await store.get('b')).toMatchObject({ speed: 500, lastMessageNumber: 1 });
    });

    it('forgets a rocket on remove: its buffer counted as discarded, its slot freed', async () => {
      const store = await make({ ...roomy, maxChannels: 2 });
      await store.accept(launch('a'), 0);
      await store.accept(up(3, 1, 'b'), 0);
      await store.accept(up(4, 1, 'b'), 0);
      await expect(store.accept(launch('c'), 0)).rejects.toThrow(UnavailableError);
      const v = await store.version();
      expect(await store.remove('b')).toBe(true);
      expect(await store.version()).not.toBe(v);
      expect(await store.remove('b')).toBe(false);
      expect(await store.get('b')).toBeUndefined();
      expect(await store.stats()).toMatchObject({
        channels: 1,
        buffered: 0,
        discarded: 2,
        deleted: 1,
      });
      await expect(store.accept(launch('c'), 0)).resolves.toMatchObject({ status: 'applied' });
      // A message for a forgotten rocket starts a new one.
      await store.remove('a');
      await expect(store.accept(up(2, 5, 'a'), 0)).resolves.toMatchObject({ status: 'buffered' });
    });

    it('expires rockets that never launched once silent idleMs, and no others', async () => {
      const store = await make(roomy);
      await store.accept(up(2, 1, 'silent'), 1000);
      await store.accept(up(3, 1, 'silent'), 2000);
      await store.accept(up(5, 1, 'talking'), 1000);
      await store.accept(launch('launched'), 0);
      await store.accept(up(6, 1, 'talking'), 4000); // received something: its clock restarts
      expect(await store.expirePending(6999, 5000)).toBe(0);
      expect(await store.expirePending(7000, 5000)).toBe(1);
      expect(await store.get('silent')).toBeUndefined();
      expect(await store.expirePending(1e9, 5000)).toBe(1);
      expect((await store.list()).map((r) => r.id)).toEqual(['launched']);
      expect(await store.stats()).toMatchObject({
        channels: 1,
        buffered: 0,
        discarded: 4,
        expiredPending: 2,
      });
    });

    it('changes its version when visible state changes, and only then', async () => {
      const store = await make(roomy);
      const v0 = await store.version();
      await store.accept(up(2, 1), 0); // a new rocket, buffered
      const v1 = await store.version();
      expect(v1).not.toBe(v0);
      await store.accept(up(2, 1), 0); // a duplicate changes nothing
      expect(await store.version()).toBe(v1);
      await store.accept(launch(), 0); // applies 1 and the buffered 2
      expect(await store.version()).not.toBe(v1);
      expect(await store.get('r1')).toMatchObject({ speed: 501, bufferedMessages: 0 });
    });

    it('applies one rocket exactly under concurrent, shuffled, duplicated delivery', async () => {
      const store = await make(roomy);
      const random = rng(5);
      const history = rocketHistory('r-concurrent', 40, random);
      const messages = shuffledWithDuplicates([history], 0.5, random).map(fromWire);
      const outcomes = await Promise.all(messages.map((m) => store.accept(m, 0)));
      const want = expectedState(history);
      expect(await store.get('r-concurrent')).toEqual({
        ...want,
        reason: want.reason ?? null,
        bufferedMessages: 0,
      });
      expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(
        messages.length - history.length,
      );
    });

    it('answers 503 (UnavailableError) when a channel buffer is full, but still takes what drains it', async () => {
      const store = await make({ ...roomy, maxChannels: 10, maxBufferedPerChannel: 2 });
      await store.accept(up(3, 1), 0);
      await store.accept(up(4, 1), 0);
      await expect(store.accept(up(5, 1), 0)).rejects.toThrow(UnavailableError);
      await expect(store.accept(up(3, 1), 0)).resolves.toMatchObject({ status: 'duplicate' });
      await expect(store.accept(launch(), 0)).resolves.toMatchObject({ status: 'applied' });
      await expect(store.accept(up(2, 1), 0)).resolves.toMatchObject({ applied: 3 });
      await expect(store.accept(up(6, 1), 0)).resolves.toMatchObject({ status: 'buffered' });
      expect(await store.stats()).toMatchObject({ buffered: 1, refusedForCapacity: 1 });
    });

    it('bounds the total buffer and the number of rockets', async () => {
      const store = await make({
        ...roomy,
        maxChannels: 2,
        maxBufferedPerChannel: 10,
        maxBuffered: 1,
      });
      await store.accept(msg(5, 'RocketSpeedIncreased', { by: 1 }, 'a'), 0);
      await expect(store.accept(msg(5, 'RocketSpeedIncreased', { by: 1 }, 'b'), 0)).rejects.toThrow(
        /ROCKETS_MAX_BUFFERED/,
      );
      await expect(store.accept(msg(1, 'RocketExploded', { reason: 'x' }, 'c'), 0)).rejects.toThrow(
        /ROCKETS_MAX_CHANNELS/,
      );
    });

    describe('property: any interleaving with any duplicates = sequential application', () => {
      it.each(Array.from({ length: 25 }, (_, i) => i + 1))('seed %i', async (seed) => {
        const random = rng(seed);
        const histories = Array.from({ length: 1 + Math.floor(random() * 8) }, (_, r) =>
          rocketHistory(`rocket-${r}`, 1 + Math.floor(random() * 60), random),
        );
        const store = await make({
          maxChannels: 100,
          // Small buffers, so refusals (which the sender retries) happen too.
          maxBufferedPerChannel: 1 + Math.floor(random() * 20),
          maxBuffered: 1000,
          dedupHistory: 10_000,
        });
        let queue = shuffledWithDuplicates(histories, 0.3, random).map(fromWire);
        while (queue.length > 0) {
          const retry: RocketMessage[] = [];
          for (const m of queue) {
            try {
              await store.accept(m, 0);
            } catch (err) {
              if (!(err instanceof UnavailableError)) throw err;
              retry.push(m);
            }
          }
          expect(retry.length).toBeLessThan(queue.length); // progress every pass
          queue = retry;
        }
        for (const h of histories) {
          const want = expectedState(h);
          const got = await store.get(h[0].metadata.channel);
          expect(got).toEqual({
            ...want,
            reason: want.reason ?? null,
            bufferedMessages: 0,
          });
        }
        const stats = await store.stats();
        expect(stats.buffered).toBe(0);
        expect(stats.conflictingDuplicates).toBe(0);
      });
    });
  });
}
