import {
  WireMessage,
  expectedState,
  rocketHistory,
  shuffledWithDuplicates,
} from '../../test/helpers/rocket-history';
import { rng } from '../../test/helpers/random';
import { UnavailableError } from '../common/domain-errors';
import { MessageType, RocketPayload } from './dto/rocket-message.dto';
import { InMemoryRocketsStore } from './in-memory-rockets.store';
import { RocketChannel } from './rocket-channel';
import { RocketMessage } from './rocket-message';

const T0 = '2022-02-02T19:39:05.86337+01:00';
const msg = (
  n: number,
  type: MessageType,
  payload: object,
  channel = 'r1',
  time = T0,
): RocketMessage => ({
  channel,
  number: n,
  time,
  type,
  payload: payload as RocketPayload,
});
const launch = (n = 1) =>
  msg(n, 'RocketLaunched', { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' });
const up = (n: number, by: number) => msg(n, 'RocketSpeedIncreased', { by });
const down = (n: number, by: number) => msg(n, 'RocketSpeedDecreased', { by });
const boom = (n: number) => msg(n, 'RocketExploded', { reason: 'PRESSURE_VESSEL_FAILURE' });
const fromWire = (w: WireMessage): RocketMessage => ({
  channel: w.metadata.channel,
  number: w.metadata.messageNumber,
  time: w.metadata.messageTime,
  type: w.metadata.messageType as MessageType,
  payload: w.message as unknown as RocketPayload,
});

describe('RocketChannel', () => {
  let c: RocketChannel;
  beforeEach(() => (c = new RocketChannel('r1', 1000)));

  it('applies in order from 1', () => {
    expect(c.offer(launch()).status).toBe('applied');
    expect(c.offer(up(2, 3000)).status).toBe('applied');
    expect(c.state()).toMatchObject({ speed: 3500, status: 'active', lastMessageNumber: 2 });
  });

  it('buffers early messages and applies them when the gap fills', () => {
    expect(c.offer(up(3, 100)).status).toBe('buffered');
    expect(c.offer(up(2, 10)).status).toBe('buffered');
    expect(c.state()).toMatchObject({
      status: 'pending',
      bufferedMessages: 2,
      lastMessageNumber: 0,
    });
    const out = c.offer(launch());
    expect(out).toMatchObject({ status: 'applied', applied: 3, bufferedDelta: -2 });
    expect(c.state()).toMatchObject({ speed: 610, status: 'active', bufferedMessages: 0 });
  });

  it('a duplicate of an applied message changes nothing', () => {
    c.offer(launch());
    c.offer(up(2, 100));
    expect(c.offer(up(2, 100))).toMatchObject({ status: 'duplicate', conflict: false });
    expect(c.state().speed).toBe(600);
  });

  it('a duplicate of a buffered message is recognised and does not stall the channel', () => {
    expect(c.offer(up(2, 100)).status).toBe('buffered');
    expect(c.offer(up(2, 100))).toMatchObject({ status: 'duplicate', conflict: false });
    expect(c.offer(launch()).applied).toBe(2);
    expect(c.offer(up(3, 1)).status).toBe('applied');
    expect(c.state()).toMatchObject({ speed: 601, bufferedMessages: 0 });
  });

  it('by: 0 is an ordinary message (it stalled the seed)', () => {
    c.offer(launch());
    expect(c.offer(down(2, 0)).status).toBe('applied');
    expect(c.offer(up(3, 1)).status).toBe('applied');
    expect(c.state().speed).toBe(501);
  });

  it('a conflicting duplicate keeps the first copy, applied or buffered, and says so', () => {
    c.offer(launch());
    c.offer(up(2, 100));
    expect(c.offer(up(2, 999))).toMatchObject({ status: 'duplicate', conflict: true });
    c.offer(up(4, 1));
    expect(c.offer(down(4, 1))).toMatchObject({ status: 'duplicate', conflict: true });
    c.offer(up(3, 0));
    expect(c.state().speed).toBe(601);
  });

  it('speed never goes below zero', () => {
    c.offer(launch());
    c.offer(down(2, 10_000));
    expect(c.state().speed).toBe(0);
  });

  it('an explosion is final: later messages are ignored, buffered ones discarded', () => {
    c.offer(launch());
    expect(c.offer(up(4, 5)).status).toBe('buffered');
    expect(c.offer(boom(3)).status).toBe('buffered');
    const out = c.offer(up(2, 1));
    expect(out).toMatchObject({ status: 'applied', applied: 2, discarded: 1, bufferedDelta: -2 });
    expect(c.offer(up(5, 1)).status).toBe('ignored');
    expect(c.offer(up(2, 1)).status).toBe('duplicate');
    expect(c.state()).toMatchObject({
      speed: 501,
      status: 'exploded',
      exploded: true,
      reason: 'PRESSURE_VESSEL_FAILURE',
      lastMessageNumber: 3,
      bufferedMessages: 0,
    });
  });

  it('remembers conflicts only within its history limit, and still calls older ones duplicates', () => {
    const small = new RocketChannel('r', 16);
    small.offer(launch());
    for (let n = 2; n <= 100; n++) small.offer(up(n, 1));
    expect(small.offer(up(99, 7))).toMatchObject({ status: 'duplicate', conflict: true });
    expect(small.offer(up(50, 7))).toMatchObject({ status: 'duplicate', conflict: false });
  });
});

describe('InMemoryRocketsStore bounds', () => {
  it('answers 503 (UnavailableError) when a channel buffer is full, but still takes what drains it', async () => {
    const store = new InMemoryRocketsStore({
      maxChannels: 10,
      maxBufferedPerChannel: 2,
      maxBuffered: 100,
      dedupHistory: 100,
    });
    await store.accept(up(3, 1));
    await store.accept(up(4, 1));
    await expect(store.accept(up(5, 1))).rejects.toThrow(UnavailableError);
    await expect(store.accept(up(3, 1))).resolves.toMatchObject({ status: 'duplicate' });
    await expect(store.accept(launch())).resolves.toMatchObject({ status: 'applied' });
    await expect(store.accept(up(2, 1))).resolves.toMatchObject({ applied: 3 });
    await expect(store.accept(up(6, 1))).resolves.toMatchObject({ status: 'buffered' });
    expect(await store.stats()).toMatchObject({ buffered: 1, refusedForCapacity: 1 });
  });

  it('bounds the total buffer and the number of rockets', async () => {
    const store = new InMemoryRocketsStore({
      maxChannels: 2,
      maxBufferedPerChannel: 10,
      maxBuffered: 1,
      dedupHistory: 100,
    });
    await store.accept(msg(5, 'RocketSpeedIncreased', { by: 1 }, 'a'));
    await expect(store.accept(msg(5, 'RocketSpeedIncreased', { by: 1 }, 'b'))).rejects.toThrow(
      /ROCKETS_MAX_BUFFERED/,
    );
    await expect(store.accept(msg(1, 'RocketExploded', { reason: 'x' }, 'c'))).rejects.toThrow(
      /ROCKETS_MAX_CHANNELS/,
    );
  });
});

describe('property: any interleaving with any duplicates = sequential application', () => {
  it.each(Array.from({ length: 25 }, (_, i) => i + 1))('seed %i', async (seed) => {
    const random = rng(seed);
    const histories = Array.from({ length: 1 + Math.floor(random() * 8) }, (_, r) =>
      rocketHistory(`rocket-${r}`, 1 + Math.floor(random() * 60), random),
    );
    const store = new InMemoryRocketsStore({
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
          await store.accept(m);
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
