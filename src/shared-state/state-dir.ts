import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError, checkDataDir } from '../infra/data-dir';
import { alive, runsNode } from '../infra/processes';

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
    const inUse = (pid: number) =>
      new DataDirError(
        `${dataDir} is in use by a running Beacon (pid ${pid}): each instance needs its own DATA_DIR`,
      );
    if (held.has(path)) throw inUse(process.pid);
    // Created only if absent (O_EXCL), so two starting at once cannot both take it; a
    // file left by a Beacon that is gone (kill -9) is taken over.
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(pidFile, `${process.pid}\n`, { flag: 'wx' });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
        const other = ownerOf(pidFile);
        if (other !== null && other !== process.pid && isRunningNode(other)) throw inUse(other);
        rmSync(pidFile, { force: true });
      }
    }
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

/** The pid runs, and (where /proc tells) it is a node program, not a recycled pid. */
function isRunningNode(pid: number): boolean {
  return alive(pid) && runsNode(pid) !== false;
}
