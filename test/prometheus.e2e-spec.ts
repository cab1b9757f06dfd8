import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MetricsUdpListener } from '../src/api-metrics/metrics-udp.listener';
import { WriteQueue } from '../src/api-metrics/write-queue';
import { eventually } from './helpers/eventually';
import { launchRocket, sendApiRecord } from './helpers/feed';
import { freshSchema, TestSchema } from './helpers/postgres';
import { systemTool } from './helpers/system-tool';
import { tempDir } from './helpers/temp-dir';
import { freePort } from './setup/net';
import { startTestApp, TestApp } from './helpers/test-app';

const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';
const haveTools = systemTool(PROMTOOL, 'prometheus') && systemTool(PROMETHEUS, 'prometheus');
const SSE_SAMPLE = readFileSync(join(__dirname, 'fixtures/upfluence-stream-sample.sse'), 'utf8');

/** A real Prometheus server on `port`, configured by `dir/prometheus.yml`, its data in `dir`. */
function startPrometheus(dir: string, port: number) {
  const server = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  server.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  return {
    /** The tail of what it said, for a failure's message. */
    log: () => log,
    stop: async () => {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    },
  };
}

/**
 * GET /prometheus with every module on and fed in the test: Prometheus's own promtool
 * accepts the exposition, each module's series carry what the test did, and a real
 * Prometheus server scrapes Beacon and answers a query for one of them.
 */
