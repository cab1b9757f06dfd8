/**
 * Load generation: autocannon runs (and wrk where autocannon's own CPU would cap what the
 * servers show), the request bodies they send, and a server's CPU per request under load.
 */
import autocannon from 'autocannon';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSON_HEADERS } from './http';
import { cpuSeconds } from './proc';
import { medianBy } from './stats';
import type { Server } from './server';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

/** One autocannon run; a short warm-up first so the JIT has settled. */
export async function load(opts: autocannon.Options & { warmup?: number }): Promise<LoadResult> {
  const { warmup = 2, ...rest } = opts;
  if (warmup > 0) await autocannon({ ...rest, duration: warmup });
  const r = await autocannon(rest);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    total: r.requests.total,
  };
}

/** A load run that POSTs a fresh JSON `body()` on every request (headers: JSON unless given). */
export function postEach(
  url: string,
  body: () => string,
  opts: Omit<autocannon.Options, 'url' | 'method' | 'requests'> & { warmup?: number },
): Promise<LoadResult> {
  return load({
    url,
    method: 'POST',
    headers: JSON_HEADERS,
    ...opts,
    requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
  });
}

/** The run with the median requests/s. */
export function medianRun(runs: LoadResult[]): LoadResult {
  return medianBy(runs, (x) => x.rps);
}

/** Single-sample POSTs to `server` at the run's connections and duration. */
export function postSingle(
  run: { connections: number; duration: number },
  server: Server,
  path: string,
  headers: Record<string, string> = JSON_HEADERS,
): Promise<LoadResult> {
  return postEach(server.url + path, randomLatencyBody, {
    headers,
    connections: run.connections,
    duration: run.duration,
  });
}

/** A latency between 1 ns and 1 s. */
const randomLatency = () => 1 + Math.floor(Math.random() * 1e9);

export function randomLatencyBody(): string {
  return JSON.stringify({ latency_ns: randomLatency() });
}

export function randomBatchBody(size: number): string {
  return JSON.stringify({ latencies_ns: Array.from({ length: size }, randomLatency) });
}

/** GET /metrics (unless `request` says otherwise) at a fixed `rate`, 10 connections, no warm-up. */
export function fixedRate(
  server: Server,
  rate: number,
  duration: number,
  request: Partial<autocannon.Options> = {},
): Promise<LoadResult> {
  return load({
    url: `${server.url}/metrics`,
    connections: 10,
    overallRate: rate,
    duration,
    warmup: 0,
    ...request,
  });
}

/**
 * Server CPU per request at a fixed rate well below saturation. Throughput at saturation
 * swings by ±20% between runs on this shared machine; CPU time per request does not.
 */
export async function cpuPerRequest(
  server: Server,
  rate: number,
  duration: number,
  request: Partial<autocannon.Options> = {},
) {
  const before = cpuSeconds(server.child.pid!);
  const result = await fixedRate(server, rate, duration, request);
  const used = cpuSeconds(server.child.pid!) - before;
  return { result, usPerRequest: (used * 1e6) / result.total };
}

/**
 * A load run with wrk (C, a fraction of autocannon's CPU per request), for scenarios where
 * the load generator's own CPU on this 2-core machine would cap what the servers show.
 * `body` is a Lua expression for each request's body. Needs `wrk` (apt-get install wrk).
 */
export async function wrkLoad(opts: {
  url: string;
  connections: number;
  threads: number;
  duration: number;
  method?: string;
  body?: string;
  /** Lua run once per thread before the first request (state for `body`). */
  prelude?: string;
  /** Pins wrk (taskset's list), away from the server it loads. */
  cpus?: string;
}): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-wrk-'));
  const script = join(dir, 'load.lua');
  writeFileSync(
    script,
    [
      `wrk.method = "${opts.method ?? 'GET'}"`,
      'wrk.headers["Content-Type"] = "application/json"',
      opts.prelude ?? '',
      opts.body ? `request = function() return wrk.format(nil, nil, nil, ${opts.body}) end` : '',
    ].join('\n'),
  );
  const args = [
    `-t${opts.threads}`,
    `-c${opts.connections}`,
    `-d${opts.duration}s`,
    '--latency',
    '-s',
    script,
    opts.url,
  ];
  const [command, argv] =
    opts.cpus === undefined ? ['wrk', args] : ['taskset', ['-c', opts.cpus, 'wrk', ...args]];
  const text = await new Promise<string>((resolve, reject) =>
    execFile(command, argv, (err, stdout) =>
      err ? reject(new Error(err.message)) : resolve(stdout),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
  const ms = (label: string) => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(text);
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const total = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN),
    p50: ms('50'),
    p99: ms('99'),
    errors: errors ? errors.slice(1).reduce((n, x) => n + Number(x), 0) : 0,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
    total,
  };
}

/** Whether wrk is on the PATH. */
function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version.
    return (err as { status?: number }).status === 1;
  }
}

/** wrk when installed: autocannon's own CPU would be most of one of the two cores. */
export const USE_WRK = hasWrk();

/**
 * Runs each side once per round, in turn, and returns each side's runs. Everything compared
 * is up at once and measured in alternating rounds, so drift in the shared machine's speed
 * lands on every side instead of skewing the ratio.
 */
export async function alternatingRounds<T>(
  rounds: number,
  sides: ((round: number) => Promise<T>)[],
): Promise<T[][]> {
  const runs = sides.map(() => [] as T[]);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < sides.length; k++) runs[k].push(await sides[k](round));
  }
  return runs;
}
