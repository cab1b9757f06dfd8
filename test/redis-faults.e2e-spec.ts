import Redis from 'ioredis';
import { rmSync } from 'node:fs';
import { ensureBuilt } from './helpers/build';
import { eventually } from './helpers/eventually';
import { privateRedis } from './helpers/redis';
import { ServerProcess, startServerProcess } from './helpers/server-process';
import { tempDir } from './helpers/temp-dir';

/**
 * A hung Redis (SIGSTOP) and a full one (maxmemory, noeviction) under two real Beacon
 * processes: writes answer 503 saying truly whether they may have happened, readiness goes
 * 503 naming sharedState and comes back, and afterwards both instances count every 202,
 * and none that was answered "nothing was recorded".
 */
describe('Redis hung or full (e2e)', () => {
  jest.setTimeout(120_000);
  const dirs: string[] = [];
  const beacons: ServerProcess[] = [];
  beforeAll(() => ensureBuilt());
  afterAll(async () => {
    for (const b of beacons) if (b.child.exitCode === null) b.child.kill('SIGKILL');
    await Promise.all(beacons.map((b) => b.exited));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const post = async (b: ServerProcess, n: number) => {
    const res = await fetch(`${b.baseUrl}/metrics/h/latency`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latency_ns: n }),
    });
    return { status: res.status, text: await res.text() };
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
      for (let i = 0; i < 2; i++) {
        const dir = tempDir('beacon-faults-');
        dirs.push(dir);
        beacons.push(await startServerProcess({ ...env, DATA_DIR: dir }, { built: true }));
      }
      const [a, b] = beacons;
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
        let count = 0;
        await eventually(async () => {
          const res = await fetch(`${x.baseUrl}/metrics/h`);
          count = ((await res.json()) as { Count: number }).Count;
          return count >= acked;
        }).catch(() => undefined); // a count that never gets there fails below
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
});
