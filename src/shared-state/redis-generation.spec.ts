import Redis from 'ioredis';
import { eventually } from '../../test/helpers/eventually';
import { listReplicas } from '../../test/helpers/list-replica';
import { privateRedis } from '../../test/helpers/redis';
import { TcpProxy } from '../../test/helpers/tcp-proxy';
import { NotAppendedError } from './fold';

const { prefix, replica, cleanup } = listReplicas();

/** Appends `ops` through `r`, all at once, and resolves when each was answered. */
const appendAll = (r: { log: { append(op: number): Promise<number> } }, ops: number[]) =>
  Promise.all(ops.map((op) => r.log.append(op)));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * Redis that lost its data (restarted empty, FLUSHALL) under running instances: each log
 * has a generation key the first instance creates; an instance that sees it gone re-seeds
 * the snapshot from its whole fold, and one that starts on what is left waits for that (not
 * ready, refusing writes), or starts from the log as it is and says so.
 */
describe('RedisLog when Redis loses its data', () => {
  let redis: Awaited<ReturnType<typeof privateRedis>>;
  let admin: Redis;
  beforeEach(async () => {
    redis = await privateRedis();
    admin = new Redis(redis.url);
  });
  afterEach(async () => {
    admin.disconnect();
    await cleanup();
    await redis.stop();
    redis.cleanup();
  });
  const at = (p: string, extra: object = {}) => ({
    redis: { url: redis.url, prefix: p, ...extra },
  });

  it('FLUSHALL: the running instances re-seed, so instances started before and after hold everything', async () => {
    const p = prefix('flushall');
    const a = await replica(p, at(p));
    const b = await replica(p, at(p));
    await appendAll(a, range(0, 50));
    await appendAll(b, range(50, 100));
    await admin.flushall();
    // Started on the empty Redis before a running instance noticed: it claims a new
    // generation as a first instance would, and then takes the re-seed that replaces it.
    const before = await replica(p, at(p));
    await appendAll(a, range(100, 120));
    await eventually(
      async () => (await admin.get(`${p}:{list}:generation`))?.startsWith('reseed:') ?? false,
    );
    const after = await replica(p, at(p));
    await appendAll(after, range(120, 130));
    const all = range(0, 130);
    for (const r of [a, b, before, after]) {
      await eventually(() => r.fold.items.length >= all.length);
      expect([...r.fold.items].sort((x, y) => x - y)).toEqual(all);
      expect(r.fold.items).toEqual(a.fold.items);
    }
    expect([a, b].some((r) => r.log.status().lastDataLoss !== null)).toBe(true);
    for (const r of [a, b, before, after]) {
      expect(r.log.status().dataLoss).toBeNull();
      expect(await r.log.problem()).toBeNull();
    }
  }, 30_000);

  it('restarted empty: a new instance on what is left waits for the re-seed (not ready, writes refused), then holds everything', async () => {
    const p = prefix('restart-empty');
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(redis.url).port));
    await proxy.up();
    try {
      const a = await replica(p, { redis: { url: `redis://127.0.0.1:${proxy.port}`, prefix: p } });
      await appendAll(a, range(0, 40));
      // `a` is cut off while Redis restarts empty, and another running instance appends
      // (its entry, in a real one's form, written here: that instance would re-seed too).
      await proxy.down();
      await redis.stop();
      redis.wipe();
      await redis.start();
      await admin.xadd(`${p}:{list}:log`, '*', 'w', 'other:1', 'b', '[1000]');
      // The log now holds one entry and no generation: `late` cannot know what came before.
      const late = await replica(p, at(p, { reseedWaitMs: 60_000 }));
      expect(await late.log.problem()).toMatch(
        /Redis lost its data .* waiting for an instance that holds it/,
      );
      expect(late.log.status().wholeState).toBe(false);
      const refused = await late.log.append(2000).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(NotAppendedError);
      expect((refused as Error).message).toMatch(
        /does not hold the whole shared state.*nothing was changed/,
      );
      // `a` comes back: it sees the generation changed, re-seeds from its whole fold.
      await proxy.up();
      await eventually(async () => (await late.log.problem()) === null, 15_000);
      expect(late.log.status().wholeState).toBe(true);
      const all = [...range(0, 40), 1000];
      for (const r of [a, late]) {
        await eventually(() => r.fold.items.length >= all.length, 15_000);
        expect([...r.fold.items].sort((x, y) => x - y)).toEqual(all);
      }
      expect(await late.log.append(2000)).toBe(all.length + 1);
    } finally {
      await proxy.down();
    }
  }, 60_000);

  it('no instance holds the state any more: a new one waits REDIS_RESEED_WAIT_MS, then starts from the log and says so', async () => {
    const p = prefix('nobody-left');
    const a = await replica(p, at(p));
    await appendAll(a, range(0, 10));
    await a.log.stop();
    await admin.flushall();
    // An entry another instance wrote after the loss (copied from a real one's form).
    await admin.xadd(`${p}:{list}:log`, '*', 'w', 'gone:1', 'b', '[7]');
    const late = await replica(p, at(p, { reseedWaitMs: 400 }));
    expect(await late.log.problem()).toMatch(/Redis lost its data/);
    await eventually(async () => (await late.log.problem()) === null, 10_000);
    expect(late.fold.items).toEqual([7]);
    expect(await admin.get(`${p}:{list}:generation`)).not.toBeNull();
    // Whole from now on: its snapshots are stored again.
    expect(await late.log.append(8)).toBe(2);
  }, 30_000);

  it('a log under the key names of a Beacon before hash tags is renamed and trusted; each key is in the module hash slot', async () => {
    const p = prefix('legacy');
    await admin.xadd(`${p}:list:log`, '*', 'w', 'old:1', 'b', '[1]');
    await admin.xadd(`${p}:list:log`, '*', 'w', 'old:2', 'b', '[2]');
    const a = await replica(p, at(p));
    expect(a.fold.items).toEqual([1, 2]);
    expect(await a.log.problem()).toBeNull();
    expect(await a.log.append(3)).toBe(3);
    // Redis Cluster runs a script only on keys of one slot: the `{list}` tag is that slot.
    const keys = await admin.keys(`${p}:*`);
    expect(keys.length).toBeGreaterThan(1);
    for (const k of keys) expect(k).toMatch(new RegExp(`^${p}:\\{list\\}:`));
  });

  it('a fresh Redis: the first instance claims the generation, the next one trusts it', async () => {
    const p = prefix('fresh');
    const a = await replica(p, at(p));
    const generation = await admin.get(`${p}:{list}:generation`);
    expect(generation).toMatch(/^replica-\d+:/);
    await appendAll(a, [1, 2]);
    const b = await replica(p, at(p));
    expect(await b.log.problem()).toBeNull();
    expect(b.fold.items).toEqual([1, 2]);
    expect(await admin.get(`${p}:{list}:generation`)).toBe(generation);
  });
});

describe('RedisLog after an outage', () => {
  afterEach(cleanup);

  it('stays stale (Beacon-Stale) until it has caught up with what others wrote meanwhile', async () => {
    const redis = await privateRedis();
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(redis.url).port));
    await proxy.up();
    try {
      const p = prefix('stale-until-caught-up');
      const a = await replica(p, { redis: { url: `redis://127.0.0.1:${proxy.port}`, prefix: p } });
      const b = await replica(p, { redis: { url: redis.url, prefix: p } });
      await proxy.down();
      await eventually(() => a.log.stale);
      // More entries than one tail read takes (2,000), one op each.
      for (let i = 0; i < 5000; i += 100) {
        const chunk = range(i, i + 100);
        for (const op of chunk) await b.log.append(op);
      }
      await proxy.up();
      // Looked at every turn: the flag must not clear while the tailer is still reading.
      let seenFresh = false;
      while (!seenFresh) {
        await new Promise((r) => setImmediate(r));
        if (!a.log.stale) {
          seenFresh = true;
          expect(a.fold.items.length).toBe(5000);
        }
      }
    } finally {
      await proxy.down();
      await cleanup();
      await redis.stop();
      redis.cleanup();
    }
  }, 60_000);
});
