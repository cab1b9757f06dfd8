import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ISOLATED_ENV } from './isolated-env';

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Every JSON log line the process has written so far. */
  logs: { level: number; msg: string }[];
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

const ROOT = join(__dirname, '..', '..');

/**
 * Starts the real entry point as its own process on a free loopback port and resolves once
 * it logs that it is listening; rejects with its logs if it exits first. By default it runs
 * src/main.ts through ts-node; `built` runs dist/main.js, as `npm start` does (call
 * `ensureBuilt()` first), which starts in a third of the time.
 */
export function startServerProcess(
  env: Record<string, string>,
  options: { built?: boolean } = {},
): Promise<ServerProcess> {
  const args = options.built
    ? ['dist/main.js']
    : ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      TS_NODE_PROJECT: 'tsconfig.json',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...ISOLATED_ENV,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: ServerProcess['logs'] = [];
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A cluster (WORKERS > 1) serves once its primary says every worker listens.
  const ready =
    Number(env.WORKERS ?? 1) > 1
      ? /Beacon cluster listening on (http:\/\/[^ ]+)/
      : /Beacon listening on (http:\/\/[^ ]+)/;
  return new Promise((resolve, reject) => {
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { level: number; msg: string };
          logs.push(entry);
          const m = ready.exec(entry.msg ?? '');
          if (m) resolve({ child, baseUrl: m[1], logs, exited });
        } catch {
          /* not a log line */
        }
      }
    });
    void exited.then((code) =>
      reject(
        new Error(
          `server exited (${code}) before listening:\n${logs.map((l) => l.msg).join('\n')}\n${stderr}`,
        ),
      ),
    );
  });
}