(haveTools ? describe : describe.skip)('GET /prometheus (e2e)', () => {
  let t: TestApp;
  let schema: TestSchema;
  let sse: Server;

  beforeAll(async () => {
    // A local SSE stream: the fixture's posts, then an open connection.
    sse = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(SSE_SAMPLE);
    });
    await new Promise<void>((r) => sse.listen(0, '127.0.0.1', r));
    schema = await freshSchema('beacon_prom');
    t = await startTestApp({
      API_METRICS_ENABLED: 'true',
      DATABASE_URL: schema.url,
      STATSD_ENABLED: 'true',
      STREAM_ENABLED: 'true',
      STREAM_URL: `http://127.0.0.1:${(sse.address() as AddressInfo).port}/stream`,
    });
    await t.client.POST('/metrics/{id}/latencies', {
      params: { path: { id: 'prom-e2e' } },
      body: { latencies_ns: [10e6, 20e6, 30e6, 40e6] },
    });
    await launchRocket(t, 'prom-rocket');
    await sendApiRecord(t, {
      route: '/api/cart',
      methodByte: 2,
      statusCode: 201,
      responseTimeMs: 12.5,
    });
    await eventually(() => t.app.get(MetricsUdpListener).stats().records === 1);
    await t.app.get(WriteQueue).flush();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await schema?.drop();
    sse?.closeAllConnections();
    await new Promise((r) => sse?.close(r));
  });

  const scrape = async () => {
    const res = await fetch(`${t.baseUrl}/prometheus`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    return res.text();
  };
  /** The value of one series line (`name{labels} value`), or undefined. */
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('passes promtool check metrics', async () => {
    await eventually(async () => value(await scrape(), 'beacon_stream_posts_total')! > 0);
    const text = await scrape();
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: check.status, output: check.stdout + check.stderr }).toEqual({
      status: 0,
      output: '',
    });
  });

  it('has series for every module, carrying what the test did', async () => {
    const text = await scrape();
    expect(value(text, 'beacon_latency_seconds{metric="prom-e2e",quantile="0.5"}')).toBe(0.02);
    expect(value(text, 'beacon_latency_seconds{metric="prom-e2e",quantile="0.99"}')).toBe(0.04);
    expect(value(text, 'beacon_latency_seconds_count{metric="prom-e2e"}')).toBe(4);
    expect(value(text, 'beacon_rockets')).toBe(1);
    expect(value(text, 'beacon_rockets_messages_applied_total')).toBe(1);
    expect(value(text, 'beacon_api_metrics_records_received_total')).toBe(1);
    expect(value(text, 'beacon_api_metrics_rows_written_total')).toBe(1);
    expect(value(text, 'beacon_api_metrics_database_up')).toBe(1);
    expect(value(text, 'beacon_websocket_clients')).toBe(0);
    expect(value(text, 'beacon_stream_connected')).toBe(1);
    expect(value(text, 'beacon_stream_posts_total')).toBeGreaterThan(0);
    expect(value(text, 'beacon_recent_requests')).toBeGreaterThanOrEqual(3);
    expect(value(text, 'beacon_shared_state_backend{backend="local"}')).toBe(1);
    expect(value(text, 'beacon_shared_log_write_refused{log="latency"}')).toBe(0);
    expect(value(text, 'beacon_shared_log_connected{log="rockets"}')).toBe(1);
    expect(value(text, 'beacon_statsd_samples_total')).toBe(0);
    expect(value(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // The requests above, by route template, never by raw path.
    expect(
      value(
        text,
        'beacon_http_request_duration_seconds_count{method="POST",route="/metrics/:id/latencies",status_code="202"}',
      ),
    ).toBe(1);
    expect(text).not.toContain('route="/metrics/prom-e2e');
  });

  it('leaves out latency percentiles past PROMETHEUS_MAX_LATENCY_METRICS, and counts them', async () => {
    const small = await startTestApp({ PROMETHEUS_MAX_LATENCY_METRICS: '2' });
    try {
      for (const id of ['c', 'a', 'b', 'd']) {
        await small.client.POST('/metrics/{id}/latency', {
          params: { path: { id } },
          body: { latency_ns: 5 },
        });
      }
      const text = await (await fetch(`${small.baseUrl}/prometheus`)).text();
      const exported = [...text.matchAll(/^beacon_latency_seconds_count\{metric="(\w)"\}/gm)];
      expect(exported.map((m) => m[1])).toEqual(['a', 'b']);
      expect(value(text, 'beacon_latency_metrics_unexported')).toBe(2);
    } finally {
      await small.close();
    }
  });

  it('a real Prometheus scrapes it and answers a query for a Beacon series', async () => {
    const dir = tempDir('beacon-prometheus-');
    const port = await freePort();
    const target = new URL(t.baseUrl).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s }',
        'scrape_configs:',
        '  - job_name: beacon',
        '    metrics_path: /prometheus',
        `    static_configs: [{ targets: ['${target}'] }]`,
      ].join('\n'),
    );
    const server = startPrometheus(dir, port);
    try {
      const query = encodeURIComponent('beacon_latency_seconds{metric="prom-e2e",quantile="0.99"}');
      let result: { metric: Record<string, string>; value: [number, string] }[] = [];
      await eventually(async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${query}`);
          result = ((await res.json()) as { data: { result: typeof result } }).data.result;
          return result.length > 0;
        } catch {
          return false; // not up yet
        }
      }, 30_000).catch((err: Error) => {
        throw new Error(`${err.message}; prometheus said:\n${server.log()}`);
      });
      expect(result[0].metric).toMatchObject({ job: 'beacon', metric: 'prom-e2e' });
      expect(Number(result[0].value[1])).toBe(0.04);
      const up = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=up`);
      const upResult = ((await up.json()) as { data: { result: { value: [number, string] }[] } })
        .data.result;
      expect(upResult.map((r) => r.value[1])).toEqual(['1']);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("scrapes with a key under API_KEYS_FOR_READS: docs/operations.md's keyed config, as written", async () => {
    const key = 'k-prometheus-0123456789';
    const keyed = await startTestApp({ API_KEYS: key, API_KEYS_FOR_READS: 'true' });
    const dir = tempDir('beacon-prometheus-keyed-');
    const port = await freePort();
    // The doc's block, with this test's target, key file and a 1 s interval.
    const doc = readFileSync(join(__dirname, '..', 'docs', 'operations.md'), 'utf8');
    const block = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1])
      .find((b) => b.includes('authorization:'));
    expect(block).toContain('credentials_file: /etc/prometheus/beacon-api-key');
    writeFileSync(join(dir, 'beacon-api-key'), `${key}\n`);
    const keyedJob = block!
      .replace('/etc/prometheus/beacon-api-key', join(dir, 'beacon-api-key'))
      .replace("'127.0.0.1:8080'", `'${new URL(keyed.baseUrl).host}'`)
      .replace('scrape_interval: 15s', 'scrape_interval: 1s');
    // The same job without the block, to show the key is what makes the difference.
    const plainJob = keyedJob
      .replace('scrape_configs:\n', '')
      .replace('job_name: beacon', 'job_name: beacon-without-key')
      .replace(/ +authorization:\n.*\n/, '');
    writeFileSync(join(dir, 'prometheus.yml'), `${keyedJob}${plainJob}`);
    const server = startPrometheus(dir, port);
    try {
      let up: Record<string, string> = {};
      await eventually(async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=up`);
          const result = (
            (await res.json()) as {
              data: { result: { metric: { job: string }; value: [number, string] }[] };
            }
          ).data.result;
          up = Object.fromEntries(result.map((r) => [r.metric.job, r.value[1]]));
          return Object.keys(up).length === 2;
        } catch {
          return false; // not up yet
        }
      }, 30_000).catch((err: Error) => {
        throw new Error(`${err.message}; prometheus said:\n${server.log()}`);
      });
      expect(up).toEqual({ beacon: '1', 'beacon-without-key': '0' });
    } finally {
      await server.stop();
      await keyed.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
