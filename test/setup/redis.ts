/**
 * Jest global set-up for the Redis suites. TEST_REDIS_URL decides: a redis:// URL is used
 * as given (CI passes the machine's); unset, the machine's Redis at 127.0.0.1:6379 when it
 * answers, else a private `redis-server` started here for the run on a free port (Debian's
 * redis-server package). Tests keep their keys under a prefix of their own.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tempDir } from '../helpers/temp-dir';
import { answers, freePort } from './net';

export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';
const KEY = '__beaconTestRedis';
type WithServer = typeof globalThis & { [KEY]?: { child: ChildProcess; dir: string } };

export async function setup(): Promise<void> {
  if (process.env.TEST_REDIS_URL) return;
  if (await answers('127.0.0.1', 6379)) {
    process.env.TEST_REDIS_URL = LOCAL_REDIS_URL;
    return;
  }
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'the Redis suites need a Redis: none answers at 127.0.0.1:6379 and redis-server is not ' +
        'installed (apt-get install redis-server), nor is TEST_REDIS_URL set',
    );
  }
  const port = await freePort();
  const dir = tempDir('beacon-test-redis-');
  const child = spawnRedisServer(port, dir, { appendOnly: false });
  (globalThis as WithServer)[KEY] = { child, dir };
  for (let i = 0; i < 100 && !(await answers('127.0.0.1', port)); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  process.env.TEST_REDIS_URL = `redis://127.0.0.1:${port}`;
  process.stderr.write(`\nRedis suites: a private redis-server at ${process.env.TEST_REDIS_URL}\n`);
}

/** A `redis-server` on loopback `port` with its files in `dir`; never RDB snapshots. */
export function spawnRedisServer(
  port: number,
  dir: string,
  options: { appendOnly: boolean; args?: string[] },
): ChildProcess {
  return spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
      ...['--appendonly', options.appendOnly ? 'yes' : 'no'],
      ...(options.args ?? []),
    ],
    { stdio: 'ignore' },
  );
}

export async function teardown(): Promise<void> {
  const started = (globalThis as WithServer)[KEY];
  if (!started) return;
  started.child.kill('SIGTERM');
  await new Promise((r) => started.child.once('exit', r));
  rmSync(started.dir, { recursive: true, force: true });
}
