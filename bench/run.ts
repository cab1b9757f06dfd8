/**
 * npm run bench — builds Beacon, starts it and the bare-Nest baseline as separate
 * processes on free loopback ports, drives each scenario with autocannon and prints
 * one table. Every figure is set against a baseline measured in the same run, because
 * the machine is shared and noisy: compare ratios, not absolute numbers.
 *
 * BENCH_DURATION (s, default 10) and BENCH_CONNECTIONS (default 50) tune the runs;
 * BENCH_ROUNDS (default 3) alternating rounds for baseline comparisons;
 * BENCH_ONLY=idle,post,prometheus,hardening,read,batch,memory,counter,counter-io,counter-load,rockets-program,
 * rockets-keepalive,rockets-list,rockets-churn,stream-history,stream-ingest,udp,statsd,rows,ws,shared,
 * shared-lag,shared-catchup,shared-stream,shared-ws,durable,durable-restart,durable-posts runs only those.
 */
import { execSync } from 'node:child_process';
import { tempDir } from '../test/helpers/temp-dir';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  bytesPerSecond,
  cheapGets,
  counterStats,
  cpuPerRequest,
  recordCostNs,
  simulatedBytesPerSecond,
  writeFullWindowState,
} from './counter';
import { rowsPerSecond, statsdIngest, udpIngest, wsFanOut, wsFanOutShared } from './api-metrics';
import { ISOLATED_ENV } from '../test/helpers/isolated-env';
import { keepAliveMessages, listChurn, listTenThousand, testProgramRun } from './rockets';
import { historyQuery, ingestRate } from './stream';
import { idleFootprint } from './idle';
import { durableWrites, restartFromLog, restartWithDayOfPosts } from './durable';
import { catchUp, redisEnv, replicationLag, sharedThroughput } from './shared';
import { sharedStreamQueries } from './shared-stream';
import { uniquePrefix, dropPrefix } from '../test/helpers/redis';
import { LOCAL_DATABASE_URL } from '../test/helpers/postgres';
import { LoadResult, Server, load, randomBatchBody, randomLatencyBody, startServer } from './lib';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ONLY = process.env.BENCH_ONLY?.split(',');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The run with the median requests/s. */
function median(runs: LoadResult[]): LoadResult {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];
}

interface Row {
  scenario: string;
  rps: number;
  samplesPerSec?: number;
  p50: number;
  p99: number;
  rssMb: number;
  vs?: string;
  note?: string;
}

const rows: Row[] = [];
const PER_POST_NOTE = 'posts 50 to an entry, JSON';
const json = { 'content-type': 'application/json' };

function row(scenario: string, r: LoadResult, rss: number, extra: Partial<Row> = {}): Row {
  if (r.errors > 0 || r.non2xx > 0) {
    extra.note = `${r.errors} errors, ${r.non2xx} non-2xx of ${r.total}`;
  }
  const out = { scenario, rps: r.rps, p50: r.p50, p99: r.p99, rssMb: rss, ...extra };
  rows.push(out);
  return out;
}

/** A row that is a measured figure rather than a load run: unset columns stay blank. */
function figure(r: Partial<Row> & { scenario: string }): void {
  rows.push({ rps: NaN, p50: NaN, p99: NaN, rssMb: NaN, ...r });
}

const wanted = (name: string) => !ONLY || ONLY.includes(name);

async function postSingle(server: Server, path: string, headers: Record<string, string> = json) {
  return load({
    url: server.url + path,
    method: 'POST',
    headers,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [{ setupRequest: (req) => ({ ...req, body: randomLatencyBody() }) }],
  });
}

/** Puts 10,000 samples into one metric, 500 requests at a time. */
async function fillForRead(server: Server, prefix: string): Promise<string> {
  const path = `${prefix}/read-bench`;
  const fill = Array.from({ length: 10_000 }, () => randomLatencyBody());
  for (let i = 0; i < fill.length; i += 500) {
    await Promise.all(
      fill
        .slice(i, i + 500)
        .map((body) =>
          fetch(`${server.url}${path}/latency`, { method: 'POST', headers: json, body }),
        ),
    );
  }
  return path;
}

/** GETs the filled metric while a writer keeps adding ~1,000 samples/s to it. */
async function readUnderWrites(server: Server, path: string) {
  const writer = load({
    url: `${server.url}${path}/latency`,
    method: 'POST',
    headers: json,
    connections: 2,
    overallRate: 1000,
    duration: DURATION + 2,
    warmup: 0,
    requests: [{ setupRequest: (req) => ({ ...req, body: randomLatencyBody() }) }],
  });
  const reads = await load({
    url: server.url + path,
    connections: CONNECTIONS,
    duration: DURATION,
  });
  await writer;
  const check = (await (await fetch(server.url + path)).json()) as { Count: number };
  return { reads, count: check.Count };
}

