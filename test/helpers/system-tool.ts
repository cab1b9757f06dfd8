import { existsSync } from 'node:fs';

/**
 * A Debian package a suite drives (promtool and prometheus from `prometheus`, chromium).
 * In CI (`CI=true`, which `.ci/run` sets and where it installs them) a missing one fails
 * the suite. On a developer's machine without it the suite is skipped, and says so on
 * stderr with the command that installs it, so that `npm test` still passes on a fresh
 * machine without passing the suite off as green.
 */
export function systemTool(path: string, aptPackage: string): boolean {
  if (existsSync(path)) return true;
  const why = `${path} is missing: install it with 'apt-get install -y ${aptPackage}'`;
  if (process.env.CI === 'true') throw new Error(`${why} (CI runs this suite)`);
  process.stderr.write(`SKIPPED: the suites that need ${path}: ${why}\n`);
  return false;
}
