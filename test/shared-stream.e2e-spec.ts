import Redis from 'ioredis';
import { rmSync } from 'node:fs';
import { Simulator, startSimulator } from '../scripts/stream-simulator';
import { encodeMetricsData } from '../src/api-metrics/metrics-datagram';
import { decodePostOps } from '../src/stream-analysis/post-ops';
import { ensureBuilt } from './helpers/build';
import { eventually } from './helpers/eventually';
import { freshSchema, TestSchema } from './helpers/postgres';
import { dropPrefix, privateRedis, testRedisUrl, uniquePrefix } from './helpers/redis';
import { ServerProcess, startServerProcess } from './helpers/server-process';
import { tempDir } from './helpers/temp-dir';
import { udpSender } from './helpers/udp';
import { LiveClient } from './helpers/ws-client';

/** A post the stream analysis can tell apart from every other: its timestamp is unique. */
const post = (n: number) =>
  JSON.stringify({ tweet: { timestamp: 1_600_000_000 + n, favorites: n, retweets: 1 } });

interface Status {
  leader: boolean;
  state: string;
  postsReceived: number;
}

/**
 * Redis mode, part 2: one elected instance holds the upstream SSE connection and appends
 * posts to the shared log, fenced by its lock; the api-metrics live feed crosses instances.
 */
