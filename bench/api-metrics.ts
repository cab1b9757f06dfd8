import { ChildProcess, spawn } from 'node:child_process';
import { tempDir } from '../test/helpers/temp-dir';
import { createSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { rmSync } from 'node:fs';
import { WebSocket } from 'ws';
import { freshSchema } from '../test/helpers/postgres';
import { ApiMetricRecord } from '../src/api-metrics/api-metric';
import { encodeMetricsData } from '../src/api-metrics/metrics-datagram';
import { SqlApiMetricsStore } from '../src/api-metrics/sql-api-metrics.store';
import { openEmbedded, openPostgres, SqlEngine } from '../src/infra/postgres/sql-engine';
import { Server } from './lib';

type StartBeacon = (env?: Record<string, string>) => Promise<Server>;

interface Health {
  details: {
    apiMetrics: { udp: { port: number; datagrams: number }; written: number; queued: number };
    latency: { statsd: { port: number; datagrams: number; samples: number } };
  };
}
const health = async (s: Server) => (await (await fetch(`${s.url}/health`)).json()) as Health;

/** The seed-style baseline process: its UDP and WebSocket ports, and its receive count. */
async function startSeedBaseline(): Promise<{
  udpPort: number;
  wsPort: number;
  received: () => Promise<number>;
  stop: () => void;
  child: ChildProcess;
}> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', 'bench/seed-udp-ws.ts'],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const ports = await new Promise<{ udpPort: number; wsPort: number }>((resolve) =>
    child.once('message', (m) => resolve(m as { udpPort: number; wsPort: number })),
  );
  return {
    ...ports,
    child,
    received: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { received: number }).received));
        child.send('count');
      }),
    stop: () => child.kill(),
  };
}

/** Sends `rate` datagrams/s for `seconds`, in 1 ms slices; returns what was handed to the kernel. */
async function blast(
  port: number,
  rate: number,
  seconds: number,
  make: (i: number) => Buffer,
): Promise<number> {
  const socket = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  socket.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const start = performance.now();
  let sent = 0;
  let pending = 0;
  const total = rate * seconds;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (sent < due) {
      pending++;
      socket.send(make(sent++), () => pending--);
    }
    await new Promise((r) => setImmediate(r));
  }
  while (pending > 0) await sleep(5);
  socket.close();
  return sent;
}

export interface UdpRateResult {
  rate: number;
  sent: number;
  beacon: number;
  baseline: number;
}

/** Datagrams received of those sent, at each rate, by Beacon and by a bare receiver. */
export async function udpIngest(
  startBeacon: StartBeacon,
  rates: number[],
  seconds: number,
): Promise<UdpRateResult[]> {
  const schema = await freshSchema('beacon_bench');
  const beacon = await startBeacon({ API_METRICS_ENABLED: 'true', DATABASE_URL: schema.url });
  const base = await startSeedBaseline();
  const out: UdpRateResult[] = [];
  try {
    const now = Math.floor(Date.now() / 1000);
    const packets = Array.from({ length: 64 }, (_, k) =>
      encodeMetricsData(
        { sequence: 0, timestamp: now },
        {
          route: `/api/route-${k % 16}`,
          methodByte: 1 + (k % 3),
          statusCode: 200,
          responseTimeMs: k + 0.5,
        },
      ),
    );
    const make = (i: number) => {
      const b = Buffer.from(packets[i % 64]);
      b.writeUInt32BE((i + 1) >>> 0, 2);
      return b;
    };
    for (const rate of rates) {
      const h0 = (await health(beacon)).details.apiMetrics.udp;
      const sent = await blast(h0.port, rate, seconds, make);
      await sleep(1000);
      const beaconGot = (await health(beacon)).details.apiMetrics.udp.datagrams - h0.datagrams;
      const b0 = await base.received();
      await blast(base.udpPort, rate, seconds, make);
      await sleep(1000);
      const baseGot = (await base.received()) - b0;
      out.push({ rate, sent, beacon: beaconGot, baseline: baseGot });
      // Let the writer drain before the next rate.
      for (let i = 0; i < 100 && (await health(beacon)).details.apiMetrics.queued > 0; i++)
        await sleep(100);
    }
  } finally {
    base.stop();
    await beacon.stop();
    await schema.drop();
  }
  return out;
}

