/** What Linux's /proc says about a process: its memory and its CPU time. */
import { readFileSync, readdirSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the parenthesised command name (state first). */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU time (user + system) a process has used so far, in seconds (10 ms resolution). */
export function cpuSeconds(pid: number): number {
  // utime and stime are the 14th and 15th fields of the whole line.
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process and all its descendants (a cluster's primary and its workers, say). */
function processTree(root: number): Set<number> {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parent.set(Number(entry), Number(statFields(entry)[1]));
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
  return tree;
}

/** CPU seconds used so far by a process and its descendants (the processes alive now). */
export function treeCpuSeconds(root: number): number {
  let total = 0;
  for (const pid of processTree(root)) {
    try {
      total += cpuSeconds(pid);
    } catch {
      /* gone */
    }
  }
  return total;
}

/** RSS and PSS summed over a process and all its descendants. */
export function treeMemory(root: number): { rssKb: number; pssKb: number; processes: number } {
  const tree = processTree(root);
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
