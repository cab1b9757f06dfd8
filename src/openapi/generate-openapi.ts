/**
 * Writes openapi/openapi.json from the code without listening on a port.
 * Usage: node dist/openapi/generate-openapi.js [output-path]
 */
import { NestFactory } from '@nestjs/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AppModule } from '../app.module';
import { configureApp } from '../http/http-edge';
import { buildOpenApiDocument } from './openapi-document';

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'openapi/openapi.json');
  // Defaults only, jobs, the counter's file and the state logs off: the spec must not
  // depend on the machine's environment, nor touch (or wait for) a DATA_DIR in use.
  const app = await NestFactory.create(
    AppModule.forRoot({
      JOBS_ENABLED: 'false',
      LOG_LEVEL: 'silent',
      COUNTER_ENABLED: 'false',
      STATE_BACKEND: 'memory',
      STREAM_ENABLED: 'false',
    }),
    {
      logger: false,
    },
  );
  configureApp(app);
  await app.init();
  const document = buildOpenApiDocument(app);
  await app.close();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(document, null, 2) + '\n');
  process.stdout.write(`wrote ${out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