/** StatsD datagrams of 50 timer lines at each rate: samples recorded vs samples sent. */
export async function statsdIngest(
  startBeacon: StartBeacon,
  datagramRates: number[],
  seconds: number,
): Promise<{ rate: number; sentSamples: number; recorded: number }[]> {
  const beacon = await startBeacon({ STATSD_ENABLED: 'true' });
  const out: { rate: number; sentSamples: number; recorded: number }[] = [];
  try {
    const bodies = Array.from({ length: 16 }, (_, k) =>
      Buffer.from(
        Array.from(
          { length: 50 },
          (_, i) => `svc.timer${(k + i) % 10}:${((i * 37 + k) % 500) / 10}|ms|#env:bench`,
        ).join('\n'),
      ),
    );
    for (const rate of datagramRates) {
      const s0 = (await health(beacon)).details.latency.statsd;
      const sent = await blast(s0.port, rate, seconds, (i) => bodies[i % 16]);
      await sleep(1000);
      const s1 = (await health(beacon)).details.latency.statsd;
      out.push({ rate, sentSamples: sent * 50, recorded: s1.samples - s0.samples });
    }
  } finally {
    await beacon.stop();
  }
  return out;
}

/** Rows/s through `append` (one unnest INSERT per 5,000) vs one INSERT per row (the seed). */
export async function rowsPerSecond(
  engine: 'embedded' | 'postgresql',
): Promise<{ batched: number; perRow: number }> {
  const dir = tempDir('beacon-bench-db-');
  const schema = engine === 'postgresql' ? await freshSchema('beacon_bench_rows') : null;
  let sql: SqlEngine | null = null;
  const connect = async () => (sql = schema ? openPostgres(schema.url) : await openEmbedded(dir));
  const store = new SqlApiMetricsStore(connect, 7 * 86_400_000);
  try {
    await store.open();
    const now = Date.now();
    const rec = (i: number): ApiMetricRecord => ({
      timeMs: now - (i % 600_000),
      route: `/api/route-${i % 50}`,
      method: 'GET',
      statusCode: 200,
      responseTimeMs: (i % 1000) / 10,
    });
    const total = 200_000;
    let t = performance.now();
    for (let i = 0; i < total; i += 5000) {
      await store.append(Array.from({ length: 5000 }, (_, k) => rec(i + k)));
    }
    const batched = total / ((performance.now() - t) / 1000);
    const single = 5000;
    t = performance.now();
    for (let i = 0; i < single; i++) {
      const r = rec(i);
      await sql!.query(
        'INSERT INTO api_metrics (time, route, method, status_code, response_time_ms) VALUES (to_timestamp($1::float8 / 1000), $2, $3, $4, $5)',
        [r.timeMs, r.route, r.method, r.statusCode, r.responseTimeMs],
      );
    }
    const perRow = single / ((performance.now() - t) / 1000);
    return { batched, perRow };
  } finally {
    await store.close();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface FanOut {
  /** Records delivered per second, summed over clients. */
  delivered: number;
  /** Of the healthy clients, the one with the worst 99th-percentile lag (ms). */
  slowestP99LagMs: number;
  maxLagMs: number;
  messagesPerClientPerSec: number;
  dropped: number;
}

/** `clients` WebSocket clients while `rate` records/s arrive over UDP; Beacon vs the seed's send-per-record. */
export async function wsFanOut(
  startBeacon: StartBeacon,
  clients: number,
  rate: number,
  seconds: number,
): Promise<{ beacon: FanOut; baseline: FanOut }> {
  const schema = await freshSchema('beacon_bench_ws');
  const beacon = await startBeacon({
    API_METRICS_ENABLED: 'true',
    DATABASE_URL: schema.url,
    WS_MAX_CLIENTS: String(clients),
  });
  const base = await startSeedBaseline();
  try {
    const udpPort = (await health(beacon)).details.apiMetrics.udp.port;
    const wsBeacon = `${beacon.url.replace('http', 'ws')}/ws`;
    const ours = await runFanOut(wsBeacon, udpPort, clients, rate, seconds);
    const theirs = await runFanOut(
      `ws://127.0.0.1:${base.wsPort}`,
      base.udpPort,
      clients,
      rate,
      seconds,
    );
    return { beacon: ours, baseline: theirs };
  } finally {
    base.stop();
    await beacon.stop();
    await schema.drop();
  }
}

/**
 * The same fan-out with two instances in redis mode on one database: records arrive by UDP
 * at the first, and half the clients are on the second (the feed crosses through Redis).
 */
export async function wsFanOutShared(
  startBeacon: StartBeacon,
  redisEnv: Record<string, string>,
  clients: number,
  rate: number,
  seconds: number,
): Promise<FanOut> {
  const schema = await freshSchema('beacon_bench_ws_shared');
  const env = {
    ...redisEnv,
    API_METRICS_ENABLED: 'true',
    DATABASE_URL: schema.url,
    WS_MAX_CLIENTS: String(clients),
  };
  const a = await startBeacon(env);
  const b = await startBeacon(env);
  try {
    const udpPort = (await health(a)).details.apiMetrics.udp.port;
    const ws = (s: Server) => `${s.url.replace('http', 'ws')}/ws`;
    return await runFanOut([ws(a), ws(b)], udpPort, clients, rate, seconds);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await schema.drop();
  }
}

async function runFanOut(
  wsUrl: string | string[],
  udpPort: number,
  n: number,
  rate: number,
  seconds: number,
): Promise<FanOut> {
  const total = rate * seconds;
  const sentAt = new Float64Array(total + 1);
  const sockets: WebSocket[] = [];
  const stats = Array.from({ length: n }, () => ({
    records: 0,
    messages: 0,
    lags: [] as number[],
  }));
  const urls = [wsUrl].flat();
  for (let c = 0; c < n; c++) {
    const ws = new WebSocket(urls[c % urls.length]);
    await new Promise((r) => ws.once('open', r));
    const s = stats[c];
    ws.on('message', (data: Buffer) => {
      s.messages++;
      const text = data.toString('latin1');
      if (text.includes('"type"')) return;
      // The sequence number rides in `time`; count records without parsing the JSON.
      let count = 0;
      for (let i = text.indexOf('{"route"'); i >= 0; i = text.indexOf('{"route"', i + 1)) count++;
      s.records += count;
      const at = text.lastIndexOf('"time":') + 7;
      const seq = parseInt(text.slice(at, text.indexOf(',', at)), 10);
      if (s.messages % 4 === 0 || count > 1) s.lags.push(performance.now() - sentAt[seq]);
    });
    sockets.push(ws);
  }
  const now = Math.floor(Date.now() / 1000);
  const packet = encodeMetricsData(
    { sequence: 0, timestamp: now },
    { route: '/api/fan-out', methodByte: 1, statusCode: 200, responseTimeMs: 0 },
  );
  const start = performance.now();
  await blast(udpPort, rate, seconds, (i) => {
    const b = Buffer.from(packet);
    b.writeUInt32BE(i + 1, 2);
    b.writeDoubleBE(i + 1, 16);
    sentAt[i + 1] = performance.now();
    return b;
  });
  await sleep(2000);
  const elapsed = (performance.now() - start) / 1000 - 2;
  for (const ws of sockets) ws.terminate();
  const p99 = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)] : NaN;
  };
  const delivered = stats.reduce((a, s) => a + s.records, 0);
  return {
    delivered: delivered / elapsed,
    slowestP99LagMs: Math.max(...stats.map((s) => p99(s.lags))),
    maxLagMs: Math.max(...stats.map((s) => Math.max(...s.lags))),
    messagesPerClientPerSec: stats.reduce((a, s) => a + s.messages, 0) / n / elapsed,
    dropped: total * n - delivered,
  };
}
