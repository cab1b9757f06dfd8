import { MonotonicClock } from '../common/clock';
import { loadEnvironment } from '../config/environment';
import { MessageType, RocketPayload } from './rocket';
import { InMemoryRocketsStore } from './in-memory-rockets.store';
import { RocketsService } from './rockets.service';

const msg = (channel: string, number: number, type: MessageType, payload: object) => ({
  channel,
  number,
  time: `2022-02-02T19:39:0${number}Z`,
  type,
  payload: payload as RocketPayload,
});

describe('RocketsService.listJson', () => {
  let service: RocketsService;
  beforeEach(() => {
    service = new RocketsService(
      new InMemoryRocketsStore({
        maxChannels: 100,
        maxBufferedPerChannel: 100,
        maxBuffered: 100,
        dedupHistory: 100,
      }),
      new MonotonicClock(),
      loadEnvironment({}),
    );
  });
  const speeds = async () =>
    (JSON.parse(await service.listJson('speed', 'desc')) as { id: string; speed: number }[]).map(
      (r) => `${r.id}:${r.speed}`,
    );

  it('is the JSON of list() and never stale: every kind of change shows at once', async () => {
    await service.accept(
      msg('a', 1, 'RocketLaunched', { type: 'T', launchSpeed: 5, mission: 'M' }),
    );
    expect(await service.listJson()).toBe(JSON.stringify(await service.list()));
    expect(await speeds()).toEqual(['a:5']);
    await service.accept(
      msg('b', 1, 'RocketLaunched', { type: 'T', launchSpeed: 9, mission: 'M' }),
    );
    expect(await speeds()).toEqual(['b:9', 'a:5']);
    await service.accept(msg('a', 2, 'RocketSpeedIncreased', { by: 10 }));
    expect(await speeds()).toEqual(['a:15', 'b:9']);
    await service.accept(msg('c', 3, 'RocketSpeedIncreased', { by: 1 })); // buffered: pending rocket
    expect(await speeds()).toEqual(['a:15', 'b:9', 'c:0']);
    await service.accept(msg('a', 2, 'RocketSpeedIncreased', { by: 10 })); // duplicate
    expect(await speeds()).toEqual(['a:15', 'b:9', 'c:0']);
    expect(await service.listJson('id', 'asc')).toBe(
      JSON.stringify(await service.list('id', 'asc')),
    );
  });
});
