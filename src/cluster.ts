import cluster, { Worker } from 'node:cluster';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { EmbeddedPostgres, startEmbeddedPostgres } from './infra/postgres/embedded-postgres';
import { Backoff } from './common/backoff';
import { EMBEDDED_DIR } from './infra/postgres/sql-engine';
import { ApiMetricsSettings } from './api-metrics/api-metrics.settings';
import { CoreSettings } from './config/core.settings';
import { LoadedSettings } from './config/settings';
import { PrometheusSettings } from './prometheus/prometheus.settings';
import { serveClusterScrapes } from './prometheus/cluster-scrape';

/** Past a worker's own SHUTDOWN_TIMEOUT_MS, how long the primary waits before killing it. */
const WORKER_STOP_GRACE_MS = 5000;

/**
 * WORKERS=N: this process is the cluster's primary. It forks N workers, each a full Beacon
 * on the shared log (STATE_BACKEND=redis), all on one HTTP port (node:cluster hands
 * connections round-robin). It runs the embedded PostgreSQL itself when api-metrics has no
 * DATABASE_URL, so every worker reads and writes one database. A worker that dies is
 * replaced; SIGTERM or SIGINT stops the workers (each stops gracefully and logs its own
 * line), then the database, then logs one line and exits 0. A worker that cannot start for
 * a reason only the operator can fix (a port in use, a bad DATA_DIR) is not replaced: its
 * one fatal line is logged here, once however many workers report it, and the cluster
 * stops with exit code 1. A scrape of GET /prometheus on any worker is answered for all of
 * them, combined here (prometheus/cluster-scrape.ts).
 */
export async function runPrimary(settings: LoadedSettings, log: pino.Logger): Promise<void> {
  const core = settings.get(CoreSettings);
  const apiMetrics = settings.get(ApiMetricsSettings);
  let database: EmbeddedPostgres | null = null;
  const workerEnv: Record<string, string> = {};
  if (apiMetrics.API_METRICS_ENABLED && !apiMetrics.DATABASE_URL) {
    database = await startEmbeddedPostgres({
      dir: join(core.DATA_DIR, EMBEDDED_DIR),
      onLog: (line) => log.warn({ context: 'PostgreSQL' }, line),
    });
    workerEnv.DATABASE_URL = database.url;
    log.info(`embedded PostgreSQL started in ${Math.round(database.startMs)} ms for the workers`);
  }
  let stopping = false;
  const indexOf = new Map<Worker, number>();
  const startedAt = new Map<Worker, number>();
  const backoff = new Backoff(1000, 30_000);
  const fork = (index: number) => {
    const worker = cluster.fork({ ...workerEnv, BEACON_WORKER_INDEX: String(index) });
    indexOf.set(worker, index);
    startedAt.set(worker, Date.now());
  };
  cluster.on('exit', (worker, code, signal) => {
    const index = indexOf.get(worker) ?? 0;
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    indexOf.delete(worker);
    startedAt.delete(worker);
    if (stopping) return;
    // A worker that keeps dying at start-up is not restarted in a tight loop.
    if (lived > 60_000) backoff.reset();
    const wait = lived < 10_000 ? backoff.fail() : 0;
    log.error(
      `worker ${index} exited (${signal ?? code}); starting another in ${Math.round(wait)} ms`,
    );
    // Not unref'd: while every worker is down, this timer is what keeps the primary alive
    // (unref'd, a cluster whose workers all crashed at start exited 0, silently). A stop
    // ends with process.exit, so it never waits for it.
    setTimeout(() => {
      if (!stopping) fork(index);
    }, wait);
  });
  // One line once every worker accepts connections (each also logs its own), so a
  // supervisor or a test knows when the whole cluster serves.
  const listening = new Set<number>();
  cluster.on('message', (worker, message: { beacon?: string; port?: number; message?: string }) => {
    if (message?.beacon === 'fatal') {
      if (stopping) return;
      log.fatal(message.message);
      return void stop(null, 1);
    }
    const index = indexOf.get(worker);
    if (message?.beacon !== 'listening' || index === undefined || listening.has(index)) return;
    listening.add(index);
    if (listening.size === core.WORKERS) {
      log.info(
        `Beacon cluster listening on http://${core.HOST}:${message.port} (${core.WORKERS} workers)`,
      );
    }
  });
  // GET /prometheus on any worker answers for all of them, combined here.
  if (settings.get(PrometheusSettings).PROMETHEUS_ENABLED) serveClusterScrapes();
  for (let i = 0; i < core.WORKERS; i++) fork(i);
  log.info(`Beacon cluster: starting ${core.WORKERS} workers on port ${core.PORT}`);

  const stop = async (signal: NodeJS.Signals | null, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    const exits = [...indexOf.keys()].map(
      (w) => new Promise<number | null>((r) => w.once('exit', (code) => r(code))),
    );
    for (const w of indexOf.keys()) w.process.kill('SIGTERM');
    // A worker that does not stop in time is killed, so the database is stopped regardless.
    const killer = setTimeout(() => {
      for (const w of indexOf.keys()) w.process.kill('SIGKILL');
    }, core.SHUTDOWN_TIMEOUT_MS + WORKER_STOP_GRACE_MS);
    const codes = await Promise.all(exits);
    clearTimeout(killer);
    await database?.stop();
    log.info(
      {
        signal: signal ?? undefined,
        stopMs: Math.round(performance.now() - started),
        workerExitCodes: codes,
      },
      'Beacon cluster stopped',
    );
    log.flush(() => process.exit(exitCode === 0 && codes.every((c) => c === 0) ? 0 : 1));
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
    process.on(signal, (s) => void stop(s));
}
