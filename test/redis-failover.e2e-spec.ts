import { rmSync } from 'node:fs';
import { ensureBuilt } from './helpers/build';
import { eventually } from './helpers/eventually';
import { sentinelGroup } from './helpers/redis';
import { ServerProcess, startServerProcess } from './helpers/server-process';
import { tempDir } from './helpers/temp-dir';

/**
 * Redis Sentinel with REDIS_MIN_REPLICAS=1, two real Beacon processes: kill -9 of the
 * master under write load. Every write answered 202 was confirmed on a replica before it
 * was answered, so after the failover every instance counts at least every 202, never a
 * write answered "nothing was changed", and both count the same.
 */
describe('Redis failover through Sentinel (e2e)', () => {
  jest.setTimeout(120_000);
  const dirs: string[] = [];
  const beacons: ServerProcess[] = [];
  beforeAll(() => ensureBuilt());
  afterAll(async () => {
    for (const b of beacons) if (b.child.exitCode === null) b.child.kill('SIGKILL');
    await Promise.all(beacons.map((b) => b.exited));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('kill -9 of the master under load: every 202 is in every instance afterwards', async () => {
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
      for (let i = 0; i < 2; i++) {
        const dir = tempDir('beacon-failover-');
        dirs.push(dir);
        beacons.push(await startServerProcess({ ...env, DATA_DIR: dir }, { built: true }));
      }
      const tally = { acked: 0, refused: 0, unknown: 0, ackedAfterKill: 0 };
      let killed = false;
      const deadline = Date.now() + 60_000;
      const writer = async (b: ServerProcess, k: number) => {
        for (let n = 0; Date.now() < deadline && !(killed && tally.ackedAfterKill >= 100); n++) {
          const res = await fetch(`${b.baseUrl}/metrics/f/latency`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ latency_ns: 1 + 2 * n + k }),
          });
          const text = await res.text();
          if (res.status === 202) {
            tally.acked++;
            if (killed) tally.ackedAfterKill++;
          } else if (res.status === 503 && /nothing was (changed|recorded)/.test(text)) {
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
      for (const b of beacons) {
        let count = 0;
        await eventually(async () => {
          const res = await fetch(`${b.baseUrl}/metrics/f`);
          count = ((await res.json()) as { Count: number }).Count;
          return count >= tally.acked;
        }, 20_000).catch(() => undefined); // a count that never gets there fails below
        counts.push(count);
      }
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
