import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMetricsData } from '../src/api-metrics/metrics-datagram';
import { ensureBuilt } from './helpers/build';
import { eventually } from './helpers/eventually';
import { ISOLATED_ENV } from './helpers/isolated-env';
import { tempDir } from './helpers/temp-dir';
import { udpSender } from './helpers/udp';

const ROOT = join(__dirname, '..');

interface Run {
  child: ChildProcess;
  /** Every line written to stdout or stderr so far. */
  lines: string[];
  exited: Promise<number | string>;
}

function run(command: string, args: string[], env: Record<string, string>): Run {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      const parts = (pending + text).split('\n');
      pending = parts.pop()!;
      lines.push(...parts.filter((l) => l.length > 0));
    });
  }
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, lines, exited };
}

const json = (line: string) =>
  JSON.parse(line) as { level: number; msg: string } & Record<string, unknown>;

/**
 * What an operator or a supervisor sees of the process: `npm start` as a container
 * runtime runs it, signals, and what a bad setting prints.
 */
describe('process: start, stop and failure as an operator sees them (e2e)', () => {
  jest.setTimeout(120_000);
  let dir: string;
  let runs: Run[] = [];
  beforeAll(() => {
    // `npm start` builds first (prestart); here the build is made once, and each test
    // starts what npm start would with that step skipped (--ignore-scripts).
    ensureBuilt();
  });
  beforeEach(() => {
    dir = tempDir('beacon-process-');
  });
  afterEach(async () => {
    for (const r of runs) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await Promise.all(runs.map((r) => r.exited));
    runs = [];
    rmSync(dir, { recursive: true, force: true });
  });

  const npmStart = (env: Record<string, string>) => {
    const r = run('npm', ['start', '--silent', '--ignore-scripts'], env);
    runs.push(r);
    return r;
  };
  const listening = (r: Run) =>
    eventually(() => r.lines.some((l) => l.includes('Beacon listening')), 30_000);

  it('SIGTERM to npm start stops the server gracefully: one JSON line saying what it flushed, exit 0', async () => {
    const r = npmStart({
      ...ISOLATED_ENV,
      API_METRICS_ENABLED: 'true',
      DATA_DIR: dir,
      PORT: '0',
      METRICS_UDP_PORT: '0',
      // No scheduled write before the signal: what is queued then must be written by the stop.
      API_METRICS_FLUSH_MS: '60000',
    });
    await listening(r);
    const text = r.lines.join('\n');
    const port = Number(/UDP listening on [^:]+:(\d+)/.exec(text)?.[1]);
    const base = /Beacon listening on (http:\/\/[^ ]+)/.exec(text)![1];
    // Records queued but not yet written when the signal comes: the stop must write them.
    const sender = await udpSender();
    for (let i = 1; i <= 20; i++) {
      await sender.send(
        encodeMetricsData(
          { sequence: i, timestamp: Math.floor(Date.now() / 1000) },
          { route: '/stop', methodByte: 1, statusCode: 200, responseTimeMs: i },
        ),
        port,
      );
    }
    sender.close();
    const queued = async () =>
      (
        (await (await fetch(`${base}/health`)).json()) as {
          details: { apiMetrics: { queued: number } };
        }
      ).details.apiMetrics.queued;
    await eventually(async () => (await queued()) === 20);
    const before = r.lines.length;
    r.child.kill('SIGTERM'); // the npm process, as a supervisor would
    expect(await r.exited).toBe(0);
    const after = r.lines.slice(before);
    expect(after).toHaveLength(1);
    const stopped = json(after[0]);
    expect(stopped).toMatchObject({ level: 30, msg: 'Beacon stopped', signal: 'SIGTERM' });
    expect(stopped.flushed).toMatchObject({
      apiMetrics: { rowsWritten: 20, recordsLost: 0 },
      requestCounter: { countFlushed: expect.any(Number) },
      // Where each module's state was left: the default keeps it in DATA_DIR/state.
      state: {
        latency: expect.objectContaining({
          backend: 'local',
          dir: expect.stringMatching(/state\/latency$/),
        }),
        rockets: expect.objectContaining({ backend: 'local' }),
        stream: expect.objectContaining({ backend: 'local' }),
      },
    });
    // Nothing is left running: not the server, not its PostgreSQL.
    await eventually(() => !processesUnder(dir));
  });

  it('SIGINT (Ctrl-C) stops it the same way', async () => {
    const r = npmStart({ ...ISOLATED_ENV, DATA_DIR: dir, PORT: '0' });
    await listening(r);
    const before = r.lines.length;
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
    expect(r.lines.slice(before).map((l) => json(l).msg)).toEqual(['Beacon stopped']);
  });

  it('every line is JSON with its own time, and start-up narration from Nest is gone', async () => {
    const r = npmStart({ ...ISOLATED_ENV, API_METRICS_ENABLED: 'true', DATA_DIR: dir, PORT: '0' });
    await listening(r);
    const entries = r.lines.map(json);
    expect(entries.map((e) => e.context)).not.toContain('InstanceLoader');
    // Logged as they happened (the embedded PostgreSQL takes a while), not at one flushed instant.
    const times = new Set(entries.map((e) => e.time));
    expect(times.size).toBeGreaterThan(1);
    r.child.kill('SIGTERM');
    await r.exited;
  });

  it.each([
    ['PORT', '99999', /PORT must not be greater than 65535/],
    ['LATENCY_WINDOW_MS', 'soon', /LATENCY_WINDOW_MS/],
    ['DATA_DIR', '/no/such/dir', /DATA_DIR "\/no\/such\/dir" does not exist/],
  ])(
    'a bad setting (%s=%s) prints exactly one line, the JSON one, and exits 1',
    async (name, value, why) => {
      const r = run(process.execPath, ['dist/main.js'], {
        ...ISOLATED_ENV,
        DATA_DIR: dir,
        PORT: '0',
        [name]: value,
      });
      runs.push(r);
      expect(await r.exited).toBe(1);
      expect(r.lines).toHaveLength(1);
      expect(json(r.lines[0])).toMatchObject({ level: 60 });
      expect(json(r.lines[0]).msg).toMatch(why);
    },
  );
});

/** Whether any process still has `dir` on its command line (the embedded PostgreSQL does). */
function processesUnder(dir: string): boolean {
  try {
    execFileSync('pgrep', ['-f', dir]);
    return true;
  } catch {
    return false;
  }
}
