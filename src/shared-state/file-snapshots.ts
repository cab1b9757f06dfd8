import { open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from '../infra/data-dir';
import { Frame, SNAPSHOT_MAGIC, encodeFrame, hasMagic, scanFrames } from './log-frames';

const NAME = /^snapshot-(\d{16})\.bin$/;

/** `snapshot-0000000000001234.bin`: names that sort by the entry they hold. */
export function snapshotName(seq: number): string {
  return `snapshot-${String(seq).padStart(16, '0')}.bin`;
}

/**
 * A local log's snapshots: each a file of its own (written to a temp name, fdatasynced,
 * renamed, the directory synced), so a crash leaves the previous one whole. The newest two
 * are kept: a damaged newest falls back to the one before it and the log since then.
 */
export class FileSnapshots {
  constructor(private readonly dir: string) {}

  /** Entry seqs of the snapshots on disk, oldest first. */
  async list(): Promise<number[]> {
    return (await readdir(this.dir))
      .map((f) => NAME.exec(f))
      .filter((m) => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  /**
   * The snapshot of entry `seq`: its state, or why it cannot be used. Bytes after its one
   * frame (garbage appended) are reported, not fatal: the checksum vouches for the state.
   */
  async read(seq: number): Promise<{ state: Buffer; note: string | null } | { damaged: string }> {
    const buf = await readFile(join(this.dir, snapshotName(seq)));
    if (!hasMagic(buf, SNAPSHOT_MAGIC)) return { damaged: 'it is not a Beacon snapshot' };
    let frame: Frame | null = null;
    const scan = scanFrames(buf, SNAPSHOT_MAGIC.length, (f) => {
      frame = f;
      return false;
    });
    if (frame === null) {
      return { damaged: `it is ${scan.damage === 'torn' ? 'cut short' : 'corrupt'} (checksum)` };
    }
    const { seq: holds, payload } = frame as Frame;
    if (holds !== seq) return { damaged: `it holds entry ${holds}, not ${seq}` };
    const extra = buf.length - scan.validBytes;
    return { state: payload, note: extra > 0 ? `ignored ${extra} bytes after its end` : null };
  }

  /** Stores the state at entry `seq` durably; returns its size in bytes. */
  async write(seq: number, at: number, state: Buffer): Promise<number> {
    const path = join(this.dir, snapshotName(seq));
    const tmp = `${path}.tmp`;
    const frame = encodeFrame(seq, at, state);
    try {
      const h = await open(tmp, 'w');
      try {
        // writeFile loops until every byte is written (a bare write may stop short).
        await h.writeFile(Buffer.concat([SNAPSHOT_MAGIC, frame]));
        await h.datasync();
      } finally {
        await h.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    await syncDir(this.dir);
    return SNAPSHOT_MAGIC.length + frame.length;
  }

  /** Moves a damaged snapshot out of the way, so the next start does not try it again. */
  async setAside(seq: number): Promise<string> {
    const path = join(this.dir, snapshotName(seq));
    const aside = `${path}.damaged`;
    await rename(path, aside);
    return aside;
  }

  /** Deletes every snapshot older than `seq`. */
  async dropBefore(seq: number): Promise<void> {
    for (const s of await this.list()) {
      if (s < seq) await rm(join(this.dir, snapshotName(s)), { force: true });
    }
  }
}
