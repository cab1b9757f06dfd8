/**
 * What `npm start` costs at rest: the whole process tree (Beacon and the embedded
 * PostgreSQL it starts) 20 s after start with every module on, on a fresh DATA_DIR and
 * again after a restart on the same one. RSS is summed over the tree; PSS (which splits
 * shared pages between the processes that share them) is given beside it.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../test/helpers/temp-dir';
import { freePort } from '../../test/setup/net';
import { treeMemory } from '../lib/proc';
import { Scenario, figure } from '../lib/scenario';

interface IdleFigure {
  run: 'fresh DATA_DIR' | 'restart';
  rssMb: number;
  pssMb: number;
  processes: number;
  /** Until `Beacon listening`, from spawning node. */
  readyMs: number;
  /** What Beacon logged about the embedded PostgreSQL's start-up. */
  postgresStart: string;
  stop: string;
}

export const idle: Scenario = {
  name: 'idle',
  run: async () =>
    (await idleFootprint()).map((f) =>
      figure({
        scenario: `idle: npm start defaults, every module on, 20 s after start (${f.run})`,
        rssMb: f.rssMb,
        vs: `${f.rssMb.toFixed(0)} MB RSS summed over ${f.processes} processes (target ≤ 250); PSS ${f.pssMb.toFixed(0)} MB`,
        note: `listening after ${Math.round(f.readyMs)} ms; ${f.postgresStart}; SIGTERM: ${f.stop}`,
      }),
    ),
};

async function idleFootprint(settleMs = 20_000): Promise<IdleFigure[]> {
  const dir = tempDir('beacon-bench-idle-');
  const out: IdleFigure[] = [];
  try {
    for (const run of ['fresh DATA_DIR', 'restart'] as const) {
      out.push(await once(run, dir, settleMs));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function once(run: IdleFigure['run'], dir: string, settleMs: number): Promise<IdleFigure> {
  const port = await freePort();
  const started = performance.now();
  // The defaults, every module on; only the ports are free ones so the bench cannot
  // collide with anything else on the machine.
  const child = spawn(process.execPath, ['dist/main.js'], {
    env: {
      PATH: process.env.PATH,
      DATA_DIR: dir,
      PORT: String(port),
      METRICS_UDP_PORT: '0',
      STATSD_UDP_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let readyMs = NaN;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    for (const line of text.split('\n').filter(Boolean)) {
      lines.push(line);
      if (line.includes('Beacon listening')) readyMs = performance.now() - started;
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await sleep(settleMs);
  if (child.exitCode !== null) throw new Error(`Beacon exited: ${lines.join('\n')}`);
  const { rssKb, pssKb, processes } = treeMemory(child.pid!);
  child.kill('SIGTERM');
  const code = await exited;
  const msg = (l: string) => (JSON.parse(l) as { msg: string }).msg;
  return {
    run,
    rssMb: rssKb / 1024,
    pssMb: pssKb / 1024,
    processes,
    readyMs,
    postgresStart: lines.map(msg).find((m) => m.startsWith('embedded PostgreSQL')) ?? 'not logged',
    stop: `exit ${code}; ${lines.filter((l) => l.includes('Beacon stopped')).length} stop line`,
  };
}