async function main(): Promise<void> {
  // The api-metrics scenarios use the machine's PostgreSQL server, as the tests do.
  process.env.TEST_DATABASE_URL ??= LOCAL_DATABASE_URL;
  execSync('npx nest build', { stdio: 'inherit' });
  const dataDir = tempDir('beacon-bench-');
  const beaconEnv = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ...ISOLATED_ENV,
  };
  // Each Beacon gets a DATA_DIR of its own: two at once on one directory would append to
  // one request-counter file, and each would load and compact the other's counts.
  let started = 0;
  const startBeacon = (env: Record<string, string> = {}) => {
    const own = join(dataDir, String(started++));
    mkdirSync(own);
    return startServer(['dist/main.js'], { ...beaconEnv, DATA_DIR: own, ...env }, '/health/live');
  };
  const startBaseline = () =>
    startServer(['-r', 'ts-node/register/transpile-only', 'bench/baseline-app.ts'], {
      TS_NODE_PROJECT: 'tsconfig.json',
    });

  try {
    if (wanted('idle')) {
      for (const f of await idleFootprint()) {
        figure({
          scenario: `idle: npm start defaults, every module on, 20 s after start (${f.run})`,
          rssMb: f.rssMb,
          vs: `${f.rssMb.toFixed(0)} MB RSS summed over ${f.processes} processes (target ≤ 250); PSS ${f.pssMb.toFixed(0)} MB`,
          note: `listening after ${Math.round(f.readyMs)} ms; ${f.postgresStart}; SIGTERM: ${f.stop}`,
        });
      }
    }

    if (wanted('shared')) {
      const f = await sharedThroughput(startBeacon, DURATION, CONNECTIONS, ROUNDS);
      const rps = (runs: LoadResult[]) => runs.map((x) => Math.round(x.rps)).join(', ');
      const m = median(f.memory);
      row('memory mode: POST /metrics/{id}/latency, 1 instance', m, NaN, {
        note: `median of ${ROUNDS}: ${rps(f.memory)}`,
      });
      const one = median(f.redisOne);
      row('redis mode: POST /metrics/{id}/latency, 1 instance', one, NaN, {
        vs: `${((100 * one.rps) / m.rps).toFixed(1)}% of memory mode (target ≥ 75%)`,
        note: `median of ${ROUNDS}: ${rps(f.redisOne)}`,
      });
      const two = median(f.redisTwo);
      row('redis mode: POST /metrics/{id}/latency, 2 instances, load spread', two, NaN, {
        vs: `${(two.rps / m.rps).toFixed(2)}× one memory instance (target ≥ 1.6×)`,
        note: `median of ${ROUNDS}: ${rps(f.redisTwo)}; both instances fold every write`,
      });
      const mm = median(f.memoryMessages);
      row('memory mode: POST /messages, 1 instance', mm, NaN, {
        note: `median of ${ROUNDS}: ${rps(f.memoryMessages)}`,
      });
      const rm = median(f.redisMessages);
      row('redis mode: POST /messages, 1 instance', rm, NaN, {
        vs: `${((100 * rm.rps) / mm.rps).toFixed(1)}% of memory mode (target ≥ 75%)`,
        note: `median of ${ROUNDS}: ${rps(f.redisMessages)}`,
      });
      const mr = median(f.memoryReads);
      const rr = median(f.redisReads);
      row('redis mode: GET /metrics/{id}, 1 instance', rr, NaN, {
        vs: `${((100 * rr.rps) / mr.rps).toFixed(1)}% of memory mode's ${Math.round(mr.rps)} req/s (reads are local)`,
        note: `median of ${ROUNDS}: ${rps(f.redisReads)} vs ${rps(f.memoryReads)}`,
      });
    }

    if (wanted('shared-lag')) {
      const { lagsMs, background } = await replicationLag(startBeacon, 2000, 200);
      const sorted = [...lagsMs].sort((x, y) => x - y);
      const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
      figure({
        scenario: 'redis mode: replication lag, write on A to visible on B, 2,000 writes/s on A',
        rps: background.rps,
        p50: q(0.5),
        p99: q(0.99),
        vs: `p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms (target p99 ≤ 50 ms)`,
        note: `${lagsMs.length} probes, max ${sorted.at(-1)!.toFixed(1)} ms; background ${Math.round(background.rps)} writes/s, ${background.non2xx} non-2xx`,
      });
    }

    if (wanted('shared-catchup')) {
      const c = await catchUp(startBeacon, 1_000_000, 20, 10_000);
      figure({
        scenario: `redis mode: fresh instance catching up on ${c.samples.toLocaleString('en-US')} samples + ${c.messages.toLocaleString('en-US')} rocket messages`,
        vs: `ready in ${(c.readyMs / 1000).toFixed(2)} s (target ≤ 5 s)`,
        note: c.logs
          .map(
            (l) =>
              `${l.name}: ${Math.round(l.catchUpMs)} ms, ${l.snapshotsLoaded} snapshot, ${l.entriesApplied} entries`,
          )
          .join('; '),
      });
      figure({
        scenario: 'redis mode: Redis memory (INFO used_memory) per stored latency sample',
        vs: `${c.redisBytesPerSample.toFixed(1)} B/sample`,
        note: 'batches of 10,000; the snapshot plus log entries still inside the 60 s trim grace',
      });
      figure({
        scenario: 'redis mode: Redis memory per rocket message',
        vs: `${c.redisBytesPerMessage.toFixed(1)} B/message`,
        note: 'one message per entry, still inside the 60 s trim grace, plus the snapshot (20 rockets)',
      });
    }

    if (wanted('shared-stream')) {
      const f = await sharedStreamQueries(startBeacon, 8_640_000, DURATION);
      const fmt = (n: number) => n.toFixed(1);
      figure({
        scenario: `redis mode: fresh instance ready with a full 24 h of posts (${f.posts.toLocaleString('en-US')})`,
        vs: `${(f.readyMs[0] / 1000).toFixed(1)} s and ${(f.readyMs[1] / 1000).toFixed(1)} s to listening (target ≤ 30 s)`,
        note: `the second started while the first ingested at 2,000 posts/s; Redis holds ${f.redisBytesPerPost.toFixed(1)} B/post (${PER_POST_NOTE})`,
      });
      f.queryMs.forEach((ms, i) => {
        const s = [...ms].sort((x, y) => x - y);
        const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
        figure({
          scenario: `redis mode: /analysis?duration=24h on instance ${i + 1} of 2, ingest at 2,000 posts/s`,
          p50: q(0.5),
          p99: q(0.99),
          vs: `max ${fmt(s[s.length - 1])} ms (target ≤ 100 ms); longest event-loop stall ${fmt(f.stallMs[i])} ms (target ≤ 50 ms)`,
          note: `${ms.length} queries in ${DURATION} s; ${Math.round(f.ingestedPerSecond)} posts/s folded meanwhile`,
        });
      });
    }

    if (wanted('shared-ws')) {
      const prefix = uniquePrefix('bench-ws');
      const f = await wsFanOutShared(startBeacon, redisEnv(prefix), 100, 10_000, DURATION);
      await dropPrefix(prefix, process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
      figure({
        scenario:
          'redis mode: /ws fan-out, 2 instances, 100 clients (50 each), 10,000 records/s into one',
        rps: f.delivered,
        p99: f.slowestP99LagMs,
        vs: `${((100 * f.delivered) / (100 * 10_000)).toFixed(2)}% of records delivered; slowest client's p99 lag in p99 column (ms)`,
        note: `max lag ${f.maxLagMs.toFixed(0)} ms; ${f.messagesPerClientPerSec.toFixed(0)} messages/s per client; ${f.dropped.toLocaleString('en-US')} records not delivered`,
      });
    }

    if (wanted('post')) {
      // Both up at once and measured in alternating rounds, so drift in the shared
      // machine's speed lands on both sides instead of skewing the ratio.
      const base = await startBaseline();
      const beacon = await startBeacon();
      const baseRuns: LoadResult[] = [];
      const ourRuns: LoadResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        baseRuns.push(await postSingle(base, '/trivial/metrics/x/latency'));
        ourRuns.push(await postSingle(beacon, '/metrics/bench/latency'));
      }
      const b = median(baseRuns);
      const r = median(ourRuns);
      row('baseline: bare Nest POST (trivial handler)', b, base.rssMb(), {
        note: `median of ${ROUNDS}: ${baseRuns.map((x) => Math.round(x.rps)).join(', ')}`,
      });
      row('POST /metrics/{id}/latency (1 sample)', r, beacon.rssMb(), {
        samplesPerSec: r.rps,
        vs: `${((100 * r.rps) / b.rps).toFixed(1)}% of baseline`,
        note: `median of ${ROUNDS}: ${ourRuns.map((x) => Math.round(x.rps)).join(', ')}`,
      });
      await Promise.all([base.stop(), beacon.stop()]);
    }

    if (wanted('durable')) {
      const f = await durableWrites(startBeacon, DURATION, CONNECTIONS, ROUNDS);
      const pairs = [
        ['single-sample POST', f.memory.post, f.local.post],
        ['POST /messages (fresh in-order messages)', f.memory.messages, f.local.messages],
        ['POST /metrics/{id}/latencies (100 samples)', f.memory.batch, f.local.batch],
      ] as const;
      for (const [what, mem, loc] of pairs) {
        const m = median([...mem]);
        const l = median([...loc]);
        row(`local state (default) vs memory: ${what}`, l, NaN, {
          vs: `${((100 * l.rps) / m.rps).toFixed(1)}% of memory mode (${Math.round(m.rps)} req/s)`,
          note: `medians of ${ROUNDS}: local ${loc.map((x) => Math.round(x.rps)).join(', ')}; memory ${mem.map((x) => Math.round(x.rps)).join(', ')}`,
        });
      }
      figure({
        scenario: 'local state: fdatasync calls per second under that load (STATE_SYNC_MS=1000)',
        rps: f.syncsPerSecond,
      });
    }

    if (wanted('durable-restart')) {
      const dir = join(dataDir, `restart-${started++}`);
      mkdirSync(dir);
      const r = await restartFromLog(startBeacon, dir);
      figure({
        scenario: `local state: start after kill -9 on ${r.samples.toLocaleString('en-US')} samples + ${r.messages.toLocaleString('en-US')} rocket messages in the log (${r.entries.toLocaleString('en-US')} entries)`,
        p50: r.fromLogMs,
        rssMb: r.rssMb,
        vs: `${(r.fromLogMs / 1000).toFixed(2)} s spawn to serving (p50 column, ms); target ≤ 2 s; ${(r.emptyMs / 1000).toFixed(2)} s on an empty DATA_DIR`,
      });
      figure({
        scenario: 'local state: start after a graceful stop on the same state (final snapshot)',
        p50: r.afterStopMs,
        vs: `${(r.afterStopMs / 1000).toFixed(2)} s spawn to serving; target ≤ 1 s`,
      });
      figure({
        scenario:
          'local state: bytes on disk per latency sample / per rocket message (log, 10 ops an entry)',
        vs: `${r.bytesPerSample.toFixed(1)} B per sample, ${r.bytesPerMessage.toFixed(1)} B per message`,
      });
    }

    if (wanted('durable-posts')) {
      const dir = join(dataDir, `posts-${started++}`);
      mkdirSync(dir);
      const posts = Number(process.env.BENCH_POSTS ?? 8_640_000);
      const r = await restartWithDayOfPosts(startBeacon, dir, posts);
      figure({
        scenario: `local state: start with 24 h of posts in the log (${r.posts.toLocaleString('en-US')})`,
        p50: r.ms,
        rssMb: r.rssMb,
        vs: `${(r.ms / 1000).toFixed(2)} s spawn to serving; ${r.bytesPerPost.toFixed(1)} B on disk per post; target ≤ 15 s`,
      });
    }

    if (wanted('prometheus')) {
      // The exposition's cost on the hot path: the same single-sample POST with
      // PROMETHEUS_ENABLED=false (no HTTP histogram, nothing registered) and with it on
      // and scraped every second during the run, in alternating rounds.
      const off = await startBeacon({ PROMETHEUS_ENABLED: 'false' });
      const on = await startBeacon();
      const offRuns: LoadResult[] = [];
      const onRuns: LoadResult[] = [];
      let scrapes = 0;
      let scrapeBytes = 0;
      for (let round = 0; round < ROUNDS; round++) {
        offRuns.push(await postSingle(off, '/metrics/bench/latency'));
        const scraper = setInterval(() => {
          void fetch(`${on.url}/prometheus`)
            .then((res) => res.text())
            .then((text) => {
              scrapes++;
              scrapeBytes = text.length;
            });
        }, 1000);
        onRuns.push(await postSingle(on, '/metrics/bench/latency'));
        clearInterval(scraper);
      }
      const b = median(offRuns);
      const r = median(onRuns);
      row('POST /metrics/{id}/latency, PROMETHEUS_ENABLED=false', b, off.rssMb(), {
        note: `median of ${ROUNDS}: ${offRuns.map((x) => Math.round(x.rps)).join(', ')}`,
      });
      row('POST /metrics/{id}/latency, exposition on, scraped every 1 s', r, on.rssMb(), {
        vs: `${((100 * r.rps) / b.rps).toFixed(1)}% of exposition off`,
        note: `median of ${ROUNDS}: ${onRuns.map((x) => Math.round(x.rps)).join(', ')}; ${scrapes} scrapes of ${scrapeBytes.toLocaleString('en-US')} B`,
      });
      await Promise.all([off.stop(), on.stop()]);
    }

    if (wanted('hardening')) {
      // What issue 16's checks cost the hot path: all off, helmet's headers alone, the
      // Host and API-key checks alone (a key sent and checked), and all three, in
      // alternating rounds. Every side gets the same request, Authorization included.
      // Saturated req/s, and the server's own CPU per request at a fixed 2,000/s
      // (saturated throughput includes the load generator parsing the extra headers on
      // the same two cores).
      const key = 'bench-key-0123456789abcdef';
      const keyed = { ...json, authorization: `Bearer ${key}` };
      const sides: { name: string; env: Record<string, string> }[] = [
        {
          name: 'no helmet, any Host, no keys',
          env: { SECURITY_HEADERS: 'false', ALLOWED_HOSTS: '*' },
        },
        { name: "helmet's headers only", env: { ALLOWED_HOSTS: '*' } },
        { name: 'Host check + API key only', env: { SECURITY_HEADERS: 'false', API_KEYS: key } },
        { name: 'helmet + Host check + API key', env: { API_KEYS: key } },
      ];
      const servers = await Promise.all(sides.map((x) => startBeacon(x.env)));
      const post = (server: Server) => postSingle(server, '/metrics/bench/latency', keyed);
      const cpu = async (server: Server) =>
        (
          await cpuPerRequest(server, 2000, DURATION, {
            url: `${server.url}/metrics/bench/latency`,
            method: 'POST',
            headers: keyed,
            requests: [{ setupRequest: (req) => ({ ...req, body: randomLatencyBody() }) }],
          })
        ).usPerRequest;
      const runs = sides.map(() => [] as LoadResult[]);
      const cpus = sides.map(() => [] as number[]);
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < servers.length; k++) runs[k].push(await post(servers[k]));
        for (let k = 0; k < servers.length; k++) cpus[k].push(await cpu(servers[k]));
      }
      const mid = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
      const us = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
      const base = median(runs[0]);
      sides.forEach((side, k) => {
        const r = median(runs[k]);
        row(`POST /metrics/{id}/latency, ${side.name}`, r, servers[k].rssMb(), {
          vs:
            k === 0
              ? undefined
              : `${((100 * r.rps) / base.rps).toFixed(1)}% of all off; CPU ${((100 * mid(cpus[k])) / mid(cpus[0])).toFixed(1)}%`,
          note: `median of ${ROUNDS}: ${runs[k].map((x) => Math.round(x.rps)).join(', ')}; server CPU ${mid(cpus[k]).toFixed(1)} µs/request at 2,000/s (${us(cpus[k])})`,
        });
      });
      await Promise.all(servers.map((x) => x.stop()));
    }

    if (wanted('read')) {
      const base = await startBaseline();
      const beacon = await startBeacon();
      const refRuns: { reads: LoadResult; count: number }[] = [];
      const ourRuns: { reads: LoadResult; count: number }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Refilled every round: the writer cannot keep up against slow reads, so without
        // this the window would thin out as rounds pass and rounds would not compare.
        refRuns.push(await readUnderWrites(base, await fillForRead(base, '/seed/metrics')));
        ourRuns.push(await readUnderWrites(beacon, await fillForRead(beacon, '/metrics')));
      }
      const ref = median(refRuns.map((x) => x.reads));
      const ours = median(ourRuns.map((x) => x.reads));
      const held = (runs: { count: number }[]) => runs.map((x) => x.count).join(', ');
      row('reference: seed copy-filter-sort GET, 10k samples', ref, base.rssMb(), {
        note: `median of ${ROUNDS}; window held ${held(refRuns)}`,
      });
      row('GET /metrics/{id}, 10k samples, writes ongoing', ours, beacon.rssMb(), {
        vs: `${(ours.rps / ref.rps).toFixed(1)}× the seed's algorithm`,
        note: `median of ${ROUNDS}; window held ${held(ourRuns)}`,
      });
      await Promise.all([base.stop(), beacon.stop()]);
    }

    if (wanted('batch')) {
      const beacon = await startBeacon();
      const bodies = Array.from({ length: 8 }, () => randomBatchBody(10_000));
      let n = 0;
      const r = await load({
        url: beacon.url,
        method: 'POST',
        headers: json,
        connections: 8,
        duration: DURATION,
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              path: `/metrics/batch-${n % 100}/latencies`,
              body: bodies[n++ % bodies.length],
            }),
          },
        ],
      });
      row('POST /metrics/{id}/latencies (10,000 a batch)', r, beacon.rssMb(), {
        samplesPerSec: r.rps * 10_000,
      });
      await beacon.stop();
    }

    if (wanted('memory')) {
      const beacon = await startBeacon();
      const metrics = 500;
      const before = beacon.rssMb();
      for (let i = 0; i < metrics; i++) {
        await fetch(`${beacon.url}/metrics/mem-${i}/latencies`, {
          method: 'POST',
          headers: json,
          body: randomBatchBody(10_000),
        });
      }
      await new Promise((r) => setTimeout(r, 2000));
      const after = beacon.rssMb();
      const health = (await (await fetch(`${beacon.url}/health`)).json()) as {
        details: { latency: { samples: number; bytes: number } };
      };
      const { samples, bytes } = health.details.latency;
      const perSample = ((after - before) * 1024 * 1024) / samples;
      figure({
        scenario: `memory: ${metrics} metrics × 10,000 samples`,
        rssMb: after,
        vs: `${perSample.toFixed(1)} B/sample by RSS growth`,
        note: `store's own count: ${(bytes / samples).toFixed(1)} B/sample`,
      });
      await beacon.stop();
    }

    if (wanted('counter')) {
      // The same build with counting on and off, both up, measured in alternating rounds:
      // throughput at saturation, then server CPU per request at a fixed 2,000 req/s.
      const offDir = tempDir('beacon-bench-off-');
      const off = await startBeacon({ COUNTER_ENABLED: 'false', DATA_DIR: offDir });
      const on = await startBeacon();
      const offRuns: LoadResult[] = [];
      const onRuns: LoadResult[] = [];
      const offCpu: number[] = [];
      const onCpu: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        offRuns.push(await cheapGets(off, DURATION, CONNECTIONS));
        onRuns.push(await cheapGets(on, DURATION, CONNECTIONS));
        offCpu.push((await cpuPerRequest(off, 2000, DURATION)).usPerRequest);
        onCpu.push((await cpuPerRequest(on, 2000, DURATION)).usPerRequest);
      }
      const b = median(offRuns);
      const r = median(onRuns);
      const mid = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
      const us = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
      row('GET /metrics, request counter off', b, off.rssMb(), {
        note:
          `median of ${ROUNDS}: ${offRuns.map((x) => Math.round(x.rps)).join(', ')}; ` +
          `CPU at 2,000 req/s: ${mid(offCpu).toFixed(1)} µs/req (${us(offCpu)})`,
      });
      row('GET /metrics, request counter on', r, on.rssMb(), {
        vs:
          `${((100 * r.rps) / b.rps).toFixed(1)}% of off; ` +
          `CPU ${((100 * mid(onCpu)) / mid(offCpu)).toFixed(1)}% of off`,
        note:
          `median of ${ROUNDS}: ${onRuns.map((x) => Math.round(x.rps)).join(', ')}; ` +
          `CPU at 2,000 req/s: ${mid(onCpu).toFixed(1)} µs/req (${us(onCpu)})`,
      });
      await Promise.all([off.stop(), on.stop()]);
      rmSync(offDir, { recursive: true, force: true });
      const ns = recordCostNs();
      figure({
        scenario: 'counting one request in-process (clock read + ring)',
        vs: `${ns.toFixed(0)} ns`,
        note: `${((100 * ns) / (mid(offCpu) * 1000)).toFixed(3)}% of the CPU a cheap request costs`,
      });
    }

    if (wanted('counter-io')) {
      for (const flushMs of [250, 1000]) {
        const sim = await simulatedBytesPerSecond(10_000, flushMs, 130);
        figure({
          scenario: `counter file, store alone at exactly 10,000 req/s, flush ${flushMs} ms`,
          vs: `${Math.round(sim.bytesPerSec).toLocaleString('en-US')} bytes/s written`,
          note: `${sim.writesPerSec.toFixed(2)} writes+fdatasync/s over 130 simulated s, ${sim.compactions} compactions included`,
        });
      }
      const beacon = await startBeacon();
      // Long enough to include a compaction (one per 60 s window).
      const seconds = Math.max(DURATION, 65);
      const io = await bytesPerSecond(beacon, 10_000, seconds);
      row('counter file over HTTP, as fast as this machine goes', io.result, beacon.rssMb(), {
        vs: `${Math.round(io.bytesPerSec).toLocaleString('en-US')} bytes/s written`,
        note: `${io.flushesPerSec.toFixed(1)} writes+fdatasync/s over ${seconds}s, flush 250 ms`,
      });
      await beacon.stop();
    }

    if (wanted('counter-load')) {
      const loadDir = tempDir('beacon-bench-load-');
      const bytes = writeFullWindowState(loadDir);
      const started = Date.now();
      const beacon = await startBeacon({ DATA_DIR: loadDir });
      const startMs = Date.now() - started;
      const stats = await counterStats(beacon);
      const { count } = (await (await fetch(`${beacon.url}/counter`)).json()) as { count: number };
      figure({
        scenario: 'start-up on a full window (60 s at 10,000 req/s)',
        rssMb: beacon.rssMb(),
        vs: `${stats.loadMs.toFixed(1)} ms to load and compact`,
        note: `${(bytes / 1024).toFixed(0)} KiB file, count ${count}; whole process ready in ${startMs} ms`,
      });
      await beacon.stop();
      rmSync(loadDir, { recursive: true, force: true });
    }

    if (wanted('rockets-program')) {
      const beacon = await startBeacon();
      const { report, exact } = await testProgramRun(beacon);
      const taken = Object.values(report.statuses).reduce((a, b) => a + b, 0);
      figure({
        scenario:
          'rockets: test-program shape, 100,000 msgs + 1% resends, 3 senders, new conn each',
        rps: (taken * 1000) / report.elapsedMs,
        rssMb: beacon.rssMb(),
        vs: `${(report.elapsedMs / 1000).toFixed(1)} s to absorb all; states ${exact ? 'exact' : 'WRONG'}`,
        note: `${report.retries} retries; ${JSON.stringify(report.statuses)}`,
      });
      await beacon.stop();
    }

    if (wanted('rockets-keepalive')) {
      const base = await startBaseline();
      const beacon = await startBeacon();
      const baseRuns: LoadResult[] = [];
      const ourRuns: LoadResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        baseRuns.push(
          await keepAliveMessages(
            base,
            '/trivial/metrics/x/latency',
            DURATION,
            CONNECTIONS,
            `b${round}`,
          ),
        );
        ourRuns.push(
          await keepAliveMessages(beacon, '/messages', DURATION, CONNECTIONS, `r${round}`),
        );
      }
      const b = median(baseRuns);
      const r = median(ourRuns);
      row('baseline: bare Nest POST /messages, parse + same 202 JSON', b, base.rssMb(), {
        note: `median of ${ROUNDS}: ${baseRuns.map((x) => Math.round(x.rps)).join(', ')}`,
      });
      row('POST /messages, keep-alive, every message applied', r, beacon.rssMb(), {
        vs: `${((100 * r.rps) / b.rps).toFixed(1)}% of baseline`,
        note: `median of ${ROUNDS}: ${ourRuns.map((x) => Math.round(x.rps)).join(', ')}`,
      });
      await Promise.all([base.stop(), beacon.stop()]);
    }

    if (wanted('rockets-list')) {
      const beacon = await startBeacon();
      const r = await listTenThousand(beacon, DURATION, 10);
      row('GET /rockets?sort=speed&order=desc, 10,000 rockets, 10 conns', r, beacon.rssMb());
      await beacon.stop();
    }

    if (wanted('rockets-churn')) {
      const beacon = await startBeacon();
      // 90,000: below ROCKETS_MAX_CHANNELS (100,000), so every churner POST is a new rocket.
      const c = await listChurn(beacon, 90_000, DURATION);
      const sorted = [...c.listMs].sort((x, y) => x - y);
      row('GET /rockets/{id} (10 conns), 90,000 rockets, nothing else', c.alone, beacon.rssMb());
      row(
        'the same, while one client POSTs a rocket and lists them all, again and again',
        c.churned,
        beacon.rssMb(),
        {
          vs: `p50 ${(c.churned.p50 / Math.max(c.alone.p50, 0.5)).toFixed(1)}×, p99 ${(c.churned.p99 / Math.max(c.alone.p99, 0.5)).toFixed(1)}× of alone`,
          note: `${c.lists} full lists, each ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} ms (median) for the lister`,
        },
      );
      await beacon.stop();
    }

    if (wanted('stream-history')) {
      const h = await historyQuery();
      const sorted = [...h.queryMs].sort((x, y) => x - y);
      const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      figure({
        scenario: `stream: 24 h history query over ${h.posts.toLocaleString('en-US')} posts (in-process store)`,
        p50: p(0.5),
        p99: p(0.99),
        rssMb: process.memoryUsage().rss / 1024 / 1024,
        vs: `max ${Math.max(...h.queryMs).toFixed(1)} ms; ingest stall max ${h.maxStallMs.toFixed(1)} ms`,
        note:
          `first (cold) query ${h.coldMs.toFixed(0)} ms, then ${h.queryMs.length} in 5 s while ${h.ingestedDuringQueries} posts were ingested; ` +
          `${h.bytesPerPost.toFixed(1)} B/post retained; built in ${h.buildSeconds.toFixed(1)} s`,
      });
    }

    if (wanted('stream-ingest')) {
      for (const rate of [10_000, 100_000]) {
        const r = await ingestRate(startBeacon, rate, DURATION);
        figure({
          scenario: `stream: consumer ingest from the simulator asked for ${rate.toLocaleString('en-US')} posts/s`,
          rps: r.perSecond,
          vs: `${Math.round(r.perSecond).toLocaleString('en-US')} posts/s parsed and stored`,
          note: `simulator actually sent ${Math.round(r.sent).toLocaleString('en-US')}/s; ${r.parseErrors} parse errors`,
        });
      }
    }

    if (wanted('udp')) {
      const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
      for (const r of await udpIngest(startBeacon, [25_000, 50_000, 100_000], 5)) {
        figure({
          scenario: `api-metrics: UDP datagrams at ${fmt(r.rate)}/s for 5 s (PostgreSQL)`,
          rps: r.rate,
          vs: `received ${((100 * r.beacon) / r.sent).toFixed(2)}% vs bare receiver ${((100 * r.baseline) / r.sent).toFixed(2)}%`,
          note: `sent ${fmt(r.sent)}; Beacon got ${fmt(r.beacon)}, baseline ${fmt(r.baseline)}`,
        });
      }
    }

    if (wanted('statsd')) {
      for (const r of await statsdIngest(startBeacon, [1000, 2000, 4000], 5)) {
        figure({
          scenario: `StatsD: ${r.rate.toLocaleString('en-US')} datagrams/s × 50 timer lines`,
          rps: r.rate,
          samplesPerSec: r.recorded / 5,
          vs: `${((100 * r.recorded) / r.sentSamples).toFixed(2)}% of ${r.sentSamples.toLocaleString('en-US')} samples recorded`,
        });
      }
    }

    if (wanted('rows')) {
      for (const engine of ['embedded', 'postgresql'] as const) {
        const r = await rowsPerSecond(engine);
        figure({
          scenario: `api-metrics: rows/s persisted on ${engine} (5,000 per unnest INSERT)`,
          rps: r.batched,
          vs: `${(r.batched / r.perRow).toFixed(0)}× one INSERT per row (${Math.round(r.perRow).toLocaleString('en-US')}/s, the seed's way)`,
        });
      }
    }

    if (wanted('ws')) {
      const { beacon, baseline } = await wsFanOut(startBeacon, 100, 10_000, DURATION);
      const line = (name: string, f: typeof beacon, vs?: string) =>
        figure({
          scenario: name,
          rps: f.delivered,
          p99: f.slowestP99LagMs,
          vs,
          note: `max lag ${f.maxLagMs.toFixed(0)} ms; ${f.messagesPerClientPerSec.toFixed(0)} messages/s per client; ${f.dropped.toLocaleString('en-US')} records not delivered`,
        });
      line(
        'baseline: seed-style fan-out, 100 clients × 10,000 records/s (a message per record)',
        baseline,
      );
      line(
        'api-metrics: /ws fan-out, 100 clients × 10,000 records/s (coalesced per tick)',
        beacon,
        `${((100 * beacon.delivered) / baseline.delivered).toFixed(0)}% of baseline deliveries; p99 lag of slowest client in p99 column (ms)`,
      );
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  print();
}

function print(): void {
  const fmt = (n: number | undefined, digits = 0) =>
    n === undefined || Number.isNaN(n)
      ? ''
      : n.toLocaleString('en-US', { maximumFractionDigits: digits });
  const table = rows.map((r) => ({
    scenario: r.scenario,
    'req/s': fmt(r.rps),
    'samples/s': fmt(r.samplesPerSec),
    'p50 ms': fmt(r.p50, 1),
    'p99 ms': fmt(r.p99, 1),
    'RSS MB': fmt(r.rssMb),
    'vs baseline': r.vs ?? '',
    note: r.note ?? '',
  }));
  const cols = Object.keys(table[0] ?? {}) as (keyof (typeof table)[number])[];
  const width = cols.map((c) => Math.max(c.length, ...table.map((t) => t[c].length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => c.padEnd(width[i])).join(' | ') + ' |';
  process.stdout.write(
    [
      `\nBeacon bench — ${DURATION}s per run, ${CONNECTIONS} connections, node ${process.version}\n`,
      line(cols),
      line(width.map((w) => '-'.repeat(w))),
      ...table.map((t) => line(cols.map((c) => t[c]))),
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
