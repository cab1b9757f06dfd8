import { ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt } from './helpers/build';
import { ISOLATED_ENV } from './helpers/isolated-env';
import { freshSchema, TestSchema } from './helpers/postgres';
import { dropPrefix, testRedisUrl, uniquePrefix } from './helpers/redis';
import { tempDir } from './helpers/temp-dir';

const ROOT = join(__dirname, '..');

/** Another process holding a loopback port (TCP or UDP), as a user's stray server would. */
async function holdPort(
  protocol: 'tcp' | 'udp',
): Promise<{ port: number; release: () => Promise<void> }> {
  const script =
    protocol === 'tcp'
      ? "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port))"
      : "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>console.log(s.address().port))";
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the port holder exited (${code})`)));
  });
  return {
    port,
    release: async () => {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null)
        await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Runs the built Beacon (what npm start runs) to its exit: the code and every output line. */
async function runBeacon(
  env: Record<string, string>,
): Promise<{ code: number | string; lines: string[] }> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      ...ISOLATED_ENV,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | string>((resolve) =>
    child.once('exit', (c, signal) => resolve(c ?? signal ?? 'unknown')),
  );
  clearTimeout(timer);
  return { code, lines: out.split('\n').filter((l) => l.length > 0) };
}

const messages = (lines: string[]) =>
  lines.map((l) => {
    try {
      return JSON.parse(l) as { level: number; msg: string };
    } catch {
      return { level: 0, msg: l }; // not a log line: kept, so the test sees it
    }
  });

/**
 * A port Beacon needs is held by another process: Beacon exits 1 with one line that names
 * the setting to change, for each of its four ports, and in a cluster (WORKERS=2) too,
 * where every worker fails on PORT but the line is said once.
 */
describe('a port already in use (e2e)', () => {
  jest.setTimeout(120_000);
  let dataDir: string;
  let schema: TestSchema;
  beforeAll(async () => {
    ensureBuilt();
    schema = await freshSchema('beacon_ports');
  });
  afterAll(() => schema.drop());
  beforeEach(() => {
    dataDir = tempDir('beacon-ports-');
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const expectOneLine = (result: { code: number | string; lines: string[] }, expected: string) => {
    expect(result.code).toBe(1);
    const logged = messages(result.lines);
    // Exactly one error-or-worse line, and it is the message; no raw error anywhere.
    expect(logged.filter((l) => l.level === 0 || l.level >= 50).map((l) => l.msg)).toEqual([
      expected,
    ]);
    expect(result.lines.join('\n')).not.toMatch(/EADDRINUSE|stack/);
  };

  it.each([
    ['PORT', 'tcp', {}],
    ['STATSD_UDP_PORT', 'udp', {}],
    ['METRICS_UDP_PORT', 'udp', { API_METRICS_ENABLED: 'true' }],
    ['COMPAT_002_PORT', 'tcp', { API_METRICS_ENABLED: 'true' }],
  ] as const)('%s taken: exit 1, one line naming it', async (setting, protocol, extra) => {
    const holder = await holdPort(protocol);
    try {
      const result = await runBeacon({
        DATA_DIR: dataDir,
        DATABASE_URL: schema.url,
        ...extra,
        [setting]: String(holder.port),
      });
      const kind = protocol === 'udp' ? 'UDP port' : 'port';
      expectOneLine(
        result,
        `${kind} ${holder.port} (${setting}) on 127.0.0.1 is already in use: stop the other process or set ${setting}`,
      );
    } finally {
      await holder.release();
    }
  });

  it('WORKERS=2 with PORT taken: the primary says it once and the cluster exits 1', async () => {
    const holder = await holdPort('tcp');
    const prefix = uniquePrefix('ports');
    try {
      const result = await runBeacon({
        DATA_DIR: dataDir,
        WORKERS: '2',
        STATE_BACKEND: 'redis',
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        PORT: String(holder.port),
      });
      expectOneLine(
        result,
        `port ${holder.port} (PORT) on 127.0.0.1 is already in use: stop the other process or set PORT`,
      );
      // Not restarted in a loop: no worker was replaced.
      expect(result.lines.join('\n')).not.toContain('starting another');
    } finally {
      await holder.release();
      await dropPrefix(prefix);
    }
  });
});
