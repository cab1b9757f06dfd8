import { InvalidArgumentError } from '../common/domain-errors';
import { MonotonicClock } from '../common/clock';
import { settingsOf } from '../config/load-settings';
import { RocketsSettings } from './rockets.settings';
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

describe('RocketsService.listPage, whole', () => {
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
      settingsOf(RocketsSettings),
    );
  });
  const speeds = async () =>
    (
      JSON.parse((await service.listPage('speed', 'desc')).json) as { id: string; speed: number }[]
    ).map((r) => `${r.id}:${r.speed}`);

  it('is the JSON of list() and never stale: every kind of change shows at once', async () => {
    await service.accept(
      msg('a', 1, 'RocketLaunched', { type: 'T', launchSpeed: 5, mission: 'M' }),
    );
    expect((await service.listPage()).json).toBe(JSON.stringify(await service.list()));
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
    expect((await service.listPage('id', 'asc')).json).toBe(
      JSON.stringify(await service.list('id', 'asc')),
    );
  });
});

describe('RocketsService pages', () => {
  let service: RocketsService;
  beforeAll(async () => {
    service = new RocketsService(
      new InMemoryRocketsStore({
        maxChannels: 20_000,
        maxBufferedPerChannel: 10,
        maxBuffered: 20_000,
        dedupHistory: 16,
      }),
      new MonotonicClock(),
      settingsOf(RocketsSettings),
    );
    for (let i = 0; i < 10_000; i++) {
      const id = `r${String((i * 7919) % 10_000).padStart(5, '0')}`;
      // Every third never launches (no type, mission or speed: sorts last); speeds repeat.
      if (i % 3 === 0) await service.accept(msg(id, 2, 'RocketSpeedIncreased', { by: 1 }));
      else
        await service.accept(
          msg(id, 1, 'RocketLaunched', { type: `T${i % 4}`, launchSpeed: i % 50, mission: 'M' }),
        );
    }
  });

  it.each([
    ['id', 'asc'],
    ['speed', 'desc'],
    ['type', 'asc'],
    ['mission', 'desc'],
    ['updatedAt', 'asc'],
  ] as const)('walks every rocket once, in list() order, by %s %s', async (sort, order) => {
    const all = await service.list(sort, order);
    expect(all).toHaveLength(10_000);
    const walked: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await service.listPage(sort, order, 999, cursor);
      walked.push(...(JSON.parse(page.json) as { id: string }[]).map((r) => r.id));
      cursor = page.next ?? undefined;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(11);
    expect(walked).toEqual(all.map((r) => r.id));
  });

  it('refuses a cursor from another order, or one it never gave out', async () => {
    const { next } = await service.listPage('speed', 'desc', 10);
    await expect(service.listPage('speed', 'asc', 10, next!)).rejects.toThrow(
      /sort=speed&order=desc/,
    );
    await expect(service.listPage('id', 'asc', 10, 'bm9wZQ')).rejects.toThrow(/cursor is not one/);
    await expect(service.listPage('id', 'asc', 10, '%%%')).rejects.toThrow(InvalidArgumentError);
  });

  it('builds a large list without holding the event loop for its whole time', async () => {
    await service.accept(
      msg('fresh', 1, 'RocketLaunched', { type: 'X', launchSpeed: 1, mission: 'M' }),
    );
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const json = (await service.listPage('speed', 'asc')).json;
    clearInterval(timer);
    expect(JSON.parse(json)).toHaveLength(10_001);
    expect(ticks).toBeGreaterThan(0);
  });
});
