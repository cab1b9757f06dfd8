/**
 * What `npm start` costs at rest: the whole process tree (Beacon and the embedded
 * PostgreSQL it starts) 20 s after start with every module on, on a fresh DATA_DIR and
 * again after a restart on the same one. RSS is summed over the tree; PSS (which splits
 * shared pages between the processes that share them) is given beside it.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../test/helpers/temp-dir';
import { freePort } from '../test/setup/net';

export interface IdleFigure {
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

export async function idleFootprint(settleMs = 20_000): Promise<IdleFigure[]> {
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

/** RSS and PSS summed over a process and all its descendants (Linux /proc). */
export function treeMemory(root: number): { rssKb: number; pssKb: number; processes: number } {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  let rssKb = 0;
  let pssKb = 0;
  for (const pid of tree) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rssKb += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pssKb += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return { rssKb, pssKb, processes: tree.size };
}
