import { MessageType, RocketPayload } from './rocket';
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
