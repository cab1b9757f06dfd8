/** The processes a scenario drives: Beacon, the bare-Nest baseline, the seed's UDP receiver. */
import { ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/setup/net';
import { rssMb } from './proc';

export interface Server {
  url: string;
  child: ChildProcess;
  rssMb: () => number;
  stop: () => Promise<void>;
}

/** Where a server runs: `cpus` pins it (taskset's list, `1` or `0,1`). */
export interface Placement {
  cpus?: string;
}

/** Starts a Beacon on a DATA_DIR of its own, with the run's settings and `env` on top. */
export type StartBeacon = (env?: Record<string, string>, placement?: Placement) => Promise<Server>;

/** Starts `node args…` with PORT set and waits until `readyPath` answers 2xx/404. */
export async function startServer(
  args: string[],
  env: Record<string, string>,
  readyPath = '/',
  placement: Placement = {},
): Promise<Server> {
  const port = await freePort();
  // taskset execs node in its own process: the pid stays the server's, for /proc readings.
  const [command, argv] =
    placement.cpus === undefined
      ? [process.execPath, args]
      : ['taskset', ['-c', placement.cpus, process.execPath, ...args]];
  const child = spawn(command, argv, {
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
    await sleep(100);
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

/** Spawn to serving (/health/live answers), in ms. */
export async function timedStart(startBeacon: StartBeacon, env: Record<string, string>) {
  const t = performance.now();
  const server = await startBeacon(env);
  return { server, ms: performance.now() - t };
}

/** The seed-style baseline process (bench/seed-udp-ws.ts): its UDP and WebSocket ports, and its receive count. */
export async function startSeedBaseline(): Promise<{
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
