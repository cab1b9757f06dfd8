import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ISOLATED_ENV } from './helpers/isolated-env';
import { tempDir } from './helpers/temp-dir';

const ROOT = join(__dirname, '..');
const SCRIPT = join(ROOT, 'scripts', 'build-if-stale.mjs');

/** `build-if-stale.mjs --check` on a project folder: 'fresh', or why it is stale. */
function check(root: string): { status: number | null; said: string } {
  const r = spawnSync(process.execPath, [SCRIPT, '--check', root], { encoding: 'utf8' });
  return { status: r.status, said: r.stdout.trim() };
}

/** Sets a file's (or folder's) modification time, in seconds since the epoch. */
const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

/** Runs `npm start` in `cwd` until Beacon listens; resolves with its output, then stops it. */
function npmStart(cwd: string, dataDir: string): Promise<{ stderr: string; stdout: string }> {
  const child = spawn('npm', ['start'], {
    cwd,
    env: { ...process.env, ...ISOLATED_ENV, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let listening = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (listening || !stdout.includes('Beacon listening on')) return;
      listening = true;
      child.kill('SIGTERM');
    });
    child.once('exit', (code) => {
      if (listening) resolve({ stderr, stdout });
      else reject(new Error(`npm start exited (${code}) before listening:\n${stdout}\n${stderr}`));
    });
  });
}

/**
 * `npm start` builds only when dist/ is stale (scripts/build-if-stale.mjs as its prestart):
 * what counts as stale, on a folder of files with set times, then the real thing on a copy
 * of the project without dist/, as a fresh clone has it: the first start builds, the
 * second starts at once from the same dist/.
 */
describe('npm start builds only a stale dist (e2e)', () => {
  it('is stale without dist, or when a source, a tsconfig, nest-cli.json or the lock is newer', () => {
    const root = tempDir('beacon-stale-');
    try {
      mkdirSync(join(root, 'src', 'module'), { recursive: true });
      const files = [
        'src/main.ts',
        'src/module/a.ts',
        'tsconfig.json',
        'tsconfig.build.json',
        'nest-cli.json',
        'package-lock.json',
      ];
      for (const f of files) writeFileSync(join(root, f), '{}');
      expect(check(root)).toEqual({ status: 1, said: 'dist/main.js does not exist' });

      mkdirSync(join(root, 'dist'));
      writeFileSync(join(root, 'dist', 'main.js'), '');
      const old = 1_700_000_000;
      for (const p of [...files, 'src', 'src/module']) at(join(root, p), old);
      at(join(root, 'dist', 'main.js'), old + 10);
      expect(check(root)).toEqual({ status: 0, said: 'fresh' });

      for (const newer of files) {
        at(join(root, newer), old + 20);
        expect(check(root)).toEqual({ status: 1, said: `${newer} is newer than dist/main.js` });
        at(join(root, newer), old);
      }
      // A source deleted (or added, or renamed) changes only its folder's time.
      rmSync(join(root, 'src', 'module', 'a.ts'));
      expect(check(root)).toMatchObject({
        status: 1,
        said: 'src/module is newer than dist/main.js',
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('builds on a fresh clone, and the second start does not build again', async () => {
    const clone = tempDir('beacon-clone-');
    const dataDir = tempDir('beacon-clone-data-');
    try {
      for (const p of ['src', 'scripts', 'package.json', 'package-lock.json', 'nest-cli.json']) {
        cpSync(join(ROOT, p), join(clone, p), { recursive: true });
      }
      cpSync(join(ROOT, 'tsconfig.json'), join(clone, 'tsconfig.json'));
      cpSync(join(ROOT, 'tsconfig.build.json'), join(clone, 'tsconfig.build.json'));
      symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));

      const first = await npmStart(clone, dataDir);
      expect(first.stderr).toContain('building: dist/main.js does not exist');
      const built = statSync(join(clone, 'dist', 'main.js')).mtimeMs;

      const second = await npmStart(clone, dataDir);
      expect(second.stderr).not.toContain('building');
      expect(second.stdout).not.toContain('nest build');
      expect(statSync(join(clone, 'dist', 'main.js')).mtimeMs).toBe(built);
    } finally {
      rmSync(clone, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
