import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { BeaconNestLogger } from './common/nest-logger';
import { CheckedWsAdapter, originAllowed } from './common/ws-adapter';
import { Environment } from './config/environment';
import { buildOpenApiDocument } from './openapi/openapi-document';

/**
 * What an app needs beyond its module graph, shared by main.ts, the spec generator and
 * the e2e tests. Call before `init()`/`listen()`: the body parser must be in place first.
 */
export function configureApp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  const env = app.get(Environment);
  express.useLogger(new BeaconNestLogger(app.get(Logger)));
  express.useBodyParser('json', { limit: env.BODY_LIMIT });
  express.disable('x-powered-by');
  // Express hashes every response body for a weak ETag. Nothing here is fetched
  // conditionally, and the hash was a fifth of a small POST's time and most of a large
  // list's, so it is off.
  express.set('etag', false);
  app.useWebSocketAdapter(
    new CheckedWsAdapter(app, (req) =>
      originAllowed(env.corsOrigins, req.headers.origin)
        ? null
        : { status: 403, reason: 'Origin not allowed (CORS_ORIGINS)' },
    ),
  );
  const origins = env.corsOrigins;
  // Off unless configured: the dashboard on another origin is a deliberate opt-in.
  if (origins.length > 0) {
    express.enableCors({ origin: origins.includes('*') ? true : origins });
  }
  SwaggerModule.setup('swagger', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'swagger-json',
    yamlDocumentUrl: 'swagger-yaml',
  });
}
