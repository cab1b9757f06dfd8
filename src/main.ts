import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger, PinoLogger } from 'nestjs-pino';
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { AppModule } from './app.module';
import { runPrimary } from './cluster';
import { configureApp, listen } from './app.setup';
import { BeaconNestLogger } from './common/nest-logger';
import { ShutdownReport } from './common/shutdown-report';
import { Environment, InvalidEnvironmentError, loadEnvironment } from './config/environment';
import { EmbeddedPostgresError } from './api-metrics/embedded-postgres';
import { DataDirError } from './common/data-dir';

/**
 * The entry point `npm start` runs. Start-up logs go out as they happen (no buffering, so
 * each carries its real time); anything that stops start-up is one `fatal` JSON line and
 * exit 1; SIGTERM or SIGINT stops gracefully: intake closes, every module flushes, one
 * `Beacon stopped` line says what was flushed, exit 0.
 */
async function main(): Promise<void> {
  let env: Environment;
  try {
    // Validated here first, so a bad setting is reported before Nest prints anything.
    env = loadEnvironment(process.env);
  } catch (err) {
    return fatal(pino({ name: 'beacon' }), err);
  }
  const root = pino({ level: env.LOG_LEVEL });
  process.on('uncaughtException', (err) => fatal(root, err));
  process.on('unhandledRejection', (err) => fatal(root, err));
  if (env.WORKERS > 1 && cluster.isPrimary) {
    try {
      return await runPrimary(env, root);
    } catch (err) {
      return fatal(root, err);
    }
  }
  let app: INestApplication;
  try {
    app = await NestFactory.create(AppModule.forRoot(), {
      logger: new BeaconNestLogger(new Logger(new PinoLogger({ pinoHttp: { logger: root } }), {})),
      abortOnError: false,
    });
    configureApp(app);
    await listen(app, env.PORT, env.HOST);
  } catch (err) {
    return fatal(root, err);
  }
  // The bound port, not the configured one: PORT=0 picks a free port (tests use this).
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  root.info(`Beacon listening on http://${env.HOST}:${port} (Swagger UI at /swagger)`);
  // A cluster worker tells its primary, which says when every worker serves.
  if (cluster.isWorker) process.send?.({ beacon: 'listening', port });

  const report = app.get(ShutdownReport);
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    // A terminal's Ctrl-C reaches both npm and Beacon, and npm forwards it: one stop only.
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    try {
      await app.close();
    } catch (err) {
      return fatal(root, err);
    }
    root.info(
      { signal, stopMs: Math.round(performance.now() - started), flushed: report.toJSON() },
      'Beacon stopped',
    );
    root.flush(() => process.exit(0));
  };
  // SIGHUP too (a closed terminal): its default would kill Beacon and leave the embedded
  // PostgreSQL, which runs in its own process group, behind.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
    process.on(signal, (s) => void stop(s));
  // A cluster worker whose primary is gone (even by SIGKILL) stops too, rather than linger.
  if (cluster.isWorker) process.on('disconnect', () => void stop('SIGTERM'));
}

/** Errors whose message tells the operator what to fix; a stack would only hide it. */
const OPERATOR_ERRORS = [InvalidEnvironmentError, DataDirError, EmbeddedPostgresError];

function fatal(log: pino.Logger, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  if (OPERATOR_ERRORS.some((kind) => err instanceof kind)) log.fatal(message);
  else log.fatal({ err }, message);
  log.flush(() => process.exit(1));
}

void main();
