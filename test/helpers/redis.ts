import type { HttpAdapterHost } from '@nestjs/core';
import Redis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Clock } from '../../src/common/clock';
import { CoreSettings } from '../../src/config/core.settings';
import { loadSettings } from '../../src/config/load-settings';
import { StateSettings } from '../../src/shared-state/state.settings';
import { NodeFileIo } from '../../src/shared-state/file-log';
import { ShutdownReport } from '../../src/common/shutdown-report';
import { SharedState } from '../../src/shared-state/shared-state';
import { answers, freePort } from '../setup/net';
import { spawnRedisServer } from '../setup/redis';
import { eventually } from './eventually';
import { tempDir } from './temp-dir';

/** The Redis the suites use; the jest set-up (`test/setup/redis.ts`) fills it in. */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: run the tests through jest (npm test)');
  return url;
}

/** A REDIS_PREFIX no other test (or run) uses. */
export function uniquePrefix(name: string): string {
  return `test-${name}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `prefix:`. */
export async function dropPrefix(prefix: string, url = testRedisUrl()): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The shared-state settings of one replica, as a Beacon on `prefix` would have them. */
export function sharedStateFor(prefix: string, clock: Clock, url = testRedisUrl()): SharedState {
  const settings = loadSettings({ STATE_BACKEND: 'redis', REDIS_URL: url, REDIS_PREFIX: prefix });
  return new SharedState(
    settings.get(CoreSettings),
    settings.get(StateSettings),
    clock,
    {} as HttpAdapterHost,
    new NodeFileIo(),
    new ShutdownReport(),
  );
}

/** A redis-server of the test's own, with AOF on, that the test can stop and start again. */
export async function privateRedis(options: { replicaOf?: number } = {}) {
  const port = await freePort();
  const dir = tempDir('beacon-private-redis-');
  let child: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}`;
  const args = options.replicaOf ? ['--replicaof', '127.0.0.1', String(options.replicaOf)] : [];
  const start = async () => {
    child = spawnRedisServer(port, dir, { appendOnly: true, args });
    await eventually(() => answers('127.0.0.1', port));
  };
  /** Ends the server with `sig` and waits for it to exit. */
  const end = async (sig: 'SIGTERM' | 'SIGKILL') => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    c.kill(sig);
    await new Promise((r) => c.once('exit', r));
  };
  const stop = () => end('SIGTERM');
  /** kill -9: a Redis that dies at once, mid-write. */
  const kill = () => end('SIGKILL');
  /** SIGSTOP / SIGCONT: a Redis that hangs (keeps its connections, answers nothing). */
  const signal = (sig: 'SIGSTOP' | 'SIGCONT') => child?.kill(sig);
  await start();
  return {
    url,
    port,
    start,
    stop,
    kill,
    signal,
    /** Deletes its files (call between stop and start): the next start is an empty Redis. */
    wipe: () => {
      for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A master, `replicas` replicas and three sentinels watching it as `mymaster` (down after
 * 1 s), all on loopback: what REDIS_SENTINELS is tested against.
 */
export async function sentinelGroup(replicas: number) {
  const master = await privateRedis();
  const copies = await Promise.all(
    Array.from({ length: replicas }, () => privateRedis({ replicaOf: master.port })),
  );
  const dir = tempDir('beacon-sentinels-');
  const sentinels: { port: number; child: ChildProcess }[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${i}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
        'sentinel down-after-milliseconds mymaster 1000',
        'sentinel failover-timeout mymaster 5000',
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    sentinels.push({ port, child });
    await eventually(() => answers('127.0.0.1', port));
  }
  // Every sentinel knows the replicas before the test kills anything.
  await eventually(async () => {
    for (const s of sentinels) {
      const probe = new Redis(s.port, '127.0.0.1', { lazyConnect: true });
      try {
        await probe.connect();
        const found = (await probe.call('SENTINEL', 'REPLICAS', 'mymaster')) as unknown[];
        if (found.length < replicas) return false;
      } finally {
        probe.disconnect();
      }
    }
    return true;
  }, 20_000);
  return {
    master,
    replicas: copies,
    sentinels: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
    /** The master the sentinels name now (its port). */
    async currentMaster(): Promise<number> {
      const probe = new Redis(sentinels[0].port, '127.0.0.1');
      try {
        const [, port] = (await probe.call(
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          'mymaster',
        )) as string[];
        return Number(port);
      } finally {
        probe.disconnect();
      }
    },
    async stop(): Promise<void> {
      for (const s of sentinels) {
        if (s.child.exitCode === null) {
          s.child.kill('SIGKILL');
          await new Promise((r) => s.child.once('exit', r));
        }
      }
      for (const r of [master, ...copies]) {
        await r.stop();
        r.cleanup();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
