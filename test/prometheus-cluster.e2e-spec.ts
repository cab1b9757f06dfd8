import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { ensureBuilt } from './helpers/build';
import { eventually } from './helpers/eventually';
import { requestOnce } from './helpers/http-once';
import { dropPrefix, testRedisUrl, uniquePrefix } from './helpers/redis';
import { ServerProcess, startServerProcess } from './helpers/server-process';
import { tempDir } from './helpers/temp-dir';

const N = 40;
const PROMTOOL = '/usr/bin/promtool';

/**
 * WORKERS=2 against the machine's Redis: node:cluster hands connections to both workers in
 * turn, and one scrape of the port covers them both. Counters (HTTP requests) are summed:
 * N requests spread over the workers count N, scrape after scrape, whichever worker takes
 * the scrape. Figures of the shared state (rockets, latency metrics and their percentiles)
 * are taken once, not once per worker; process start time is one value.
 */
describe('GET /prometheus with WORKERS=2 (e2e)', () => {
  let cluster: ServerProcess;
  let dir: string;
  const prefix = uniquePrefix('prom-cluster');

  beforeAll(async () => {
    ensureBuilt();
    dir = tempDir('beacon-prom-cluster-');
    cluster = await startServerProcess(
      {
        WORKERS: '2',
        STATE_BACKEND: 'redis',
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        DATA_DIR: dir,
      },
      { built: true },
    );
  }, 60_000);
  afterAll(async () => {
    cluster?.child.kill('SIGTERM');
    if (cluster) expect(await cluster.exited).toBe(0);
    rmSync(dir, { recursive: true, force: true });
    await dropPrefix(prefix);
  });

  /** One request on a connection of its own, so consecutive ones reach both workers. */
  const once = (method: string, path: string, body?: string) =>
    requestOnce(cluster.baseUrl, method, path, body);
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  const scrape = async () => {
    const res = await once('GET', '/prometheus');
    expect(res.status).toBe(200);
    return res.text;
  };

  it('counts every worker’s requests in one scrape, and the shared state once', async () => {
    // Both workers answer (two instance ids), so each took part of the traffic below.
    const instances = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const h = JSON.parse((await once('GET', '/health')).text) as {
        details: { sharedState: { instanceId: string } };
      };
      instances.add(h.details.sharedState.instanceId);
    }
    expect(instances.size).toBe(2);

    for (let i = 0; i < N; i++) expect((await once('GET', '/rockets')).status).toBe(200);
    for (const channel of ['c1', 'c2', 'c3']) {
      const message = {
        metadata: {
          channel,
          messageNumber: 1,
          messageTime: '2026-12-01T12:00:00Z',
          messageType: 'RocketLaunched',
        },
        message: { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' },
      };
      expect((await once('POST', '/messages', JSON.stringify(message))).status).toBe(202);
    }
    for (let i = 0; i < 4; i++) {
      const sample = JSON.stringify({ latency_ns: (i + 1) * 1e6 });
      expect((await once('POST', '/metrics/m/latency', sample)).status).toBe(202);
    }

    const requests =
      'beacon_http_request_duration_seconds_count{method="GET",route="/rockets",status_code="200"}';
    // Replication between the workers takes milliseconds; then every scrape agrees.
    await eventually(async () => {
      const text = await scrape();
      return value(text, 'beacon_rockets') === 3 && value(text, 'beacon_latency_samples') === 4;
    });
    for (let i = 0; i < 4; i++) {
      const text = await scrape();
      expect(value(text, requests)).toBe(N);
      expect(value(text, 'beacon_rockets')).toBe(3);
      expect(value(text, 'beacon_rockets_messages_applied_total')).toBe(3);
      expect(value(text, 'beacon_latency_metrics')).toBe(1);
      expect(value(text, 'beacon_latency_seconds_count{metric="m"}')).toBe(4);
      expect(value(text, 'beacon_latency_seconds{metric="m",quantile="0.5"}')).toBe(0.002);
      expect(value(text, 'beacon_shared_state_backend{backend="redis"}')).toBe(1);
      expect(value(text, 'beacon_shared_log_connected{log="latency"}')).toBe(1);
      // Per-process figures add up: two processes' memory, a start time that is one of theirs.
      expect(value(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      const started = value(text, 'process_start_time_seconds')!;
      expect(started).toBeGreaterThan(Date.now() / 1000 - 600);
      expect(started).toBeLessThanOrEqual(Date.now() / 1000);
      expect(text.match(/^process_start_time_seconds /gm)).toHaveLength(1);
    }
    if (existsSync(PROMTOOL)) {
      const check = spawnSync(PROMTOOL, ['check', 'metrics'], {
        input: await scrape(),
        encoding: 'utf8',
      });
      expect({ status: check.status, output: check.stdout + check.stderr }).toEqual({
        status: 0,
        output: '',
      });
    }
  }, 60_000);

  it('replaces workers that all die at once, and the primary stays up meanwhile', async () => {
    const workers = spawnSync('pgrep', ['-P', String(cluster.child.pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l.trim() !== '')
      .map(Number);
    expect(workers).toHaveLength(2);
    for (const pid of workers) process.kill(pid, 'SIGKILL');
    const listening = () => cluster.logs.filter((l) => l.msg.startsWith('Beacon listening on '));
    const before = listening().length;
    const restarts = () => cluster.logs.filter((l) => /^worker \d exited/.test(l.msg)).length;
    await eventually(() => restarts() === 2, 20_000);
    // While no worker runs, the restart timers alone hold the primary: it must not exit,
    // and two new workers serve (PORT=0: on the port the cluster binds anew).
    await eventually(() => listening().length === before + 2, 30_000);
    expect(cluster.child.exitCode).toBeNull();
    const url = /on (http:\/\/[^ ]+)/.exec(listening()[before + 1].msg)![1];
    const live = await fetch(new URL('/health/live', url));
    expect(live.status).toBe(200);
  }, 60_000);
});
