import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError, checkDataDir } from '../common/data-dir';

/** Folders this process holds, so two apps in one process cannot share one either. */
const held = new Set<string>();

/**
 * `DATA_DIR/state`, where local logs live, held by one process at a time through a pid
 * file: a second Beacon on the same DATA_DIR is refused at start (its writes would
 * interleave with ours), while a pid file left by a killed Beacon is taken over.
 */
export class StateDir {
  private constructor(readonly path: string) {}

  static async acquire(dataDir: string): Promise<StateDir> {
    await checkDataDir(dataDir);
    const path = join(dataDir, 'state');
    try {
      mkdirSync(path, { recursive: true });
    } catch (err) {
      throw new DataDirError(
        `cannot create ${path} (${(err as NodeJS.ErrnoException).code}): set DATA_DIR to a writable directory`,
      );
    }
    const pidFile = join(path, 'beacon.pid');
    const other = ownerOf(pidFile);
    if (held.has(path) || (other !== null && other !== process.pid && isRunningNode(other))) {
      throw new DataDirError(
        `${dataDir} is in use by a running Beacon (pid ${other ?? process.pid}): each instance needs its own DATA_DIR`,
      );
    }
    writeFileSync(pidFile, `${process.pid}\n`);
    held.add(path);
    return new StateDir(path);
  }

  /** A log's own folder. */
  logDir(name: string): string {
    return join(this.path, name);
  }

  release(): void {
    if (!held.delete(this.path)) return;
    rmSync(join(this.path, 'beacon.pid'), { force: true });
  }
}

function ownerOf(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The pid runs, and (where /proc tells) it is a node process, not a recycled pid. */
function isRunningNode(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return /node/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // not Linux: trust the pid file
  }
}
