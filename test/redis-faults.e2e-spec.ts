import Redis from 'ioredis';
import { rmSync } from 'node:fs';
import { ensureBuilt } from './helpers/build';
import { eventually } from './helpers/eventually';
import { privateRedis, sentinelGroup } from './helpers/redis';
import { ServerProcess, startServerProcess } from './helpers/server-process';
import { tempDir } from './helpers/temp-dir';

/**
 * A hung Redis (SIGSTOP), a full one (maxmemory, noeviction) and a Sentinel failover under
 * two real Beacon processes: writes answer 503 saying truly whether they may have happened,
 * readiness goes 503 naming sharedState and comes back, and afterwards both instances count
 * every 202, and none that was answered "nothing was recorded". With REDIS_MIN_REPLICAS=1
 * every 202 was confirmed on a replica first, so a kill -9 of the master loses none.
 */
describe('Redis hung, full or failing over (e2e)', () => {
  jest.setTimeout(120_000);
  const dirs: string[] = [];
  let beacons: ServerProcess[] = [];
  beforeAll(() => ensureBuilt());
  afterEach(async () => {
    for (const b of beacons) if (b.child.exitCode === null) b.child.kill('SIGKILL');
    await Promise.all(beacons.map((b) => b.exited));
    beacons = [];
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  /** Two Beacons on `env`, each with a DATA_DIR of its own. */
  const startTwo = async (env: Record<string, string>) => {
    for (let i = 0; i < 2; i++) {
      const dir = tempDir('beacon-redis-faults-');
      dirs.push(dir);
      beacons.push(await startServerProcess({ ...env, DATA_DIR: dir }, { built: true }));
    }
    return beacons;
  };

  const post = async (b: ServerProcess, n: number, metric = 'h') => {
    const res = await fetch(`${b.baseUrl}/metrics/${metric}/latency`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latency_ns: n }),
    });
    return { status: res.status, text: await res.text() };
  };
  /** `metric`'s Count on `b` once it reaches `atLeast` (or what it is after 20 s). */
  const countOf = async (b: ServerProcess, metric: string, atLeast: number) => {
    let count = 0;
    await eventually(async () => {
      const res = await fetch(`${b.baseUrl}/metrics/${metric}`);
      count = ((await res.json()) as { Count: number }).Count;
      return count >= atLeast;
    }, 20_000).catch(() => undefined); // a count that never gets there fails the caller's check
    return count;
  };
  const ready = async (b: ServerProcess) => {
    const res = await fetch(`${b.baseUrl}/health/ready`);
    return { status: res.status, text: await res.text() };
  };

  it('SIGSTOP, then maxmemory: 503s that say what happened, not ready, and back', async () => {
    const redis = await privateRedis();
    const admin = new Redis(redis.url);
    try {
      const env = {
        STATE_BACKEND: 'redis',
        REDIS_URL: redis.url,
        REDIS_PREFIX: 'faults',
        REDIS_WRITE_TIMEOUT_MS: '500',
      };
      const [a, b] = await startTwo(env);
      let acked = 0;
      let unknown = 0;
      for (let n = 1; n <= 20; n++) {
        expect((await post(beacons[n % 2], n)).status).toBe(202);
        acked++;
      }

      // Hung: the write was sent, so its outcome is unknown; readiness fails on its own
      // timeout rather than hanging.
      redis.signal('SIGSTOP');
      const hung = await post(a, 100);
      expect(hung.status).toBe(503);
      expect(hung.text).toMatch(/may or may not have been recorded.*REDIS_WRITE_TIMEOUT_MS/);
      unknown++;
      const hungReady = await ready(b);
      expect(hungReady.status).toBe(503);
      expect(hungReady.text).toContain('sharedState');
      redis.signal('SIGCONT');
      for (const x of beacons) await eventually(async () => (await ready(x)).status === 200);

      // Full: Redis refuses every write, so nothing was recorded; not ready meanwhile.
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      // 1 byte: below any use, so every write is refused however memory moves meanwhile.
      await admin.config('SET', 'maxmemory', '1');
      let refused = 0;
      for (let n = 200; n < 210; n++) {
        const full = await post(beacons[n % 2], n);
        expect(full.status).toBe(503);
        expect(full.text).toMatch(/refused the write; nothing was recorded.*OOM/);
        refused++;
      }
      for (const x of beacons) {
        const r = await ready(x);
        expect(r.status).toBe(503);
        expect(r.text).toMatch(/sharedState/);
      }
      await admin.config('SET', 'maxmemory', '0');
      for (const x of beacons) await eventually(async () => (await ready(x)).status === 200);
      for (let n = 300; n < 310; n++) {
        expect((await post(beacons[n % 2], n)).status).toBe(202);
        acked++;
      }
      expect(refused).toBe(10);
      for (const x of beacons) {
        const count = await countOf(x, 'h', acked);
        expect(count).toBeGreaterThanOrEqual(acked);
        expect(count).toBeLessThanOrEqual(acked + unknown);
      }
    } finally {
      redis.signal('SIGCONT');
      admin.disconnect();
      await redis.stop();
      redis.cleanup();
    }
  });

  it('Sentinel, REDIS_MIN_REPLICAS=1, kill -9 of the master under load: every 202 is in every instance afterwards', async () => {
    const group = await sentinelGroup(2);
    try {
      const env = {
        STATE_BACKEND: 'redis',
        REDIS_URL: 'redis://127.0.0.1',
        REDIS_SENTINELS: group.sentinels,
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_MIN_REPLICAS: '1',
        REDIS_WRITE_TIMEOUT_MS: '1000',
        REDIS_PREFIX: 'failover',
        LATENCY_MAX_SAMPLES: '1000000',
      };
      await startTwo(env);
      const tally = { acked: 0, refused: 0, unknown: 0, ackedAfterKill: 0 };
      let killed = false;
      const deadline = Date.now() + 60_000;
      const writer = async (b: ServerProcess, k: number) => {
        for (let n = 0; Date.now() < deadline && !(killed && tally.ackedAfterKill >= 100); n++) {
          const res = await post(b, 1 + 2 * n + k, 'f');
          if (res.status === 202) {
            tally.acked++;
            if (killed) tally.ackedAfterKill++;
          } else if (res.status === 503 && /nothing was (changed|recorded)/.test(res.text)) {
            tally.refused++;
            // No master yet: paced, not spinning.
            await new Promise((r) => setTimeout(r, 20));
          } else {
            expect(res.status).toBe(503);
            tally.unknown++;
          }
        }
      };
      const killer = (async () => {
        await eventually(() => tally.acked >= 300, 30_000);
        await group.master.kill();
        killed = true;
      })();
      await Promise.all([...beacons.map((b, k) => writer(b, k)), killer]);
      expect(tally.ackedAfterKill).toBeGreaterThanOrEqual(100);
      expect(await group.currentMaster()).not.toBe(group.master.port);

      const counts: number[] = [];
      for (const b of beacons) counts.push(await countOf(b, 'f', tally.acked));
      // At least every 202; at most those plus the writes whose outcome was unknown.
      for (const count of counts) {
        expect(count).toBeGreaterThanOrEqual(tally.acked);
        expect(count).toBeLessThanOrEqual(tally.acked + tally.unknown);
      }
      expect(counts[1]).toBe(counts[0]);
    } finally {
      await group.stop();
    }
  });
});
