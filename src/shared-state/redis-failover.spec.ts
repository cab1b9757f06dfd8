import Redis from 'ioredis';
import { eventually } from '../../test/helpers/eventually';
import { listReplicas } from '../../test/helpers/list-replica';
import { privateRedis, sentinelGroup } from '../../test/helpers/redis';
import { AppendUnknownError, NotAppendedError } from './fold';

const { prefix, replica, cleanup } = listReplicas();

/** Until `redis` (a master) has `n` replicas streaming from it. */
async function replicating(url: string, n: number): Promise<void> {
  const admin = new Redis(url);
  try {
    await eventually(async () => {
      const info = await admin.info('replication');
      const online = info.match(/^slave\d+:.*state=online/gm) ?? [];
      return online.length >= n;
    }, 20_000);
  } finally {
    admin.disconnect();
  }
}

/**
 * Redis replication is asynchronous: a failover can drop writes the master had answered.
 * With REDIS_MIN_REPLICAS, an append is answered only once WAIT confirms the replicas have
 * it; with REDIS_SENTINELS, Beacon follows the failover to the new master.
 */
describe('RedisLog with replicas', () => {
  afterEach(cleanup);

  it('REDIS_MIN_REPLICAS: an append the replicas do not confirm in time answers "unknown" (the master has it)', async () => {
    const master = await privateRedis();
    const copy = await privateRedis({ replicaOf: master.port });
    try {
      await replicating(master.url, 1);
      const p = prefix('min-replicas');
      const settings = { url: master.url, prefix: p, minReplicas: 1, writeTimeoutMs: 400 };
      const a = await replica(p, { redis: settings });
      expect(await a.log.append(1)).toBe(1);
      copy.signal('SIGSTOP');
      const outcome = await a.log.append(2).catch((e: unknown) => e);
      expect(outcome).toBeInstanceOf(AppendUnknownError);
      expect((outcome as Error).message).toMatch(
        /took the write, but 0 of the 1 replicas REDIS_MIN_REPLICAS asks for confirmed it within 400 ms/,
      );
      copy.signal('SIGCONT');
      expect(await a.log.append(3)).toBe(3);
      expect(a.fold.items).toEqual([1, 2, 3]);
    } finally {
      copy.signal('SIGCONT');
      for (const r of [copy, master]) {
        await r.stop();
        r.cleanup();
      }
    }
  }, 30_000);

  it('Sentinel failover under load (kill -9 of the master): every append answered is on the new master and in every instance', async () => {
    const group = await sentinelGroup(2);
    try {
      await replicating(group.master.url, 2);
      const p = prefix('sentinel');
      const settings = {
        url: 'redis://127.0.0.1',
        prefix: p,
        sentinels: group.sentinels.split(',').map((s) => ({
          host: '127.0.0.1',
          port: Number(s.split(':')[1]),
        })),
        sentinelName: 'mymaster',
        minReplicas: 1,
        writeTimeoutMs: 1000,
      };
      const a = await replica(p, { redis: settings });
      const b = await replica(p, { redis: settings });
      const acked: number[] = [];
      const refused: number[] = [];
      let next = 0;
      let killed = false;
      let ackedAfterKill = 0;
      const deadline = Date.now() + 45_000;
      const writer = async (w: typeof a) => {
        while (Date.now() < deadline && !(killed && ackedAfterKill >= 100)) {
          const ops = Array.from({ length: 5 }, () => next++);
          await Promise.all(
            ops.map((op) =>
              w.log.append(op).then(
                () => {
                  acked.push(op);
                  if (killed) ackedAfterKill++;
                },
                (err: unknown) => {
                  if (err instanceof NotAppendedError) refused.push(op);
                },
              ),
            ),
          );
          // Paced, not spinning, while nothing can be written.
          if (killed && ackedAfterKill === 0) await new Promise((r) => setTimeout(r, 20));
        }
      };
      const killer = (async () => {
        await eventually(() => acked.length >= 200, 20_000);
        await group.master.kill();
        killed = true;
      })();
      await Promise.all([writer(a), writer(b), killer]);
      expect(ackedAfterKill).toBeGreaterThanOrEqual(100);
      const newMaster = await group.currentMaster();
      expect(newMaster).not.toBe(group.master.port);

      const onMaster = new Redis(newMaster, '127.0.0.1');
      try {
        const entries = await onMaster.xrange(`${p}:{list}:log`, '-', '+');
        const stored = new Set(entries.flatMap(([, f]) => JSON.parse(f[3]) as number[]));
        expect(acked.filter((op) => !stored.has(op))).toEqual([]);
        expect(refused.filter((op) => stored.has(op))).toEqual([]);
      } finally {
        onMaster.disconnect();
      }
      for (const r of [a, b]) {
        await eventually(() => acked.every((op) => r.fold.items.includes(op)), 20_000);
        expect(new Set(r.fold.items).size).toBe(r.fold.items.length);
      }
      expect(b.fold.items).toEqual(a.fold.items);
    } finally {
      await group.stop();
    }
  }, 90_000);
});
