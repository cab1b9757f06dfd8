import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

/**
 * Builds dist/ (what `npm start` runs) unless it is newer than every file in src/, so
 * suites that start real processes start the real build, and build it once per change.
 */
export function ensureBuilt(): void {
  const main = join(ROOT, 'dist', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs > newest(join(ROOT, 'src'))) return;
  execFileSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'ignore' });
}