describe('shared stream analysis and live feed across instances (e2e)', () => {
  jest.setTimeout(120_000);
  let prefix: string;
  let running: ServerProcess[] = [];
  let dirs: string[] = [];
  let sim: Simulator | null = null;

  beforeAll(() => ensureBuilt());
  beforeEach(() => {
    prefix = uniquePrefix('stream');
  });
  afterEach(async () => {
    for (const p of running) {
      if (p.child.exitCode === null) {
        p.child.kill('SIGCONT');
        p.child.kill('SIGKILL');
      }
    }
    await Promise.all(running.map((p) => p.exited));
    running = [];
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
    await sim?.close();
    sim = null;
    await dropPrefix(prefix);
  });

  const start = async (env: Record<string, string> = {}) => {
    const dir = tempDir('beacon-shared-stream-');
    dirs.push(dir);
    const p = await startServerProcess(
      {
        STATE_BACKEND: 'redis',
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        DATA_DIR: dir,
        ...env,
      },
      { built: true },
    );
    running.push(p);
    return p;
  };
  const status = async (p: ServerProcess) =>
    (await (await fetch(`${p.baseUrl}/analysis/status`)).json()) as Status;
  const total = async (p: ServerProcess) => {
    const res = await fetch(`${p.baseUrl}/analysis?duration=1h&dimension=favorites`);
    return res.status === 404 ? 0 : ((await res.json()) as { total_posts: number }).total_posts;
  };
  const leaders = async (ps: ServerProcess[]) => {
    const s = await Promise.all(ps.map(status));
    return ps.filter((_, i) => s[i].leader);
  };

  it('three instances: one upstream connection, one count everywhere; kill -9 of the leader hands over with Last-Event-ID', async () => {
    sim = await startSimulator({ script: Array.from({ length: 50 }, (_, i) => post(i + 1)) });
    const env = { STREAM_ENABLED: 'true', STREAM_URL: sim.url, STREAM_LEADER_TTL_MS: '2000' };
    const beacons = await Promise.all([1, 2, 3].map(() => start(env)));
    await eventually(async () => (await leaders(beacons)).length === 1);
    for (const b of beacons) await eventually(async () => (await total(b)) === 50);
    const [leader] = await leaders(beacons);
    expect(sim.connections()).toBe(1);

    leader.child.kill('SIGKILL');
    await leader.exited;
    const survivors = beacons.filter((b) => b !== leader);
    // Another instance takes over within the lock's TTL (2 s here), resuming after event 50.
    await eventually(async () => (await leaders(survivors)).length === 1, 10_000);
    await eventually(() => sim!.connections() === 2);
    expect(sim.lastEventIds).toEqual(['50']);
    for (let i = 51; i <= 80; i++) sim.push(post(i));
    for (const b of survivors) await eventually(async () => (await total(b)) === 80);
    // The answers are the same on every instance, and each post counted once.
    const answers = await Promise.all(
      survivors.map(async (b) =>
        (await fetch(`${b.baseUrl}/analysis?duration=1h&dimension=favorites`)).json(),
      ),
    );
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({
      total_posts: 80,
      minimum_timestamp: 1_600_000_001,
      maximum_timestamp: 1_600_000_080,
    });
    expect(sim.maxOpen()).toBe(1);
  });

  it('a leader paused past its TTL (SIGSTOP) cannot append once another took over', async () => {
    sim = await startSimulator({ script: [post(1)], heartbeatMs: 60_000 });
    const env = { STREAM_ENABLED: 'true', STREAM_URL: sim.url, STREAM_LEADER_TTL_MS: '1000' };
    const beacons = await Promise.all([1, 2].map(() => start(env)));
    await eventually(async () => (await leaders(beacons)).length === 1);
    const [old] = await leaders(beacons);
    const other = beacons.find((b) => b !== old)!;
    const oldId = (
      (await (await fetch(`${old.baseUrl}/health`)).json()) as {
        details: { sharedState: { instanceId: string } };
      }
    ).details.sharedState.instanceId;
    await eventually(async () => (await total(other)) === 1);

    old.child.kill('SIGSTOP');
    // Written to the paused leader's connection only: it will try to append them later.
    for (let i = 2; i <= 6; i++) sim.push(post(i));
    await eventually(async () => (await status(other)).leader, 10_000);
    await eventually(() => sim!.connections() === 2);
    const takenOverAt = Date.now();
    old.child.kill('SIGCONT');
    await eventually(async () => !(await status(old)).leader);
    // The old leader has dropped its connection; posts from now on reach the new leader only.
    await eventually(() => sim!.open() === 1);
    for (let i = 7; i <= 10; i++) sim.push(post(i));
    // The old leader read posts 2–6 once resumed, and every append of them was refused.
    await eventually(async () => {
      const h = (await (await fetch(`${old.baseUrl}/health`)).json()) as {
        details: { streamAnalysis: { sharing: { fenced: number; droppedWhileAway: number } } };
      };
      const s = h.details.streamAnalysis.sharing;
      return s.fenced + s.droppedWhileAway === 5;
    });
    await eventually(async () => (await total(other)) === 5);

    // The log: no entry from the old leader after the takeover.
    const redis = new Redis(testRedisUrl());
    const raw = (await redis.xrangeBuffer(`${prefix}:{stream}:log`, '-', '+')) as [
      Buffer,
      Buffer[],
    ][];
    redis.disconnect();
    const entries = raw.map(([id, fields]) => [id.toString(), fields] as const);
    const late = entries.filter(
      ([id, fields]) =>
        Number(id.split('-')[0]) >= takenOverAt && fields[1].toString().startsWith(oldId),
    );
    expect(late).toEqual([]);
    // Every post in the log once; both instances fold the same log (posts go as bytes).
    const stamps = entries.flatMap(([, fields]) => decodePostOps(fields[3]).map((p) => p.t));
    expect(new Set(stamps).size).toBe(stamps.length);
    expect(stamps.map((t) => t - 1_600_000_000).sort((x, y) => x - y)).toEqual([1, 7, 8, 9, 10]);
    await eventually(async () => (await total(old)) === (await total(other)));
  });

  it('a Redis outage: the leader keeps its upstream and holds the posts; all catch up after', async () => {
    const redis = await privateRedis();
    try {
      sim = await startSimulator({ script: [post(1)], heartbeatMs: 500 });
      const env = {
        REDIS_URL: redis.url,
        STREAM_ENABLED: 'true',
        STREAM_URL: sim.url,
        STREAM_LEADER_TTL_MS: '5000',
      };
      const beacons = await Promise.all([1, 2].map(() => start(env)));
      await eventually(async () => (await leaders(beacons)).length === 1);
      const [leader] = await leaders(beacons);
      const follower = beacons.find((b) => b !== leader)!;
      await eventually(async () => (await total(follower)) === 1);
      await redis.stop();
      for (let i = 2; i <= 20; i++) sim.push(post(i));
      // The leader reads them and holds them; the follower answers from what it has, flagged.
      await eventually(async () => (await status(leader)).postsReceived === 20);
      const analysis = () => fetch(`${follower.baseUrl}/analysis?duration=1h&dimension=favorites`);
      await eventually(async () => (await analysis()).headers.has('beacon-stale'));
      const stale = await analysis();
      expect(stale.headers.get('beacon-stale')).toMatch(/^redis unreachable since /);
      expect(((await stale.json()) as { total_posts: number }).total_posts).toBe(1);
      expect(sim.connections()).toBe(1);
      await redis.start();
      for (const b of beacons) await eventually(async () => (await total(b)) === 20, 20_000);
      expect(sim.connections()).toBe(1); // the upstream connection was kept throughout
    } finally {
      for (const p of running) p.child.kill('SIGKILL');
      await Promise.all(running.map((p) => p.exited));
      running = [];
      await redis.stop();
      redis.cleanup();
    }
  });

  it('api-metrics: a WebSocket client on B gets every record sent by UDP to A; each stored once', async () => {
    const schema: TestSchema = await freshSchema('beacon_shared_ws');
    try {
      const env = {
        API_METRICS_ENABLED: 'true',
        DATABASE_URL: schema.url,
        API_METRICS_FLUSH_MS: '50',
      };
      const a = await start(env);
      const b = await start(env);
      const port = Number(
        /UDP listening on [^:]+:(\d+)/.exec(a.logs.map((l) => l.msg).join('\n'))?.[1],
      );
      const client = await LiveClient.open(b.baseUrl);
      const sender = await udpSender();
      const now = Math.floor(Date.now() / 1000);
      for (let i = 1; i <= 500; i++) {
        await sender.send(
          encodeMetricsData(
            { sequence: i, timestamp: now },
            { route: '/relayed', methodByte: 1, statusCode: 200, responseTimeMs: i },
          ),
          port,
        );
      }
      sender.close();
      await eventually(() => client.records.length === 500);
      // In order: one sender, one instance, one channel.
      expect(client.records.map((r) => r.time)).toEqual(
        Array.from({ length: 500 }, (_, i) => i + 1),
      );
      client.close();
      // Stored once: A, which the datagrams reached, queued each for the database and B,
      // which only relayed them, none; with both queues empty no write is still to come.
      type Queue = { accepted: number; queued: number; written: number };
      const queue = async (p: ServerProcess) =>
        ((await (await fetch(`${p.baseUrl}/health`)).json()) as { details: { apiMetrics: Queue } })
          .details.apiMetrics;
      let queues: Queue[] = [];
      await eventually(async () => {
        queues = await Promise.all([a, b].map(queue));
        return queues.every((q) => q.queued === 0);
      });
      expect(queues.map(({ accepted, written }) => ({ accepted, written }))).toEqual([
        { accepted: 500, written: 500 },
        { accepted: 0, written: 0 },
      ]);
      const [row] = await schema.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM api_metrics WHERE route = '/relayed'`,
      );
      expect(row.n).toBe(500);
    } finally {
      for (const p of running) p.child.kill('SIGTERM');
      await Promise.all(running.map((p) => p.exited));
      await schema.drop();
    }
  });
});
