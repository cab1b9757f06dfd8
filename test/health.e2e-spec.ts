import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { RequestCounterService } from '../src/request-counter/request-counter.service';
import { rawRequest } from './client/beacon-client';
import { eventually } from './helpers/eventually';
import { FakeClock } from './helpers/fake-clock';
import { freshSchema } from './helpers/postgres';
import { TcpProxy } from './helpers/tcp-proxy';
import { tempDir } from './helpers/temp-dir';
import { startTestApp, TestApp } from './helpers/test-app';

interface Report {
  status: 'ok' | 'error';
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string; problems?: string[]; unreachable?: string[] }>;
}

/** Each module going down, one at a time, by making what it depends on fail for real. */
describe('health (e2e)', () => {
  let t: TestApp | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  const health = async (path = '/health') => {
    const res = await rawRequest(t!.baseUrl, 'GET', path);
    return { status: res.status, body: res.json<Report>() };
  };
  const message = { 'content-type': 'application/json' };

  it('reports every module up, is live and ready, when nothing fails', async () => {
    t = await startTestApp();
    const full = await health();
    expect(full.status).toBe(200);
    expect(Object.keys(full.body.info!).sort()).toEqual(
      [
        'apiMetrics',
        'latency',
        'requestCounter',
        'rockets',
        'sharedState',
        'streamAnalysis',
      ].sort(),
    );
    expect(Object.values(full.body.info!).every((m) => m.status === 'up')).toBe(true);
    expect(await health('/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await health('/health/ready')).status).toBe(200);
  });

  it('latency: down (but ready) while new metrics are refused at LATENCY_MAX_METRICS', async () => {
    t = await startTestApp({ LATENCY_MAX_METRICS: '1' });
    expect((await health()).status).toBe(200);
    await fetch(`${t.baseUrl}/metrics/only/latency`, {
      method: 'POST',
      headers: message,
      body: '{"latency_ns": 5}',
    });
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.error!.latency.problems).toEqual([
      '1 metrics, the LATENCY_MAX_METRICS limit: new metrics get 409',
    ]);
    expect((await health('/health/ready')).status).toBe(200);
    expect((await health('/health/live')).status).toBe(200);
  });

  it('rockets: down (but ready) while messages for new rockets are refused', async () => {
    t = await startTestApp({ ROCKETS_MAX_CHANNELS: '1' });
    const send = (channel: string) =>
      fetch(`${t!.baseUrl}/messages`, {
        method: 'POST',
        headers: message,
        body: JSON.stringify({
          metadata: {
            channel,
            messageNumber: 1,
            messageTime: '2022-02-02T19:39:05.86337+01:00',
            messageType: 'RocketLaunched',
          },
          message: { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' },
        }),
      });
    expect((await send('a')).status).toBe(202);
    expect((await send('b')).status).toBe(503);
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.error!.rockets).toMatchObject({ status: 'down', atLimit: true });
    expect((await health('/health/ready')).status).toBe(200);
  });

  it('request counter: down while DATA_DIR cannot be written, up once it can', async () => {
    const dir = tempDir('beacon-health-');
    const clock = new FakeClock();
    t = await startTestApp({ DATA_DIR: dir }, { clock });
    const counter = t.app.get(RequestCounterService);
    rmSync(dir, { recursive: true, force: true }); // the disk "goes away"
    // Appends to the unlinked file still succeed; a window later the flush rewrites the file
    // whole, and that fails.
    await fetch(`${t.baseUrl}/counter`);
    await counter.flush();
    clock.advance(60_000);
    await fetch(`${t.baseUrl}/counter`);
    await counter.flush();
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.error!.requestCounter.problems![0]).toMatch(/request counter .* failed/);
    expect((await health('/health/ready')).status).toBe(200);
    mkdirSync(dir);
    await counter.flush();
    expect((await health()).status).toBe(200);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stream analysis: down (but ready) while the upstream stream cannot be reached', async () => {
    const closed = await closedPort();
    t = await startTestApp({ STREAM_ENABLED: 'true', STREAM_URL: `http://127.0.0.1:${closed}/` });
    await eventually(async () => (await health()).status === 503);
    const down = await health();
    expect(down.body.error!.streamAnalysis.problems![0]).toMatch(/^upstream stream unreachable: /);
    expect((await health('/health/ready')).status).toBe(200);
  });

  it('api-metrics: down and not ready while the database does not answer; back when it does', async () => {
    const schema = await freshSchema('beacon_health');
    const url = new URL(schema.url);
    const proxy = new TcpProxy(url.hostname, Number(url.port));
    await proxy.up();
    url.port = String(proxy.port);
    try {
      t = await startTestApp({ API_METRICS_ENABLED: 'true', DATABASE_URL: url.toString() });
      expect((await health('/health/ready')).status).toBe(200);
      await proxy.down();
      const notReady = await health('/health/ready');
      expect(notReady.status).toBe(503);
      expect(Object.keys(notReady.body.error!)).toEqual(['apiMetrics']);
      expect(notReady.body.error!.apiMetrics.unreachable![0]).toMatch(/^database: /);
      const full = await health();
      expect(full.status).toBe(503);
      expect(full.body.error!.apiMetrics).toMatchObject({ status: 'down', database: 'down' });
      expect((await health('/health/live')).status).toBe(200);
      await proxy.up();
      expect((await health('/health/ready')).status).toBe(200);
      expect((await health()).status).toBe(200);
    } finally {
      await t?.close();
      t = null;
      await proxy.down();
      await schema.drop();
    }
  });
});

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
