import cluster, { Worker } from 'node:cluster';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { EmbeddedPostgres, startEmbeddedPostgres } from './api-metrics/embedded-postgres';
import { EMBEDDED_DIR } from './api-metrics/sql-engine';
import { Environment } from './config/environment';

/**
 * WORKERS=N: this process is the cluster's primary. It forks N workers, each a full Beacon
 * on the shared log (STATE_BACKEND=redis), all on one HTTP port (node:cluster hands
 * connections round-robin). It runs the embedded PostgreSQL itself when api-metrics has no
 * DATABASE_URL, so every worker reads and writes one database. A worker that dies is
 * replaced; SIGTERM or SIGINT stops the workers (each stops gracefully and logs its own
 * line), then the database, then logs one line and exits 0.
 */
export async function runPrimary(env: Environment, log: pino.Logger): Promise<void> {
  let database: EmbeddedPostgres | null = null;
  const workerEnv: Record<string, string> = {};
  if (env.API_METRICS_ENABLED && !env.DATABASE_URL) {
    database = await startEmbeddedPostgres({
      dir: join(env.DATA_DIR, EMBEDDED_DIR),
      onLog: (line) => log.warn({ context: 'PostgreSQL' }, line),
    });
    workerEnv.DATABASE_URL = database.url;
    log.info(`embedded PostgreSQL started in ${Math.round(database.startMs)} ms for the workers`);
  }
  let stopping = false;
  const indexOf = new Map<Worker, number>();
  const fork = (index: number) => {
    const worker = cluster.fork({ ...workerEnv, BEACON_WORKER_INDEX: String(index) });
    indexOf.set(worker, index);
  };
  cluster.on('exit', (worker, code, signal) => {
    const index = indexOf.get(worker) ?? 0;
    indexOf.delete(worker);
    if (stopping) return;
    log.error(`worker ${index} exited (${signal ?? code}); starting another`);
    fork(index);
  });
  for (let i = 0; i < env.WORKERS; i++) fork(i);
  log.info(`Beacon cluster: ${env.WORKERS} workers on port ${env.PORT}`);

  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    const exits = [...indexOf.keys()].map(
      (w) => new Promise<number | null>((r) => w.once('exit', (code) => r(code))),
    );
    for (const w of indexOf.keys()) w.process.kill('SIGTERM');
    const codes = await Promise.all(exits);
    await database?.stop();
    log.info(
      { signal, stopMs: Math.round(performance.now() - started), workerExitCodes: codes },
      'Beacon cluster stopped',
    );
    log.flush(() => process.exit(codes.every((c) => c === 0) ? 0 : 1));
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));
}
