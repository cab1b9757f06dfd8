import { rmSync } from 'node:fs';
import { tempDir } from './helpers/temp-dir';
import { createSocket } from 'node:dgram';
import { ApiMetricsService } from '../src/api-metrics/api-metrics.service';
import { WriteQueue } from '../src/api-metrics/write-queue';
import { LiveFeed } from '../src/api-metrics/live-feed';
import { DatagramType, encodeMetricsData } from '../src/api-metrics/metrics-datagram';
import { MetricsUdpListener } from '../src/api-metrics/metrics-udp.listener';
import { FakeClock } from './helpers/fake-clock';
import { nearestRankIndex } from '../src/common/percentile';
import { StatsdListener } from '../src/latency/statsd.listener';
import { rawRequest } from './client/beacon-client';
import { freshSchema, TestSchema } from './helpers/postgres';
import { TcpProxy } from './helpers/tcp-proxy';
import { startTestApp, TestApp } from './helpers/test-app';
import { eventually } from './helpers/eventually';
import { udpSender } from './helpers/udp';
import { LiveClient, stalledClient } from './helpers/ws-client';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 30);
const SEC = Math.floor(NOW / 1000);

interface Sent {
  route: string;
  methodByte: number;
  statusCode: number;
  responseTimeMs: number;
  timestamp: number;
}

const datagram = (seq: number, s: Sent) =>
  encodeMetricsData({ sequence: seq, timestamp: s.timestamp }, s);

interface Engine {
  env: Record<string, string>;
  /** Only the server engine can be cut off from Beacon. */
  proxy?: TcpProxy;
  cleanup: () => Promise<void>;
}

