import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * Builds dist/ (what `npm start` runs) when it is stale, by the same rule `npm start` uses
 * (scripts/build-if-stale.mjs), so suites that start real processes start the real build,
 * built once per change.
 */
export function ensureBuilt(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-if-stale.mjs')], {
    cwd: ROOT,
    stdio: 'ignore',
  });
}
