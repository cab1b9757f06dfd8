import autocannon from 'autocannon';
import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/setup/net';

export interface Server {
  url: string;
  child: ChildProcess;
  rssMb: () => number;
  stop: () => Promise<void>;
}

/** Starts `node args…` with PORT set and waits until `readyPath` answers 2xx/404. */
export async function startServer(
  args: string[],
  env: Record<string, string>,
  readyPath = '/',
): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  // Long enough for a redis-mode instance to replay a full day of posts before it listens.
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited early`);
    try {
      const res = await fetch(url + readyPath);
      if (res.status < 500) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    rssMb: () => rssMb(child.pid!),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU time (user + system) a process has used so far, in seconds (10 ms resolution). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

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

/** A latency between 1 ns and 1 s. */
const randomLatency = () => 1 + Math.floor(Math.random() * 1e9);

export function randomLatencyBody(): string {
  return JSON.stringify({ latency_ns: randomLatency() });
}

export function randomBatchBody(size: number): string {
  return JSON.stringify({ latencies_ns: Array.from({ length: size }, randomLatency) });
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
}): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-wrk-'));
  const script = join(dir, 'load.lua');
  writeFileSync(
    script,
    [
      `wrk.method = "${opts.method ?? 'GET'}"`,
      'wrk.headers["Content-Type"] = "application/json"',
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
  const text = await new Promise<string>((resolve, reject) =>
    execFile('wrk', args, (err, stdout) =>
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
export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version.
    return (err as { status?: number }).status === 1;
  }
}