const engines: [string, () => Promise<Engine>][] = [
  [
    'the embedded PostgreSQL',
    async () => {
      const dir = tempDir('beacon-e2e-');
      return {
        env: { DATA_DIR: dir },
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const schema: TestSchema = await freshSchema('beacon_e2e');
      const url = new URL(schema.url);
      const proxy = new TcpProxy(url.hostname, Number(url.port));
      await proxy.up();
      url.port = String(proxy.port);
      return {
        env: { DATABASE_URL: url.toString() },
        proxy,
        cleanup: async () => {
          await proxy.down();
          await schema.drop();
        },
      };
    },
  ],
];

describe.each(engines)('api-metrics on %s (e2e)', (engineName, makeEngine) => {
  let engine: Engine;
  let t: TestApp | null = null;
  let clock: FakeClock;
  let sender: Awaited<ReturnType<typeof udpSender>>;

  const start = async (env: Record<string, string> = {}) => {
    clock = new FakeClock(NOW);
    t = await startTestApp({ API_METRICS_ENABLED: 'true', ...engine.env, ...env }, { clock });
    return t;
  };
  const app = () => t!;
  const service = () => app().app.get(ApiMetricsService);
  const queue = () => app().app.get(WriteQueue);
  const udpPort = () => app().app.get(MetricsUdpListener).port as number;
  const received = () => app().app.get(MetricsUdpListener).stats().datagrams;
  const sendAll = async (bufs: Buffer[]) => {
    const before = received();
    for (const b of bufs) await sender.send(b, udpPort());
    await eventually(() => received() >= before + bufs.length);
  };

  beforeAll(async () => {
    sender = await udpSender();
  });
  afterAll(() => sender.close());
  // A fresh database per test: a new embedded cluster, or a new schema on the server.
  beforeEach(async () => {
    engine = await makeEngine();
  }, 60_000);
  afterEach(async () => {
    await t?.close();
    t = null;
    await engine.cleanup();
  });

  it('takes datagrams to rows, every query, /metrics and the WebSocket stream', async () => {
    const t = await start();
    const all = await LiveClient.open(t.baseUrl);
    const onlyB = await LiveClient.open(t.baseUrl, '?route=%2Fb');
    const sent: Sent[] = [];
    for (let i = 0; i < 40; i++) {
      sent.push({
        route: i % 4 === 0 ? '/b' : '/a',
        methodByte: i % 4 === 0 ? 2 : 1,
        statusCode: i % 5 === 0 ? 500 : 200,
        responseTimeMs: (i * 7.25) % 101,
        // Four records per second: the seed's key kept one of each four.
        timestamp: SEC - 20 + Math.floor(i / 4),
      });
    }
    const bufs = sent.map((s, i) => datagram(i + 1, s));
    // A duplicate (at-least-once delivery), then a gap of one, then a malformed datagram.
    bufs.push(datagram(40, sent[39]));
    bufs.push(
      datagram(42, {
        route: '/a',
        methodByte: 1,
        statusCode: 201,
        responseTimeMs: 500,
        timestamp: SEC - 1,
      }),
    );
    bufs.push(Buffer.from([1, 3, 0]));
    sent.push({
      route: '/a',
      methodByte: 1,
      statusCode: 201,
      responseTimeMs: 500,
      timestamp: SEC - 1,
    });
    await sendAll(bufs);
    expect(await queue().flush()).toBe(41);

    // GET /api-metrics: every record, grouped, ordered by route, method, time.
    const { data: recent } = await t.client.GET('/api-metrics', {
      params: { query: { minutes: 1 } },
    });
    const expectGroup = (route: string, method: string) => {
      const mine = sent.filter(
        (s) => s.route === route && (s.methodByte === 1 ? 'GET' : 'POST') === method,
      );
      return {
        route,
        method,
        timestamps: mine.map((s) => new Date(s.timestamp * 1000).toISOString()),
        responses: mine.map((s) => ({ time: s.responseTimeMs, status: s.statusCode })),
      };
    };
    expect(recent!.truncated).toBe(false);
    // Records of one second share a timestamp; their order in the answer is not defined.
    const normalise = (g: ReturnType<typeof expectGroup>) => {
      const pairs = g.timestamps.map((ts, i) => [ts, g.responses[i]] as const);
      pairs.sort(([a, x], [b, y]) => a.localeCompare(b) || x.time - y.time);
      return { ...g, timestamps: pairs.map(([ts]) => ts), responses: pairs.map(([, r]) => r) };
    };
    expect(recent!.metrics.map(normalise)).toEqual([
      normalise(expectGroup('/a', 'GET')),
      normalise(expectGroup('/b', 'POST')),
    ]);

    // GET /api-metrics/series: one column per second, slowest per second, -1 elsewhere.
    const { data: series } = await t.client.GET('/api-metrics/series', {
      params: { query: { minutes: 1 } },
    });
    expect(series!.timestamps).toHaveLength(60);
    expect(series!.timestamps.at(-1)).toBe(new Date(SEC * 1000).toISOString());
    const col = (ts: number) => ts - (SEC - 59);
    for (const [label, route, method] of [
      ['GET - /a', '/a', 1],
      ['POST - /b', '/b', 2],
    ] as const) {
      const m = series!.metrics.find((x) => x.route === label)!;
      const expected = new Array<number>(60).fill(-1);
      const status = new Array<number>(60).fill(-1);
      for (const s of sent.filter((x) => x.route === route && x.methodByte === method)) {
        if (s.responseTimeMs > expected[col(s.timestamp)]) {
          expected[col(s.timestamp)] = s.responseTimeMs;
          status[col(s.timestamp)] = s.statusCode;
        }
      }
      expect(m.responseTime).toEqual(expected);
      expect(m.responseStatus).toEqual(status);
    }
    expect(series!.metrics.map((m) => m.route)).toEqual(['GET - /a', 'POST - /b']);

    // GET /api-metrics/percentiles: nearest rank, same as the shared definition.
    const times = sent
      .filter((s) => s.route === '/a')
      .map((s) => s.responseTimeMs)
      .sort((a, b) => a - b);
    const { data: pct } = await t.client.GET('/api-metrics/percentiles', {
      params: { query: { minutes: 5, route: '/a', method: 'GET' } },
    });
    expect(pct).toEqual({
      count: times.length,
      p50: times[nearestRankIndex(50, times.length)],
      p95: times[nearestRankIndex(95, times.length)],
      p99: times[nearestRankIndex(99, times.length)],
    });

    // The latency module got every record as "<METHOD> <route>".
    const { data: lat } = await t.client.GET('/metrics/{id}', {
      params: { path: { id: 'POST /b' } },
    });
    expect(lat!.Count).toBe(10);
    expect(lat!.P99).toBe(
      Math.max(...sent.filter((s) => s.route === '/b').map((s) => s.responseTimeMs)) * 1e6,
    );

    // Live: everything to the unfiltered client, only /b to the filtered one.
    await eventually(() => all.records.length === 41 && onlyB.records.length === 10);
    expect(all.records.find((r) => r.time === 500)).toEqual({
      route: '/a',
      method: 'GET',
      timestamp: new Date((SEC - 1) * 1000).toISOString(),
      time: 500,
      status: 201,
    });
    expect(onlyB.records.every((r) => r.route === '/b')).toBe(true);

    // Loss and duplicates seen through the health report.
    const { data: health } = await t.client.GET('/health');
    expect(health!.info!.apiMetrics).toMatchObject({
      status: 'up',
      engine: engineName === 'PostgreSQL' ? 'postgresql' : 'embedded',
      database: 'up',
      written: 41,
      udp: { records: 41, malformed: { 'too-short': 1 }, sequence: { lost: 1, duplicates: 1 } },
      websocket: { clients: 2 },
    });
    all.close();
    onlyB.close();
  }, 60_000);

  it('answers 400 for bad query parameters and a clear close for a bad WebSocket filter', async () => {
    const t = await start();
    for (const query of ['minutes=0', 'minutes=1441', 'minutes=ten', 'minutes=1.5', 'colour=red']) {
      const res = await rawRequest(t.baseUrl, 'GET', `/api-metrics?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
    }
    for (const query of ['method=FETCH', `route=${'x'.repeat(1025)}`, 'route=']) {
      const res = await rawRequest(t.baseUrl, 'GET', `/api-metrics/percentiles?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
    }
    const bad = await LiveClient.open(t.baseUrl, '?colour=red');
    await eventually(() => bad.closeCode !== null);
    expect(bad.closeCode).toBe(1008);
    expect(bad.closeReason).toContain("unknown query parameter 'colour'");
  });

  it('drops records outside the retention or from the future, counting them', async () => {
    await start({ API_METRICS_RETENTION: '1h' });
    const r = { route: '/old', methodByte: 1, statusCode: 200, responseTimeMs: 1 };
    await sendAll([
      datagram(1, { ...r, timestamp: SEC - 3601 }),
      datagram(2, { ...r, timestamp: SEC + 7200 }),
      datagram(3, { ...r, timestamp: NOW }), // milliseconds, read by magnitude
    ]);
    await queue().flush();
    expect(service().stats()).toMatchObject({ outOfRange: 2, written: 1 });
  });

  it('writes everything queued at shutdown, and keeps it across a restart', async () => {
    await start();
    const bufs = Array.from({ length: 300 }, (_, i) =>
      datagram(i + 1, {
        route: '/shutdown',
        methodByte: 3,
        statusCode: 204,
        responseTimeMs: i,
        timestamp: SEC - 5,
      }),
    );
    await sendAll(bufs);
    expect(service().stats().queued).toBe(300);
    await app().close();
    const t = await start();
    const { data } = await t.client.GET('/api-metrics/percentiles', {
      params: { query: { route: '/shutdown', minutes: 1 } },
    });
    expect(data!.count).toBe(300);
  }, 60_000);

  if (engineName === 'PostgreSQL') {
    it('queues while the database is down, keeps what fits, and drains when it returns', async () => {
      const t = await start({ API_METRICS_QUEUE_MAX: '250', API_METRICS_BATCH_MAX: '100' });
      const r = (i: number) =>
        datagram(i, {
          route: '/outage',
          methodByte: 1,
          statusCode: 200,
          responseTimeMs: i,
          timestamp: SEC - 2,
        });
      await sendAll(Array.from({ length: 50 }, (_, i) => r(i + 1)));
      expect(await queue().flush()).toBe(50);

      await engine.proxy!.down();
      await sendAll(Array.from({ length: 300 }, (_, i) => r(i + 51)));
      expect(await queue().flush()).toBe(0);
      expect(service().stats()).toMatchObject({
        database: 'down',
        queued: 250,
        droppedQueueFull: 50,
      });
      const report = JSON.parse((await rawRequest(t.baseUrl, 'GET', '/health')).text) as {
        details: { apiMetrics: { atLimit: boolean } };
      };
      expect(report.details.apiMetrics.atLimit).toBe(true);
      const during = await rawRequest(t.baseUrl, 'GET', '/api-metrics/percentiles');
      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).toBe('5');
      // Backing off: no attempt until the clock passes the next try.
      expect(await queue().flush()).toBe(0);

      await engine.proxy!.up();
      clock.advance(60_000);
      expect(await queue().flush()).toBe(250);
      expect(service().stats()).toMatchObject({ database: 'up', queued: 0, written: 300 });
      const { data } = await t.client.GET('/api-metrics/percentiles', {
        params: { query: { route: '/outage', minutes: 5 } },
      });
      // The 50 written before, and the first 250 queued during the outage; each once.
      expect(data!.count).toBe(300);
      const { data: rows } = await t.client.GET('/api-metrics', {
        params: { query: { minutes: 5 } },
      });
      const times = rows!.metrics[0].responses.map((x) => x.time).sort((a, b) => a - b);
      expect(times).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    }, 60_000);

    it('starts while the database is down and writes once it is reachable', async () => {
      await engine.proxy!.down();
      await start();
      await sendAll([
        datagram(1, {
          route: '/late',
          methodByte: 1,
          statusCode: 200,
          responseTimeMs: 1,
          timestamp: SEC,
        }),
      ]);
      expect(await queue().flush()).toBe(0);
      await engine.proxy!.up();
      clock.advance(60_000);
      expect(await queue().flush()).toBe(1);
    }, 60_000);
  }
});

describe('api-metrics live stream under a slow client (e2e)', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('keeps a fast client whole while a client that never reads loses records and is closed', async () => {
    const clock = new FakeClock(NOW);
    t = await startTestApp(
      { API_METRICS_ENABLED: 'true', WS_MAX_BUFFERED_BYTES: '1024', WS_MAX_LAG_MS: '1000' },
      { clock },
    );
    const fast = await LiveClient.open(t.baseUrl);
    const slow = await stalledClient(t.baseUrl);
    const listener = t.app.get(MetricsUdpListener);
    const sender = await udpSender();
    const route = '/' + 'r'.repeat(1000);
    let seq = 0;
    // ~1.1 KB per record: enough to fill the stalled client's kernel buffers many times over.
    for (let round = 0; round < 20; round++) {
      const before = listener.stats().datagrams;
      for (let i = 0; i < 500; i++) {
        await sender.send(
          encodeMetricsData(
            { sequence: ++seq, timestamp: SEC },
            { route, methodByte: 1, statusCode: 200, responseTimeMs: seq },
          ),
          listener.port as number,
        );
      }
      await eventually(() => listener.stats().datagrams === before + 500);
      // The round's tick has run once the fast client has the round's records (both clients
      // are in one group, served in one tick): the stalled one's losses are timed at this
      // round's clock. The feed measures lag on the injected clock: 200 ms of it per round,
      // so the stalled client has been losing records for longer than WS_MAX_LAG_MS well
      // before the end.
      await eventually(() => fast.records.length === seq);
      clock.advance(200);
    }
    await eventually(() => fast.records.length === 10_000, 20_000);
    expect(fast.records.map((r) => r.time)).toEqual(
      Array.from({ length: 10_000 }, (_, i) => i + 1),
    );
    const stats = t.app.get(LiveFeed).stats();
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.closedSlow).toBe(1);
    expect(fast.notices).toEqual([]);
    sender.close();
    slow.destroy();
    fast.close();
  }, 60_000);
});

