import { WebSocket } from 'ws';
import { Compat002Server } from '../src/api-metrics/compat-002.server';
import { encodeMetricsData } from '../src/api-metrics/metrics-datagram';
import { MetricsUdpListener } from '../src/api-metrics/metrics-udp.listener';
import { WriteQueue } from '../src/api-metrics/write-queue';
import { eventually } from './helpers/eventually';
import { FakeClock } from './helpers/fake-clock';
import { startTestApp, TestApp } from './helpers/test-app';
import { udpSender } from './helpers/udp';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 30, 400);
const SEC = Math.floor(NOW / 1000);
const RFC3339_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Every message a WebSocket receives, parsed, kept apart (so an array would show). */
async function listen(url: string, origin?: string) {
  const ws = new WebSocket(url, origin ? { origin } : {});
  const messages: unknown[] = [];
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString())));
  const opened = await new Promise<number | 'open'>((resolve) => {
    ws.once('open', () => resolve('open'));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => undefined);
  });
  return { ws, messages, opened };
}

/**
 * COMPAT_002_PORT: the seed-002 server's API on a second port, exactly as its React
 * dashboard reads it; and the `?batch=false` and Origin rules of Beacon's own `/ws`.
 */
describe('seed-002 compatibility listener (e2e)', () => {
  let t: TestApp;
  let compat: string;
  const clock = new FakeClock(NOW);
  const send = async (records: { route: string; method: number; ms: number; at: number }[]) => {
    const sender = await udpSender();
    const port = t.app.get(MetricsUdpListener).port as number;
    const before = t.app.get(MetricsUdpListener).stats().datagrams;
    let seq = 0;
    for (const r of records) {
      await sender.send(
        encodeMetricsData(
          { sequence: ++seq, timestamp: r.at },
          { route: r.route, methodByte: r.method, statusCode: 200, responseTimeMs: r.ms },
        ),
        port,
      );
    }
    await eventually(
      () => t.app.get(MetricsUdpListener).stats().datagrams === before + records.length,
    );
    sender.close();
  };

  beforeAll(async () => {
    t = await startTestApp(
      { API_METRICS_ENABLED: 'true', COMPAT_002_PORT: '0', CORS_ORIGINS: 'http://allowed.test' },
      { clock },
    );
    compat = `http://127.0.0.1:${t.app.get(Compat002Server).port}`;
  }, 60_000);
  afterAll(() => t.close());

  it('GET /metrics: 601 timestamps to the second, one series per "METHOD - route", -1 where none', async () => {
    await send([
      { route: '/health', method: 1, ms: 48.88, at: SEC - 5 },
      { route: '/health', method: 1, ms: 12.5, at: SEC - 5 },
      { route: '/api/cart', method: 2, ms: 80, at: SEC - 600 },
    ]);
    await t.app.get(WriteQueue).flush();
    const res = await fetch(`${compat}/metrics`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      timestamps: string[];
      metrics: { route: string; responseTime: number[]; responseStatus: number[] }[];
    };
    expect(Object.keys(body).sort()).toEqual(['metrics', 'timestamps']);
    expect(body.timestamps).toHaveLength(601);
    expect(body.timestamps.every((s) => RFC3339_SECONDS.test(s))).toBe(true);
    expect(body.timestamps[0]).toBe(
      new Date((SEC - 600) * 1000).toISOString().replace('.000Z', 'Z'),
    );
    expect(body.timestamps[600]).toBe(new Date(SEC * 1000).toISOString().replace('.000Z', 'Z'));
    expect(body.metrics.map((m) => m.route)).toEqual(['POST - /api/cart', 'GET - /health']);
    const health = body.metrics[1];
    expect(health.responseTime).toHaveLength(601);
    expect(health.responseTime[595]).toBe(48.88); // the slowest of its second
    expect(health.responseStatus[595]).toBe(200);
    expect(health.responseTime.filter((v) => v !== -1)).toEqual([48.88]);
    expect(body.metrics[0].responseTime[0]).toBe(80);
  });

  it('/ws: a burst of 50 records arrives as 50 single objects in the seed shape', async () => {
    const client = await listen(`${compat.replace('http', 'ws')}/ws`);
    expect(client.opened).toBe('open');
    await send(
      Array.from({ length: 50 }, (_, i) => ({ route: '/burst', method: 1, ms: i + 1, at: SEC })),
    );
    await eventually(() => client.messages.length === 50);
    expect(client.messages.every((m) => !Array.isArray(m))).toBe(true);
    expect(client.messages[0]).toEqual({
      route: 'GET - /burst',
      method: '',
      timestamp: new Date(SEC * 1000).toISOString().replace('.000Z', 'Z'),
      time: 1,
      status: 200,
    });
    expect((client.messages as { time: number }[]).map((m) => m.time)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    client.ws.close();
  });

  it('CORS for the dashboard origins (localhost:3000 and 127.0.0.1:3000 by default), none for others', async () => {
    // The dashboard's dev server is opened as either name; both are its origin by default.
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:3000']) {
      const preflight = await fetch(`${compat}/metrics`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
      expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
      const allowed = await fetch(`${compat}/metrics`, { headers: { origin } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
      const ok = await listen(`${compat.replace('http', 'ws')}/ws`, origin);
      expect(ok.opened).toBe('open');
      ok.ws.close();
    }
    const foreign = await fetch(`${compat}/metrics`, { headers: { origin: 'http://evil.test' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    for (const origin of ['http://evil.test', 'http://127.0.0.1:3001', 'http://localhost']) {
      expect((await listen(`${compat.replace('http', 'ws')}/ws`, origin)).opened).toBe(403);
    }
    expect((await fetch(`${compat}/nothing`)).status).toBe(404);
  });

  it('refuses a Host outside ALLOWED_HOSTS, HTTP and WebSocket alike', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${compat}/metrics`, { headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    const ws = new WebSocket(`${compat.replace('http', 'ws')}/ws`, {
      headers: { host: 'evil.example' },
      origin: 'http://localhost:3000',
    });
    const refused = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => undefined);
    });
    ws.terminate();
    expect(refused).toBe(403);
  });

  it("Beacon's /ws: ?batch=false sends one object per message; CORS_ORIGINS checks Origin", async () => {
    const ws = `${t.baseUrl.replace('http', 'ws')}/ws`;
    const single = await listen(`${ws}?batch=false`);
    const batched = await listen(ws);
    await send(
      Array.from({ length: 30 }, (_, i) => ({ route: '/b', method: 1, ms: i + 1, at: SEC })),
    );
    await eventually(() => single.messages.length === 30);
    expect(single.messages.every((m) => !Array.isArray(m))).toBe(true);
    await eventually(() => batched.messages.flat().length === 30);
    // A burst within one tick comes as arrays on the batched client.
    expect(batched.messages.length).toBeLessThan(30);
    single.ws.close();
    batched.ws.close();
    expect((await listen(ws, 'http://evil.test')).opened).toBe(403);
    const allowed = await listen(ws, 'http://allowed.test');
    expect(allowed.opened).toBe('open');
    allowed.ws.close();
  });
});
