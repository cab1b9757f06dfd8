// First: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must hook http, pg and ioredis before they load.
import './telemetry/start-tracing';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger, PinoLogger } from 'nestjs-pino';
import cluster from 'node:cluster';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { AppModule } from './app.module';
import { runPrimary } from './cluster';
import { adapterName, configureApp, httpAdapter, listen } from './http/http-edge';
import { HttpSettings } from './http/http.settings';
import { BeaconNestLogger } from './common/nest-logger';
import { ShutdownReport } from './common/shutdown-report';
import { CoreSettings } from './config/core.settings';
import { loadSettings } from './config/load-settings';
import { InvalidConfigurationError, LoadedSettings } from './config/settings';
import { EmbeddedPostgresError } from './infra/postgres/embedded-postgres';
import { DataDirError } from './infra/data-dir';
import { explainBindError, PortInUseError } from './infra/port-in-use';

/**
 * The entry point `npm start` runs. Start-up logs go out as they happen (no buffering, so
 * each carries its real time); anything that stops start-up is one `fatal` JSON line and
 * exit 1; SIGTERM or SIGINT stops gracefully: intake closes, every module flushes, one
 * `Beacon stopped` line says what was flushed, exit 0.
 */
async function main(): Promise<void> {
  let settings: LoadedSettings;
  try {
    // Validated here first, so a bad setting is reported before Nest prints anything.
    settings = loadSettings(process.env);
  } catch (err) {
    return fatal(pino({ name: 'beacon' }), err);
  }
  const core = settings.get(CoreSettings);
  const root = pino({ level: core.LOG_LEVEL });
  process.on('uncaughtException', (err) => fatal(root, err));
  process.on('unhandledRejection', (err) => fatal(root, err));
  if (core.WORKERS > 1 && cluster.isPrimary) {
    try {
      return await runPrimary(settings, root);
    } catch (err) {
      return fatal(root, err);
    }
  }
  let app: INestApplication;
  try {
    app = await NestFactory.create(AppModule.forRoot(), httpAdapter(settings.get(HttpSettings)), {
      logger: new BeaconNestLogger(new Logger(new PinoLogger({ pinoHttp: { logger: root } }), {})),
      abortOnError: false,
    });
    configureApp(app);
    // The module listeners (UDP, COMPAT_002_PORT) name their own setting, so a port in use
    // still raw here is PORT (`listen EADDRINUSE`; in a cluster worker, `bind EADDRINUSE`).
    await listen(app, core.PORT, core.HOST).catch((err: unknown) => {
      throw explainBindError(err, 'PORT', core.HOST, core.PORT, 'tcp');
    });
  } catch (err) {
    return fatal(root, err);
  }
  // The bound port, not the configured one: PORT=0 picks a free port (tests use this).
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  root.info(
    `Beacon listening on http://${core.HOST}:${port} (${adapterName(app)}; Swagger UI at /swagger)`,
  );
  // A cluster worker tells its primary, which says when every worker serves.
  if (cluster.isWorker) process.send?.({ beacon: 'listening', port });

  const report = app.get(ShutdownReport);
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    // A terminal's Ctrl-C reaches both npm and Beacon, and npm forwards it: one stop only.
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    drainHttp(app.getHttpServer() as Server, core.SHUTDOWN_TIMEOUT_MS, root);
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

/**
 * The HTTP side of a graceful stop, bounded by SHUTDOWN_TIMEOUT_MS. Keep-alive clients
 * under load never leave a connection idle, so the server's own close would wait for them
 * (55 s was measured, and writes kept being served after SIGTERM). From now on every
 * answer says `Connection: close` and ends its connection. Idle ones close after a short
 * grace (IDLE_GRACE_MS, or a quarter of the timeout): a request already on its way over
 * one is answered, with `Connection: close`, instead of meeting a reset. (Closing them at
 * once, here or in the server's own close, raced every client about to send; on fastify,
 * which answers faster than a client sends, nearly every connection is idle at SIGTERM, and
 * every client saw a reset.) Any still open at half the timeout are cut (what they were
 * sending was not answered, so not acknowledged); at the timeout the process exits 1.
 */
function drainHttp(server: Server, timeoutMs: number, log: pino.Logger): void {
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.shouldKeepAlive = false;
  });
  // node's close() closes idle connections at once: held off for the grace.
  const closeIdle = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => undefined;
  setTimeout(
    () => {
      server.closeIdleConnections = closeIdle;
      closeIdle();
    },
    Math.min(IDLE_GRACE_MS, timeoutMs / 4),
  ).unref();
  setTimeout(() => {
    log.warn(`connections still open ${timeoutMs / 2} ms into the stop: closing them`);
    server.closeAllConnections();
  }, timeoutMs / 2).unref();
  setTimeout(() => {
    log.error(`the stop took longer than SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms): exiting now`);
    log.flush(() => process.exit(1));
  }, timeoutMs).unref();
}

/** How long an idle keep-alive connection may still bring a request once a stop begins. */
const IDLE_GRACE_MS = 500;

/** Errors whose message tells the operator what to fix; a stack would only hide it. */
const OPERATOR_ERRORS = [
  InvalidConfigurationError,
  DataDirError,
  EmbeddedPostgresError,
  PortInUseError,
];

function fatal(log: pino.Logger, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  const forOperator = OPERATOR_ERRORS.some((kind) => err instanceof kind);
  if (forOperator && cluster.isWorker && process.connected) {
    // Every worker would say it (each binds PORT): the primary says it once, stops the
    // cluster and exits 1, rather than restart workers that cannot start. It stops this
    // one too; the timer is in case it never does.
    process.send?.({ beacon: 'fatal', message });
    setTimeout(() => process.exit(1), 10_000);
    return;
  }
  if (forOperator) log.fatal(message);
  else log.fatal({ err }, message);
  log.flush(() => process.exit(1));
}

void main();