describe('StatsD timers (e2e)', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('records timers as latency samples and counts what it does not aggregate', async () => {
    t = await startTestApp({ STATSD_ENABLED: 'true' });
    const statsd = t.app.get(StatsdListener);
    const sender = await udpSender();
    const lines = Array.from({ length: 50 }, (_, i) => `checkout:${i + 1}|ms|@0.5`);
    await sender.send(
      [...lines, 'hits:1|c', 'users:u1|s', 'bad line'].join('\n'),
      statsd.port as number,
    );
    await sender.send('checkout:51|h\ncheckout:52|d', statsd.port as number);
    await eventually(() => statsd.stats().datagrams === 2 && statsd.stats().samples === 52);
    const { data } = await t.client.GET('/metrics/{id}', { params: { path: { id: 'checkout' } } });
    expect(data).toMatchObject({ Count: 52, P50: 26e6, P95: 50e6, P99: 52e6 });
    expect(statsd.stats()).toMatchObject({ unsupported: { counter: 1, set: 1 }, malformed: 1 });
    sender.close();
  });

  it('DogStatsD and Telegraf tags name one metric; untagged stays apart', async () => {
    t = await startTestApp({ STATSD_ENABLED: 'true' });
    const statsd = t.app.get(StatsdListener);
    const sender = await udpSender();
    // hot-shots (DogStatsD) and Telegraf spell the same tagged timer differently.
    await sender.send('api:10|ms|#region:eu,env:prod\napi:20|ms', statsd.port as number);
    await sender.send('api,env=prod,region=eu:30|ms', statsd.port as number);
    await eventually(() => statsd.stats().samples === 3);
    const tagged = await t.client.GET('/metrics/{id}', {
      params: { path: { id: 'api{env=prod,region=eu}' } },
    });
    expect(tagged.data).toMatchObject({ Count: 2, P50: 10e6, P99: 30e6 });
    const plain = await t.client.GET('/metrics/{id}', { params: { path: { id: 'api' } } });
    expect(plain.data).toMatchObject({ Count: 1, P50: 20e6 });
    sender.close();
  });
});

