import Redis from 'ioredis';
import { rmSync } from 'node:fs';
import { ensureBuilt } from './helpers/build';
import { eventually } from './helpers/eventually';
import { requestOnce } from './helpers/http-once';
import { rng } from './helpers/random';
import { dropPrefix, privateRedis, testRedisUrl, uniquePrefix } from './helpers/redis';
import { expectedState, rocketHistory, shuffledWithDuplicates } from './helpers/rocket-history';
import { launchMessages } from './helpers/rocket-launcher';
import { ServerProcess, startServerProcess } from './helpers/server-process';
import { tempDir } from './helpers/temp-dir';

const json = { 'content-type': 'application/json' };

/**
 * STATE_BACKEND=redis with several real Beacon processes on one Redis: every instance
 * answers every read of latency, rockets and the request counter as one instance would,
 * survives kill -9 of any or all of them, and refuses writes (never loses them) while
 * Redis is away.
 */
describe('shared state across instances (e2e)', () => {
  jest.setTimeout(120_000);
  let prefix: string;
  let running: ServerProcess[] = [];
  let dirs: string[] = [];
  let redisUrl: string;

  beforeAll(() => ensureBuilt());
  beforeEach(() => {
    prefix = uniquePrefix('e2e');
    redisUrl = testRedisUrl();
  });
  afterEach(async () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
    running = [];
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
    await dropPrefix(prefix, redisUrl);
  });

  const start = async (env: Record<string, string> = {}) => {
    const dir = tempDir('beacon-shared-');
    dirs.push(dir);
    const p = await startServerProcess(
      {
        STATE_BACKEND: 'redis',
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        DATA_DIR: dir,
        COUNTER_FLUSH_MS: '50',
        ...env,
      },
      { built: true },
    );
    running.push(p);
    return p;
  };
  const startMany = (n: number, env: Record<string, string> = {}) =>
    Promise.all(Array.from({ length: n }, () => start(env)));
  const get = async (p: ServerProcess, path: string) => {
    const res = await fetch(p.baseUrl + path);
    return { status: res.status, body: await res.json(), headers: res.headers };
  };
  const post = (p: ServerProcess, path: string, body: unknown) =>
    fetch(p.baseUrl + path, { method: 'POST', headers: json, body: JSON.stringify(body) });
  /** Whether the stored snapshot of log `name` is at (or past) the log's last entry. */
  const snapshotHoldsLog = async (name: string) => {
    const redis = new Redis(redisUrl);
    try {
      const head = await redis.get(`${prefix}:{${name}}:snapshot`);
      const [last] = await redis.xrevrange(`${prefix}:{${name}}:log`, '+', '-', 'COUNT', 1);
      if (head === null || last === undefined) return false;
      const at = (id: string) => id.split('-').map(BigInt);
      const [[sm, ss], [lm, ls]] = [at((JSON.parse(head) as { id: string }).id), at(last[0])];
      return sm > lm || (sm === lm && ss >= ls);
    } finally {
      redis.disconnect();
    }
  };

  it('every instance answers latency and counter reads identically', async () => {
    const beacons = await startMany(3);
    const random = rng(4);
    let sent = 0;
    // 300 samples over 4 metrics, spread over the three instances.
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const res = await post(beacons[i % 3], `/metrics/m${i % 4}/latency`, {
          latency_ns: 1 + Math.floor(random() * 1e6),
        });
        expect(res.status).toBe(202);
        sent++;
      }),
    );
    // A reconfiguration on one instance, a delete on another.
    const put = await fetch(`${beacons[1].baseUrl}/metrics/m1`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ max_samples: 50 }),
    });
    expect(put.status).toBe(200);
    expect((await fetch(`${beacons[2].baseUrl}/metrics/m3`, { method: 'DELETE' })).status).toBe(
      204,
    );
    // Each instance folds the others' writes as it tails the log: read until they agree
    // (on fastify the reads came back before the other instances had folded the DELETE).
    let lists: Awaited<ReturnType<typeof get>>[] = [];
    let reads = 0;
    await eventually(async () => {
      lists = await Promise.all(beacons.map((b) => get(b, '/metrics')));
      reads += lists.length;
      return lists.every((l) => JSON.stringify(l.body) === JSON.stringify(lists[0].body));
    }).catch(() => undefined); // instances that never agree fail just below
    const first = lists[0].body as { MetricID: string; Count: number }[];
    expect(first.map((m) => [m.MetricID, m.Count])).toEqual([
      ['m0', 75],
      ['m1', 50],
      ['m2', 75],
    ]);
    for (const l of lists) expect(l.body).toEqual(first);
    expect(sent).toBe(300);

    // The counter: every request to every instance, once flushed (every 50 ms here). So far
    // 300 POSTs + 1 PUT + 1 DELETE + the GET /metrics above; each read counts itself at
    // once, and the reads on the other instances once they flush. Each instance is read
    // until it has them all: it must then show exactly as many requests as were sent.
    let requests = 302 + reads;
    for (const b of beacons) {
      let count = 0;
      await eventually(async () => {
        requests++;
        count = ((await get(b, '/counter')).body as { count: number }).count;
        return count >= requests;
      }).catch(() => undefined); // a count that never gets there fails just below
      expect({ count }).toEqual({ count: requests });
    }

    // Each instance's /prometheus shows the shared logs it tails, and the same latency.
    for (const b of beacons) {
      const text = await (await fetch(`${b.baseUrl}/prometheus`)).text();
      expect(text).toContain('beacon_shared_state_backend{backend="redis"} 1');
      expect(text).toContain('beacon_shared_state_stale 0');
      for (const log of ['latency', 'rockets']) {
        expect(text).toContain(`beacon_shared_log_connected{log="${log}"} 1`);
      }
      expect(text).toContain('beacon_latency_seconds_count{metric="m1"} 50');
    }
  });

  it('rockets: shuffled histories with duplicates over three instances, exact on every one', async () => {
    const beacons = await startMany(3, { ROCKETS_MAX_BUFFERED_PER_CHANNEL: '50' });
    const random = rng(11);
    const histories = Array.from({ length: 20 }, (_, r) =>
      rocketHistory(`rocket-${r}`, 20 + Math.floor(random() * 60), random),
    );
    const messages = shuffledWithDuplicates(histories, 0.2, random);
    const report = await launchMessages(
      beacons.map((b) => b.baseUrl),
      messages,
      6,
    );
    expect(Object.values(report.statuses).reduce((a, b) => a + b, 0)).toBe(messages.length);
    const lists = await Promise.all(beacons.map((b) => get(b, '/rockets')));
    for (const l of lists) expect(l.body).toEqual(lists[0].body);
    for (const h of histories) {
      const want = expectedState(h);
      for (const b of beacons) {
        const { body } = await get(b, `/rockets/${h[0].metadata.channel}`);
        expect(body).toMatchObject({ ...want, bufferedMessages: 0 });
      }
    }
  });

  it('kill -9 of one instance mid-load loses no acknowledged write; a restart catches up', async () => {
    const beacons = await startMany(3);
    let acked = 0;
    let running = true;
    const senders = beacons.map(async (b, k) => {
      for (let i = 0; running; i++) {
        try {
          const res = await post(b, '/metrics/load/latency', { latency_ns: k * 1_000_000 + i + 1 });
          if (res.status === 202) acked++;
        } catch {
          return; // this instance is gone
        }
      }
    });
    await eventually(() => acked > 300);
    beacons[1].child.kill('SIGKILL');
    await beacons[1].exited;
    const atKill = acked;
    await eventually(() => acked > atKill + 300);
    running = false;
    await Promise.all(senders);
    const count = async (b: ServerProcess) =>
      ((await get(b, '/metrics/load')).body as { Count: number }).Count;
    const survivors = [beacons[0], beacons[2]];
    // Each has its own last writes at once; the other's once replicated.
    let counts: number[] = [];
    await eventually(async () => {
      counts = await Promise.all(survivors.map(count));
      return counts[0] === counts[1];
    });
    // Every 202 is there; a write in flight at the kill may be there too, unacknowledged.
    expect(counts[0]).toBeGreaterThanOrEqual(acked);
    expect(counts[0]).toBeLessThanOrEqual(acked + 50);
    const again = await start();
    expect(await count(again)).toBe(counts[0]);
  });

  it('kill -9 of every instance: fresh instances on new data folders recover everything from Redis', async () => {
    const env = { SHARED_SNAPSHOT_INTERVAL_MS: '1000' };
    const beacons = await startMany(2, env);
    const random = rng(5);
    const histories = Array.from({ length: 5 }, (_, r) => rocketHistory(`r-${r}`, 30, random));
    await launchMessages(
      beacons.map((b) => b.baseUrl),
      shuffledWithDuplicates(histories, 0.1, random),
      4,
    );
    for (let i = 0; i < 200; i++) {
      expect(
        (await post(beacons[i % 2], '/metrics/kept/latency', { latency_ns: i + 1 })).status,
      ).toBe(202);
    }
    // Past a snapshot of both logs that holds every write so far, then more writes after it.
    await eventually(async () => {
      for (const name of ['latency', 'rockets']) {
        if (!(await snapshotHoldsLog(name))) return false;
      }
      return true;
    });
    for (let i = 200; i < 250; i++) {
      expect(
        (await post(beacons[i % 2], '/metrics/kept/latency', { latency_ns: i + 1 })).status,
      ).toBe(202);
    }
    const before = {
      rockets: (await get(beacons[0], '/rockets')).body,
      metric: (await get(beacons[0], '/metrics/kept')).body,
    };
    for (const b of beacons) b.child.kill('SIGKILL');
    await Promise.all(beacons.map((b) => b.exited));
    const fresh = await startMany(2, env);
    for (const b of fresh) {
      expect((await get(b, '/rockets')).body).toEqual(before.rockets);
      expect((await get(b, '/metrics/kept')).body).toMatchObject({
        Count: 250,
        P50: (before.metric as { P50: number }).P50,
      });
    }
    const health = (await get(fresh[0], '/health')).body as {
      details: { sharedState: { logs: { name: string; snapshotsLoaded: number }[] } };
    };
    const loaded = health.details.sharedState.logs.filter((l) => l.snapshotsLoaded > 0);
    expect(loaded.map((l) => l.name).sort()).toEqual(['latency', 'rockets']);
  });

  it('WORKERS=2: two processes on one port, one state; SIGTERM stops the cluster, exit 0', async () => {
    const cluster = await start({ WORKERS: '2' });
    // A new connection per request (no agent): the cluster hands them to both workers in turn.
    const once = (method: string, path: string, body?: string) =>
      requestOnce(cluster.baseUrl, method, path, body);
    for (let i = 0; i < 40; i++) {
      const res = await once('POST', '/metrics/w/latency', JSON.stringify({ latency_ns: i + 1 }));
      expect(res.status).toBe(202);
    }
    // Round-robin: consecutive connections go to alternate workers. Both answer, the same.
    const instances = new Set<string>();
    const counts = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const h = JSON.parse((await once('GET', '/health')).text) as {
        details: { sharedState: { instanceId: string } };
      };
      instances.add(h.details.sharedState.instanceId);
    }
    expect(instances.size).toBe(2);
    await eventually(async () => {
      const seen = await Promise.all(
        [1, 2].map(
          async () =>
            (JSON.parse((await once('GET', '/metrics/w')).text) as { Count: number }).Count,
        ),
      );
      seen.forEach((c) => counts.add(c));
      return seen.every((c) => c === 40);
    });
    counts.clear();
    for (let i = 0; i < 4; i++) {
      counts.add((JSON.parse((await once('GET', '/metrics/w')).text) as { Count: number }).Count);
    }
    expect([...counts]).toEqual([40]);
    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
    const msgs = cluster.logs.map((l) => l.msg);
    expect(msgs.filter((m) => m === 'Beacon stopped')).toHaveLength(2);
    expect(msgs).toContain('Beacon cluster stopped');
  });

  it('a Redis outage: writes answer 503, never a lost 202; reads are flagged stale; all resume', async () => {
    const redis = await privateRedis();
    try {
      redisUrl = redis.url;
      const [a, b] = await startMany(2);
      expect((await post(a, '/metrics/o/latency', { latency_ns: 7 })).status).toBe(202);
      await redis.stop();
      const refused = await post(a, '/metrics/o/latency', { latency_ns: 8 });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      await eventually(async () => (await get(b, '/metrics/o')).headers.has('beacon-stale'));
      const stale = await get(b, '/metrics/o');
      expect(stale.status).toBe(200);
      expect(stale.body).toMatchObject({ Count: 1 });
      expect((await get(a, '/health/ready')).status).toBe(503);
      await redis.start();
      // Each instance reconnects on its own backoff; both must be back before B writes.
      for (const p of [a, b]) {
        await eventually(async () => (await get(p, '/health/ready')).status === 200, 20_000);
      }
      expect((await post(b, '/metrics/o/latency', { latency_ns: 9 })).status).toBe(202);
      await eventually(
        async () => ((await get(a, '/metrics/o')).body as { Count: number }).Count === 2,
      );
      // Every log of each instance is back: the flag goes.
      for (const p of [a, b]) {
        await eventually(async () => !(await get(p, '/metrics/o')).headers.has('beacon-stale'));
      }
    } finally {
      await redis.stop();
      redis.cleanup();
      redisUrl = testRedisUrl();
    }
  });
  it('Redis restarted empty, then FLUSHALL: instances running, started before and after the re-seed all converge', async () => {
    const redis = await privateRedis();
    try {
      redisUrl = redis.url;
      // The counter has no snapshot to re-seed: a new instance that finds counts written
      // after the loss waits this long (the default, 30 s, would only slow the test).
      const env = { REDIS_RESEED_WAIT_MS: '10000' };
      const beacons = await startMany(2, env);
      let acked = 0;
      const write = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const res = await post(beacons[i % beacons.length], '/metrics/lost/latency', {
            latency_ns: 1 + i,
          });
          expect(res.status).toBe(202);
          acked++;
        }
      };
      const everyoneHasAll = async () => {
        for (const b of beacons) {
          await eventually(async () => (await get(b, '/health/ready')).status === 200, 30_000);
          await eventually(
            async () => ((await get(b, '/metrics/lost')).body as { Count: number }).Count === acked,
            20_000,
          );
        }
      };
      await write(100);
      // Redis comes back empty (no persistence); a new instance starts at once, before or
      // while the running ones re-seed what they hold.
      await redis.stop();
      redis.wipe();
      await redis.start();
      beacons.push(await start(env));
      await everyoneHasAll();
      await write(60);
      beacons.push(await start(env));
      await everyoneHasAll();
      // The running instances saw it, said so, and re-seeded the snapshot.
      const health = await get(beacons[0], '/health');
      const latencyLog = (
        health.body as {
          details: { sharedState: { logs: { name: string; lastDataLoss: string | null }[] } };
        }
      ).details.sharedState.logs.find((l) => l.name === 'latency');
      expect(latencyLog?.lastDataLoss).not.toBeNull();

      // FLUSHALL under the same instances, writes right after it, and one more instance.
      const admin = new Redis(redis.url);
      try {
        await admin.flushall();
      } finally {
        admin.disconnect();
      }
      beacons.push(await start(env));
      await everyoneHasAll();
      await write(40);
      beacons.push(await start(env));
      await everyoneHasAll();
      expect(acked).toBe(200);
    } finally {
      await redis.stop();
      redis.cleanup();
      redisUrl = testRedisUrl();
    }
  });
});
