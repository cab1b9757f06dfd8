import { readFileSync } from 'node:fs';

/** A process with this pid exists (EPERM: it does, but belongs to another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process runs node: its program (argv[0]), not any argument that happens to
 * contain "node". Null where /proc cannot tell (not Linux, or it is gone).
 */
export function runsNode(pid: number): boolean | null {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return /(^|\/)node[^/]*$/.test(argv0);
  } catch {
    return null;
  }
}
