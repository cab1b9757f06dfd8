/**
 * `npm start`'s prestart: runs `npm run build` only when dist/ is missing or older than
 * what it is built from, so a second start with nothing changed skips the ~7 s build.
 *
 * Stale when dist/main.js is missing, or anything below is newer than it: a file or a
 * folder (a folder's time changes when a file is added, removed or renamed) under src/,
 * tsconfig*.json, nest-cli.json or package-lock.json (new dependencies).
 *
 *   node scripts/build-if-stale.mjs           build if stale (one line on stderr says why)
 *   node scripts/build-if-stale.mjs --check   only say: exit 0 if fresh, 1 and the reason if stale
 *
 * Plain JavaScript, not TypeScript: it runs before every start, and ts-node alone would
 * cost more than the check.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The newest mtime under `path` (itself included), and which path has it. */
function newest(path) {
  const stat = statSync(path);
  let best = { mtimeMs: stat.mtimeMs, path };
  if (!stat.isDirectory()) return best;
  for (const entry of readdirSync(path)) {
    const inner = newest(join(path, entry));
    if (inner.mtimeMs > best.mtimeMs) best = inner;
  }
  return best;
}

/** Why dist/ must be built again, or null when it is up to date. */
function staleReason(root) {
  let built;
  try {
    built = statSync(join(root, 'dist', 'main.js')).mtimeMs;
  } catch {
    return 'dist/main.js does not exist';
  }
  const inputs = ['src', 'nest-cli.json', 'package-lock.json'];
  for (const name of readdirSync(root)) {
    if (/^tsconfig.*\.json$/.test(name)) inputs.push(name);
  }
  for (const input of inputs) {
    let found;
    try {
      found = newest(join(root, input));
    } catch {
      continue; // an input that is not there (no package-lock.json) changes nothing
    }
    if (found.mtimeMs > built) return `${relative(root, found.path)} is newer than dist/main.js`;
  }
  return null;
}

function main(argv) {
  const check = argv.includes('--check');
  const root =
    argv.find((a) => !a.startsWith('--')) ?? fileURLToPath(new URL('..', import.meta.url));
  const reason = staleReason(root);
  if (check) {
    process.stdout.write(`${reason ?? 'fresh'}\n`);
    return reason === null ? 0 : 1;
  }
  if (reason === null) return 0;
  process.stderr.write(`building: ${reason}\n`);
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  // `nest build` writes JavaScript even when type-checking fails: without this, the next
  // start would find a dist/ newer than src/ and run code that never compiled.
  if (build.status !== 0) rmSync(join(root, 'dist', 'main.js'), { force: true });
  return build.status ?? 1;
}

process.exitCode = main(process.argv.slice(2));
