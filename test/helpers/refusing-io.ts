import { FileIo, NodeFileIo } from '../../src/shared-state/file-log';

/**
 * The local logs' file calls, refusing writes while `refusing` names an error code
 * (ENOSPC, EIO) as a full or failing disk would (half of each frame reaches the file first,
 * then the call throws), and failing fdatasync while `failingSync` does. The real calls
 * otherwise.
 */
export class RefusingIo extends FileIo {
  refusing: string | null = null;
  /** fdatasync fails with this code (EIO), as on a failing disk, while set. */
  failingSync: string | null = null;
  private readonly real = new NodeFileIo();

  write(fd: number, data: Buffer, position: number): number {
    if (this.refusing) {
      this.real.write(fd, data.subarray(0, data.length >> 1), position);
      throw Object.assign(new Error(`${this.refusing}: the disk refused the write`), {
        code: this.refusing,
      });
    }
    return this.real.write(fd, data, position);
  }

  datasync(fd: number): Promise<void> {
    if (this.failingSync) {
      return Promise.reject(
        Object.assign(new Error(`${this.failingSync}: fdatasync failed`), {
          code: this.failingSync,
        }),
      );
    }
    return this.real.datasync(fd);
  }
}