describe('upstream mode: Beacon dials a seed-style server (e2e)', () => {
  let t: TestApp;
  let closeServer = () => {};
  afterEach(async () => {
    await t.close();
    closeServer();
  });

  it('sends ConnectionInit, then HeartBeats, and ingests what the server streams back', async () => {
    const server = createSocket('udp4');
    closeServer = () => server.close();
    const seen: DatagramType[] = [];
    let client: { address: string; port: number } | null = null;
    server.on('message', (msg, rinfo) => {
      seen.push(msg[1]);
      client = { address: rinfo.address, port: rinfo.port };
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const { port } = server.address();
    const clock = new FakeClock(NOW);
    t = await startTestApp(
      {
        API_METRICS_ENABLED: 'true',
        METRICS_UPSTREAM: `127.0.0.1:${port}`,
        METRICS_HEARTBEAT_S: '1',
      },
      { clock },
    );
    await eventually(() => seen[0] === DatagramType.ConnectionInit);
    for (let i = 1; i <= 5; i++) {
      server.send(
        encodeMetricsData(
          { sequence: i, timestamp: SEC },
          { route: '/upstream', methodByte: 1, statusCode: 200, responseTimeMs: i },
        ),
        client!.port,
        client!.address,
      );
    }
    const listener = t.app.get(MetricsUdpListener);
    await eventually(() => listener.stats().records === 5);
    // Once the server has been heard from, beats are HeartBeats (until then ConnectionInits).
    await eventually(() => seen.includes(DatagramType.HeartBeat), 5000);
    const inits = listener.stats().upstream!.initsSent;
    await eventually(
      () => seen.filter((type) => type === DatagramType.HeartBeat).length >= 2,
      5000,
    );
    expect(listener.stats().upstream!.initsSent).toBe(inits);
    expect(await t.app.get(WriteQueue).flush()).toBe(5);
  }, 30_000);
});
