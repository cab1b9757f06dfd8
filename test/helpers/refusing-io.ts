import { FileIo, NodeFileIo } from '../../src/shared-state/file-log';

/**
 * The local logs' file calls, refusing writes while `refusing` names an error code
 * (ENOSPC, EIO) as a full or failing disk would: half of each frame reaches the file first,
 * then the call throws. The real calls otherwise.
 */
export class RefusingIo extends FileIo {
  refusing: string | null = null;
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
    return this.real.datasync(fd);
  }
}
