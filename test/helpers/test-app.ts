import { INestApplication } from '@nestjs/common';
import { tempDir } from './temp-dir';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import { rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { AppModule } from '../../src/app.module';
import { configureApp, httpAdapter, listen } from '../../src/http/http-edge';
import { HttpSettings } from '../../src/http/http.settings';
import { Clock } from '../../src/common/clock';
import { BeaconClient, beaconClient } from '../client/beacon-client';
import { ISOLATED_ENV } from './isolated-env';

export interface TestApp {
  app: INestApplication;
  baseUrl: string;
  client: BeaconClient;
  close: () => Promise<void>;
}

/**
 * Builds the real AppModule with the given settings, listens on an ephemeral loopback
 * port and returns a spec-checking client for it. Scheduled jobs are off unless asked
 * for: tests call the job's service method with an injected clock instead.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { clock?: Clock; overrides?: { provide: unknown; useValue: unknown }[] } = {},
): Promise<TestApp> {
  // Each app gets its own DATA_DIR unless the test shares one on purpose (restarts).
  const ownDir = env.DATA_DIR === undefined ? tempDir('beacon-test-') : null;
  const settings = {
    LOG_LEVEL: 'warn',
    JOBS_ENABLED: 'false',
    ...ISOLATED_ENV,
    // The whole suite runs on either adapter: HTTP_ADAPTER=fastify npm run test:e2e.
    ...(process.env.HTTP_ADAPTER ? { HTTP_ADAPTER: process.env.HTTP_ADAPTER } : {}),
    DATA_DIR: ownDir ?? '',
    ...env,
  };
  let app: INestApplication | null = null;
  const close = async () => {
    await app?.close();
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  };
  try {
    let builder = Test.createTestingModule({ imports: [AppModule.forRoot(settings)] });
    if (options.clock) builder = builder.overrideProvider(Clock).useValue(options.clock);
    for (const o of options.overrides ?? []) {
      builder = builder.overrideProvider(o.provide).useValue(o.useValue);
    }
    const moduleRef = await builder.compile();
    app = moduleRef.createNestApplication(httpAdapter(moduleRef.get(HttpSettings)), {
      bufferLogs: true,
    });
    configureApp(app);
    // As main.ts listens: the same accept queue, so a burst of connections meets what
    // production would.
    await listen(app, 0, '127.0.0.1');
  } catch (err) {
    // An app that does not start (a bad setting, a missing DATA_DIR) leaves no directory.
    await close().catch(() => undefined);
    throw err;
  }
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return { app, baseUrl, client: beaconClient(baseUrl), close };
}
