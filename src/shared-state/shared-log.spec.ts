import Redis from 'ioredis';
import { eventually } from '../../test/helpers/eventually';
import { listReplicas } from '../../test/helpers/list-replica';
import { testRedisUrl } from '../../test/helpers/redis';
import { TcpProxy } from '../../test/helpers/tcp-proxy';
import { AppendUnknownError, NotAppendedError } from './fold';

const { prefix, replica, cleanup } = listReplicas();
afterEach(cleanup);

async function keysUnder(p: string): Promise<string[]> {
  const redis = new Redis(testRedisUrl());
  try {
    return (await redis.keys(`${p}:*`)).sort();
  } finally {
    redis.disconnect();
  }
}

describe('SharedLog', () => {
  it('answers each append with its own outcome, in log order, on every replica', async () => {
    const p = prefix('log-order');
    const a = await replica(p);
    const b = await replica(p);
    const outcomes = await Promise.all([1, 2, 3].map((n) => a.log.append(n)));
    expect(outcomes).toEqual([1, 2, 3]);
    expect(await b.log.append(4)).toBe(4);
    await eventually(() => a.fold.items.length === 4);
    expect(a.fold.items).toEqual([1, 2, 3, 4]);
    expect(b.fold.items).toEqual([1, 2, 3, 4]);
  });

  it('keeps one snapshot, in pieces, however many replicas take turns storing it', async () => {
    const p = prefix('log-snapshot');
    const options = { snapshotEveryMs: 150, snapshotChunkBytes: 16 };
    const a = await replica(p, options);
    const b = await replica(p, options);
    for (let i = 0; i < 20; i++) await (i % 2 ? a : b).log.append(i);
    // Both replicas hold the same last entry, and so does the stored snapshot; then each
    // takes a turn (its timer's, or one asked for here until it wins the lock, which then
    // holds its id), and a replica with nothing newer than the stored snapshot must not
    // disturb it.
    await eventually(() => a.log.status().snapshotsWritten + b.log.status().snapshotsWritten >= 1);
    const redis = new Redis(testRedisUrl());
    try {
      await eventually(async () => {
        const head = await redis.get(`${p}:{list}:snapshot`);
        const [last] = await redis.xrevrange(`${p}:{list}:log`, '+', '-', 'COUNT', 1);
        return head !== null && (JSON.parse(head) as { id: string }).id === last?.[0];
      });
      for (const [r, id] of [
        [a, 'replica-0'],
        [b, 'replica-1'],
      ] as const) {
        await eventually(async () => {
          await r.log.backend.snapshot();
          return (await redis.get(`${p}:{list}:snapshot-lock`)) === id;
        });
      }
    } finally {
      redis.disconnect();
    }
    const keys = await keysUnder(p);
    const pieces = keys.filter((k) => /:snapshot:.+:\d+$/.test(k));
    // `[0,1,…,19]` is 50 bytes: four 16-byte pieces of one snapshot, no leftovers.
    expect(pieces).toHaveLength(4);
    expect(new Set(pieces.map((k) => k.replace(/:\d+$/, ''))).size).toBe(1);
    const late = await replica(p, options);
    expect(late.log.status().snapshotsLoaded).toBe(1);
    expect(late.fold.items).toEqual(a.fold.items);
  });

  it('a replica cut off while the log was trimmed past it reloads the snapshot and matches', async () => {
    const p = prefix('log-gap');
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379));
    await proxy.up();
    try {
      const options = { snapshotEveryMs: 100, trimGraceMs: 0 };
      const writer = await replica(p, options);
      const away = await replica(p, options, `redis://127.0.0.1:${proxy.port}`);
      for (let i = 0; i < 10; i++) await writer.log.append(i);
      await eventually(() => away.fold.items.length === 10);
      const loadedBefore = away.log.status().snapshotsLoaded;

      await proxy.down();
      await eventually(() => away.log.stale);
      // Known to be disconnected: the write is refused before it is sent, so it certainly
      // did not happen.
      await expect(away.log.append(99)).rejects.toBeInstanceOf(NotAppendedError);
      for (let i = 10; i < 30; i++) await writer.log.append(i);
      // The writer snapshots and trims to its last entry: what `away` lacks is gone from the log.
      const written = writer.log.status().snapshotsWritten;
      await eventually(() => writer.log.status().snapshotsWritten > written);
      const redis = new Redis(testRedisUrl());
      try {
        expect(await redis.xlen(`${p}:{list}:log`)).toBeLessThan(20);
      } finally {
        redis.disconnect();
      }

      await proxy.up();
      await eventually(() => !away.log.stale && away.fold.items.length === 30, 10_000);
      expect(away.fold.items).toEqual(writer.fold.items);
      expect(away.log.status().snapshotsLoaded).toBe(loadedBefore + 1);
      // And it goes on from there.
      expect(await away.log.append(30)).toBe(31);
      await eventually(() => writer.fold.items.length === 31);
    } finally {
      await proxy.down();
    }
  });

  it('skips a resent copy of a batch, the same way on every replica', async () => {
    const p = prefix('log-duplicate');
    const a = await replica(p);
    const b = await replica(p);
    await a.log.append(1);
    await a.log.append(2);
    // What a writer's connection would do if it sent one XADD twice: the same batch again.
    const redis = new Redis(testRedisUrl());
    try {
      const [[, fields]] = await redis.xrange(`${p}:{list}:log`, '-', '+', 'COUNT', 1);
      await redis.xadd(`${p}:{list}:log`, '*', ...fields);
    } finally {
      redis.disconnect();
    }
    expect(await a.log.append(3)).toBe(3);
    await eventually(() => b.fold.items.length === 3);
    expect(a.fold.items).toEqual([1, 2, 3]);
    expect(b.fold.items).toEqual([1, 2, 3]);
    expect(b.log.status().duplicatesSkipped).toBe(1);
    const late = await replica(p);
    expect(late.fold.items).toEqual([1, 2, 3]);
    expect(late.log.status().duplicatesSkipped).toBe(1);
  });

  it('says the outcome is unknown when Redis goes away with the append on its way', async () => {
    const p = prefix('log-unknown');
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379));
    await proxy.up();
    try {
      const a = await replica(p, {}, `redis://127.0.0.1:${proxy.port}`);
      // Queue the append, then cut the connection in the same turn: the XADD is written to
      // a socket that is reset before any reply can come.
      const pending = a.log.append(1);
      await new Promise((r) => setImmediate(r));
      await proxy.down();
      const err = await pending.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppendUnknownError);
      expect((err as Error).message).toMatch(/may or may not have been recorded/);
    } finally {
      await proxy.down();
    }
  });
});
