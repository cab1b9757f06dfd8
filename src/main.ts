import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { Environment } from './config/environment';

async function bootstrap(): Promise<void> {
  // abortOnError off: a start-up failure reaches the handler below and is logged as JSON.
  const app = await NestFactory.create(AppModule.forRoot(), {
    bufferLogs: true,
    abortOnError: false,
  });
  configureApp(app);
  app.enableShutdownHooks();
  const env = app.get(Environment);
  await app.listen(env.PORT, env.HOST);
  // The bound port, not the configured one: PORT=0 picks a free port (tests use this).
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  app.get(Logger).log(`Beacon listening on http://${env.HOST}:${port} (Swagger UI at /swagger)`);
}

bootstrap().catch((err: unknown) => {
  // The app logger may not exist yet (bad configuration), so log with a bare pino.
  const log = pino({ name: 'beacon' }, pino.destination({ sync: true }));
  log.fatal({ err }, err instanceof Error ? err.message : String(err));
  process.exit(1);
});
