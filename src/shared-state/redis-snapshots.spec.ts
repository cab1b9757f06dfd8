import Redis from 'ioredis';
import { eventually } from '../../test/helpers/eventually';
import { listReplicas } from '../../test/helpers/list-replica';
import { privateRedis } from '../../test/helpers/redis';
import { AppendUnknownError, NotAppendedError } from './fold';

const { prefix, replica, cleanup } = listReplicas();
afterEach(cleanup);

describe('RedisSnapshots under load', () => {
  it('a snapshot holds exactly the entries up to its id: replicas started from any of them equal the others', async () => {
    // A snapshot that held entries applied after the id it records would have them
    // replayed on top by every replica started from it: a list fold would show them twice.
    // With no trim grace, the log is trimmed to each new snapshot at once: a replica that
    // read an older snapshot, or read on from a position a trim had just passed, would
    // silently miss entries unless it notices the trim and reloads.
    const p = prefix('snapshot-exact');
    const options = { snapshotEveryMs: 15, trimGraceMs: 0 };
    const a = await replica(p, options);
    const b = await replica(p, options);
    const total = 3000;
    let next = 0;
    const writer = async (w: { log: { append(op: number): Promise<number> } }) => {
      while (next < total) {
        const batch = Array.from({ length: Math.min(10, total - next) }, () => next++);
        await Promise.all(batch.map((op) => w.log.append(op)));
      }
    };
    const late: { fold: { items: number[] }; log: { status(): { snapshotsLoaded: number } } }[] =
      [];
    // A new replica each time another tenth of the appends has been sent.
    const starter = (async () => {
      for (let k = 1; k < 10; k++) {
        await eventually(() => next >= (k * total) / 10, 30_000);
        late.push(await replica(p, options));
      }
    })();
    await Promise.all([writer(a), writer(b), starter]);
    late.push(await replica(p, options));

    await eventually(() => [a, b, ...late].every((r) => r.fold.items.length >= total), 20_000);
    const snapshotsWritten = a.log.status().snapshotsWritten + b.log.status().snapshotsWritten;
    expect(snapshotsWritten).toBeGreaterThan(5);
    // Most late replicas started from a snapshot taken while appends were in flight.
    expect(late.filter((r) => r.log.status().snapshotsLoaded > 0).length).toBeGreaterThan(2);
    const expected = [...a.fold.items].sort((x, y) => x - y);
    expect(expected).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(b.fold.items).toEqual(a.fold.items);
    for (const r of late) expect(r.fold.items).toEqual(a.fold.items);
  }, 60_000);
});

describe('RedisLog when Redis refuses writes', () => {
  it('a full Redis (maxmemory, noeviction): 503 "nothing was recorded", and nothing was; not ready until it takes writes', async () => {
    const redis = await privateRedis();
    const admin = new Redis(redis.url);
    try {
      const p = prefix('log-oom');
      const a = await replica(p, {}, redis.url);
      expect(await a.log.append(1)).toBe(1);
      // Past maxmemory every write is refused with OOM; reads still work.
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      // 1 byte: below any use, so every write is refused however memory moves meanwhile.
      await admin.config('SET', 'maxmemory', '1');
      const refused = await a.log.append(2).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(NotAppendedError);
      expect((refused as Error).message).toMatch(/refused the write; nothing was recorded.*OOM/);
      // Readiness asks problem(): a Redis that answers pings but takes no write is one.
      expect(await a.log.problem()).toMatch(/^Redis refuses writes: .*OOM/);
      expect(a.log.status().writeError).toMatch(/OOM/);
      await admin.config('SET', 'maxmemory', '0');
      expect(await a.log.problem()).toBeNull();
      expect(a.log.status().writeError).toBeNull();
      expect(await a.log.append(3)).toBe(2);
      expect(a.fold.items).toEqual([1, 3]);
      const late = await replica(p, {}, redis.url);
      expect(late.fold.items).toEqual([1, 3]);
    } finally {
      admin.disconnect();
      await cleanup();
      await redis.stop();
      redis.cleanup();
    }
  });

  it('a hung Redis (SIGSTOP): a write fails within REDIS_WRITE_TIMEOUT_MS as "unknown", and readiness too', async () => {
    const redis = await privateRedis();
    try {
      const p = prefix('log-hung');
      const a = await replica(p, { redis: { url: redis.url, prefix: p, writeTimeoutMs: 300 } });
      expect(await a.log.append(1)).toBe(1);
      redis.signal('SIGSTOP');
      // REDIS_WRITE_TIMEOUT_MS answered, not ioredis's own 10 s timeout ('Command timed out').
      const outcome = await a.log.append(2).catch((e: unknown) => e);
      expect(outcome).toBeInstanceOf(AppendUnknownError);
      expect((outcome as Error).message).toMatch(
        /may or may not have been recorded.*did not answer within 300 ms \(REDIS_WRITE_TIMEOUT_MS\)/,
      );
      expect(await a.log.problem()).toMatch(/did not answer within 300 ms/);
      redis.signal('SIGCONT');
      await eventually(async () => (await a.log.problem()) === null);
      // The write that timed out was sent: a resumed Redis ran it, so it is there, once.
      expect(await a.log.append(3)).toBe(3);
      expect(a.fold.items).toEqual([1, 2, 3]);
    } finally {
      redis.signal('SIGCONT');
      await cleanup();
      await redis.stop();
      redis.cleanup();
    }
  }, 30_000);
});
