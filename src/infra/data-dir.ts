import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';

/** DATA_DIR is missing or unusable: the service must not start. */
export class DataDirError extends Error {}

/** DATA_DIR exists and this process can read and write it; `DataDirError` says what to fix. */
export async function checkDataDir(dir: string): Promise<void> {
  const hint = 'create it, or set DATA_DIR to a writable directory';
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataDirError(
      code === 'ENOENT'
        ? `DATA_DIR "${dir}" does not exist: ${hint}`
        : `DATA_DIR "${dir}" cannot be read (${code}): ${hint}`,
    );
  }
  if (!isDir) throw new DataDirError(`DATA_DIR "${dir}" is not a directory: ${hint}`);
  try {
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    throw new DataDirError(`DATA_DIR "${dir}" is not writable: ${hint}`);
  }
}

/** Makes a rename or a new file durable: the directory entry itself must reach the disk. */
export async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
