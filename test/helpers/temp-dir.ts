import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh directory under the system's temp directory, for a DATA_DIR. mkdtemp makes it
 * 0700; it is opened to 0755 because, as root, the embedded PostgreSQL runs as another
 * user (postgres or nobody) who must be able to enter it.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}
