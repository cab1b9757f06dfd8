import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres';

// As root the server runs as another user, who must be able to enter every folder above
// DATA_DIR; CI and the development machines run as root. As another user there is no check.
const asRoot = process.getuid?.() === 0;

describe('the embedded PostgreSQL as root', () => {
  (asRoot ? it : it.skip)(
    'names the topmost folder its user cannot enter, not one below it',
    async () => {
      // A clone inside a `mktemp -d` folder (0700), its own folders open (0755).
      const closed = mkdtempSync(join(tmpdir(), 'beacon-closed-'));
      const data = join(closed, 'clone', 'data');
      mkdirSync(data, { recursive: true });
      chmodSync(join(closed, 'clone'), 0o755);
      chmodSync(data, 0o755);
      try {
        await expect(startEmbeddedPostgres({ dir: join(data, 'api-metrics.pg') })).rejects.toThrow(
          `cannot enter ${closed}: allow it (chmod o+x ${closed})`,
        );
      } finally {
        rmSync(closed, { recursive: true, force: true });
      }
    },
  );
});
