import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt } from './helpers/build';
import { eventually } from './helpers/eventually';
import { requestOnce } from './helpers/http-once';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from './helpers/otlp-receiver';
import { TestSchema, freshSchema } from './helpers/postgres';
import { dropPrefix, testRedisUrl, uniquePrefix } from './helpers/redis';
import { ServerProcess, startServerProcess } from './helpers/server-process';
import { tempDir } from './helpers/temp-dir';

const SERVER = 2;
const HTTP_SCOPE = '@opentelemetry/instrumentation-http';
const PRELOAD = join(__dirname, 'fixtures', 'report-loaded-modules.js');

/**
 * OpenTelemetry tracing as an operator turns it on: a real Beacon process (the build
 * `npm start` runs) exporting over OTLP/HTTP (JSON) to a receiver the test runs, with the
 * machine's PostgreSQL behind api-metrics and the test Redis behind the shared state.
 */
describe('tracing: spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (e2e)', () => {
  jest.setTimeout(120_000);
  let receiver: OtlpReceiver;
  let dir: string;
  let servers: ServerProcess[] = [];
  beforeAll(() => ensureBuilt());
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    dir = tempDir('beacon-tracing-');
  });
  afterEach(async () => {
    for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    servers = [];
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string>) => {
    const server = await startServerProcess({ DATA_DIR: dir, ...env }, { built: true });
    servers.push(server);
    return server;
  };
  /** What a deployment sets, plus JSON so the receiver can read it, exported every 50 ms. */
  const tracingTo = (r: OtlpReceiver) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: r.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });
  const stop = async (server: ServerProcess) => {
    server.child.kill('SIGTERM');
    return server.exited;
  };
  const serverSpan = (name: string) =>
    receiver.spans.find((s) => s.scope === HTTP_SCOPE && s.kind === SERVER && s.name === name);
  const childrenOf = (parent: ReceivedSpan) =>
    receiver.spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);
  /** One single-sample POST to `metric`: its status. */
  const postSample = async (server: ServerProcess, metric: string, ns = 10) =>
    (
      await requestOnce(
        server.baseUrl,
        'POST',
        `/metrics/${metric}/latency`,
        JSON.stringify({ latency_ns: ns }),
      )
    ).status;
  const loadedOtelModules = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as string[];

  describe('with PostgreSQL and Redis', () => {
    let schema: TestSchema;
    const prefix = uniquePrefix('tracing');
    beforeAll(async () => {
      schema = await freshSchema('tracing');
    });
    afterAll(async () => {
      await schema?.drop();
      await dropPrefix(prefix);
    });

    it('exports a span per request named by its route, with the Redis and PostgreSQL spans it caused in its trace', async () => {
      const beacon = await start({
        ...tracingTo(receiver),
        STATE_BACKEND: 'redis',
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        API_METRICS_ENABLED: 'true',
        DATABASE_URL: schema.url,
      });
      expect(await postSample(beacon, 'traced', 1500)).toBe(202);
      expect(
        (await requestOnce(beacon.baseUrl, 'GET', '/api-metrics/percentiles?minutes=5')).status,
      ).toBe(200);
      expect((await requestOnce(beacon.baseUrl, 'GET', '/no-such-route')).status).toBe(404);

      await eventually(
        () =>
          serverSpan('POST /metrics/:id/latency') !== undefined &&
          serverSpan('GET /api-metrics/percentiles') !== undefined &&
          serverSpan('GET') !== undefined,
      );
      // The write: its server span, and the Redis append it waited for, one trace.
      const write = serverSpan('POST /metrics/:id/latency')!;
      expect(Object.fromEntries(write.attributes)).toMatchObject({
        'http.route': '/metrics/:id/latency',
        'http.request.method': 'POST',
        'url.path': '/metrics/traced/latency',
        'http.response.status_code': 202,
      });
      expect(write.parentSpanId).toBe('');
      expect(Object.fromEntries(write.resource)).toMatchObject({
        'service.name': 'beacon',
        'process.pid': beacon.child.pid,
      });
      await eventually(() => childrenOf(write).some((s) => s.name === 'xadd'));
      const append = childrenOf(write).find((s) => s.name === 'xadd')!;
      expect(append.attributes.get('db.system.name')).toBe('redis');
      expect(append.scope).toBe('@opentelemetry/instrumentation-ioredis');
      expect(append.attributes.get('db.query.text')).toContain(`${prefix}:{latency}:log`);

      // The read from PostgreSQL: its query in the request's trace.
      const read = serverSpan('GET /api-metrics/percentiles')!;
      expect(read.attributes.get('http.route')).toBe('/api-metrics/percentiles');
      const queryOf = () =>
        childrenOf(read).find(
          (s) =>
            s.attributes.get('db.system.name') === 'postgresql' && s.name.startsWith('pg.query'),
        );
      await eventually(() => queryOf() !== undefined);
      const query = queryOf()!;
      expect(query.scope).toBe('@opentelemetry/instrumentation-pg');
      expect(query.name).toMatch(/^pg\.query:SELECT/);
      expect(query.attributes.get('db.query.text')).toContain('percentile_disc');

      // A path no route matched is named by its method alone: no template to give.
      const unknown = serverSpan('GET')!;
      expect(unknown.attributes.get('http.route')).toBeUndefined();
      expect(unknown.attributes.get('http.response.status_code')).toBe(404);

      // Nothing from the log tailers or the jobs on their own: every Redis and PostgreSQL
      // span has a parent.
      const db = receiver.spans.filter((s) => s.attributes.has('db.system.name'));
      expect(db.filter((s) => s.parentSpanId === '')).toEqual([]);
      expect(await stop(beacon)).toBe(0);
    });

    it('traces in every cluster worker (WORKERS=2), not in the primary', async () => {
      const cluster = await start({
        ...tracingTo(receiver),
        WORKERS: '2',
        STATE_BACKEND: 'redis',
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
      });
      // One connection per request: node:cluster hands connections to the workers in turn.
      for (let i = 0; i < 10; i++) {
        const res = await requestOnce(cluster.baseUrl, 'GET', '/metrics/traced');
        expect(res.status).toBeLessThan(500);
      }
      const pids = () =>
        new Set(
          receiver.spans
            .filter((s) => s.name === 'GET /metrics/:id')
            .map((s) => s.resource.get('process.pid')),
        );
      await eventually(() => pids().size === 2);
      expect(pids().has(cluster.child.pid)).toBe(false);
      expect(await stop(cluster)).toBe(0);
    });
  });

  it('exports what is still buffered when it stops, under OTEL_SERVICE_NAME', async () => {
    const modules = join(dir, 'modules.json');
    const beacon = await start({
      ...tracingTo(receiver),
      // No export on a timer within the test: only the stop sends these spans.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_SERVICE_NAME: 'beacon-e2e',
      STATE_BACKEND: 'memory',
      NODE_OPTIONS: `--require ${PRELOAD}`,
      LOADED_MODULES_FILE: modules,
    });
    expect(await postSample(beacon, 'flushed')).toBe(202);
    expect(receiver.requests()).toBe(0);
    expect(await stop(beacon)).toBe(0);
    const span = serverSpan('POST /metrics/:id/latency');
    expect(span?.resource.get('service.name')).toBe('beacon-e2e');
    // The other half of the next test: this is how the check sees a Beacon that traces.
    expect(loadedOtelModules(modules)).toEqual(
      expect.arrayContaining([expect.stringContaining('/@opentelemetry/sdk-node/')]),
    );
  });

  it('loads no OpenTelemetry SDK or instrumentation when OTEL_EXPORTER_OTLP_ENDPOINT is unset', async () => {
    const modules = join(dir, 'modules.json');
    const beacon = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      STATE_BACKEND: 'memory',
      NODE_OPTIONS: `--require ${PRELOAD}`,
      LOADED_MODULES_FILE: modules,
    });
    expect(await postSample(beacon, 'untraced')).toBe(202);
    expect(await stop(beacon)).toBe(0);
    // prom-client requires @opentelemetry/api (for exemplars), as it did before tracing:
    // without an SDK registered, that API is a no-op. Nothing else of OpenTelemetry loads.
    const loaded = loadedOtelModules(modules);
    expect(loaded.filter((f) => !f.includes('/@opentelemetry/api/'))).toEqual([]);
    expect(receiver.requests()).toBe(0);
  });

  it('stops gracefully when the collector never answers: the last spans are dropped, said so, exit 0', async () => {
    const hung = await startOtlpReceiver({ answer: false });
    try {
      const beacon = await start({
        ...tracingTo(hung),
        OTEL_BSP_SCHEDULE_DELAY: '600000',
        STATE_BACKEND: 'memory',
        SHUTDOWN_TIMEOUT_MS: '4000',
      });
      expect(await postSample(beacon, 'hung')).toBe(202);
      expect(await stop(beacon)).toBe(0);
      // It did try: the export reached the receiver, which never answered.
      await eventually(() => hung.requests() > 0);
      expect(beacon.logs.map((l) => l.msg)).toContain(
        'the last spans were not exported within 1000 ms: dropped',
      );
    } finally {
      await hung.close();
    }
  });

  it('refuses to start with an endpoint that is not an http(s) URL, naming it', async () => {
    await expect(
      start({ OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:4318', STATE_BACKEND: 'memory' }),
    ).rejects.toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/);
  });
});
