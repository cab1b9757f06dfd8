import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COUNTER_FILE } from '../src/request-counter/file-request-counter.store';
import { eventually } from './helpers/eventually';
import { ServerProcess, startServerProcess } from './helpers/server-process';

/**
 * The real server as a child process: killed with SIGKILL under load, stopped with
 * SIGTERM, started on damaged files. These are the promises docs/design.md makes.
 */
describe('request counter across process restarts and crashes (e2e)', () => {
  jest.setTimeout(120_000);
  let dir: string;
  let running: ServerProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'beacon-crash-'));
  });
  afterEach(async () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
    running = [];
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string> = {}) => {
    const p = await startServerProcess({ DATA_DIR: dir, ...env });
    running.push(p);
    return p;
  };
  const count = async (p: ServerProcess) =>
    ((await (await fetch(`${p.baseUrl}/counter`)).json()) as { count: number }).count;
  const warnings = (p: ServerProcess) => p.logs.filter((l) => l.level >= 40).map((l) => l.msg);

  /** `senders` loops of back-to-back requests until `stop()`; counts those sent and answered. */
  function drive(p: ServerProcess, senders = 8) {
    let running = true;
    const load = { sent: 0, answered: 0 };
    const loops = Array.from({ length: senders }, async () => {
      while (running) {
        load.sent++;
        try {
          const res = await fetch(`${p.baseUrl}/load`);
          await res.arrayBuffer();
          load.answered++;
        } catch {
          return; // the server is gone
        }
      }
    });
    return {
      load,
      stop: async () => {
        running = false;
        await Promise.all(loops);
        return load;
      },
    };
  }
  /** The request counter's completed writes, from /health (itself a counted request). */
  const flushes = async (p: ServerProcess) =>
    (
      (await (await fetch(`${p.baseUrl}/health`)).json()) as {
        details: { requestCounter: { flushes: number } };
      }
    ).details.requestCounter.flushes;

  it('SIGKILL under load loses only the requests since the last completed flush', async () => {
    const a = await start({ COUNTER_FLUSH_MS: '50' });
    const driving = drive(a);
    // Enough load for the bound to mean something.
    await eventually(() => driving.load.answered > 200);
    // Every request answered by now is counted in memory; the write after the one in
    // progress (if any) starts later, so once it has completed they are all on disk.
    const mustSurvive = driving.load.answered;
    let healthReads = 1;
    const seen = await flushes(a);
    await eventually(async () => {
      healthReads++;
      return (await flushes(a)) >= seen + 2;
    });
    // Killed at no particular point of the flush cycle: after 0–49 more answers.
    const killAfter = driving.load.answered + Math.floor(Math.random() * 50);
    await eventually(() => driving.load.answered >= killAfter);
    a.child.kill('SIGKILL');
    const { sent } = await driving.stop();
    expect(await a.exited).toBe('SIGKILL');

    const b = await start({ COUNTER_FLUSH_MS: '50' });
    const restored = (await count(b)) - 1; // minus this GET
    expect(restored).toBeGreaterThanOrEqual(mustSurvive);
    // Nothing can appear that was never sent (the /health reads were sent too).
    expect(restored).toBeLessThanOrEqual(sent + healthReads);
    // A process crash cannot tear a write: the file was read without any warning.
    expect(warnings(b)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual([COUNTER_FILE, 'state']);
  });

  it('SIGTERM flushes everything: not one request is lost', async () => {
    // A flush interval far longer than the test: only the shutdown flush can save them.
    const a = await start({ COUNTER_FLUSH_MS: '59000' });
    const driving = drive(a, 4);
    await eventually(() => driving.load.answered > 200);
    const { sent, answered } = await driving.stop();
    expect(answered).toBe(sent);
    a.child.kill('SIGTERM');
    expect(await a.exited).not.toBe('SIGKILL');
    const b = await start();
    expect(await count(b)).toBe(sent + 1);
  });

  it('starts on a truncated file, using its good part, with a warning', async () => {
    const a = await start();
    await Promise.all(Array.from({ length: 50 }, () => fetch(`${a.baseUrl}/x`)));
    a.child.kill('SIGTERM');
    await a.exited;
    // Append a frame header that promises more bytes than follow: an unfinished write.
    appendFileSync(join(dir, COUNTER_FILE), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5]));
    const size = statSync(join(dir, COUNTER_FILE)).size;
    truncateSync(join(dir, COUNTER_FILE), size - 2);
    const b = await start();
    expect(await count(b)).toBe(51);
    expect(warnings(b).join('\n')).toMatch(/unfinished write/);
  });

  it('starts on a garbage file: moved aside with a warning, counting from zero', async () => {
    writeFileSync(join(dir, COUNTER_FILE), Buffer.from('\x00garbage\xff'.repeat(1000), 'latin1'));
    const b = await start();
    expect(await count(b)).toBe(1);
    expect(warnings(b).join('\n')).toMatch(/not a request-counter file; moved it to/);
    expect(readdirSync(dir).some((f) => f.startsWith(`${COUNTER_FILE}.corrupt-`))).toBe(true);
  });

  it('a missing DATA_DIR stops start-up with one clear fatal line, exit code 1', async () => {
    const missing = join(dir, 'missing');
    const failure = startServerProcess({ DATA_DIR: missing });
    await expect(failure).rejects.toThrow(/^server exited \(1\) before listening/);
    await expect(failure).rejects.toThrow(`DATA_DIR "${missing}" does not exist`);
  });
});
