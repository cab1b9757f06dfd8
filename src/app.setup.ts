import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import helmet from 'helmet';
import {
  declaredSizeLimit,
  hostAllowed,
  hostAllowlist,
  jsonDepthLimit,
  parsesJsonBody,
  urlEncodingCheck,
} from './common/http-input';
import { ApiKeys } from './common/api-keys';
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
  const keys = app.get(ApiKeys);
  // In this order, ahead of every route: the Host, the headers of every answer, the API
  // key, a declared size, the URL's encoding, then the body (JSON only, never for
  // GET/HEAD/DELETE/OPTIONS) and its depth. A request refused here is never parsed.
  if (env.allowedHosts !== null) express.use(hostAllowlist(env.allowedHosts));
  if (env.SECURITY_HEADERS) {
    express.use(
      helmet({
        // Plain HTTP on loopback by default: no HSTS, and no upgrade of the dashboard's
        // requests to an https that is not there. The rest of helmet's CSP holds for
        // Swagger UI and the dashboard (scripts and styles from 'self' only).
        strictTransportSecurity: false,
        contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
      }),
    );
  }
  if (keys.enabled) express.use(keys.middleware());
  express.use(declaredSizeLimit(env.bodyLimitBytes));
  express.use(urlEncodingCheck());
  express.useBodyParser('json', { limit: env.bodyLimitBytes, type: parsesJsonBody });
  express.use(jsonDepthLimit(env.BODY_MAX_DEPTH));
  const server = express.getHttpServer();
  server.maxConnections = env.HTTP_MAX_CONNECTIONS;
  server.headersTimeout = env.HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = env.HTTP_REQUEST_TIMEOUT_MS;
  express.disable('x-powered-by');
  // Express hashes every response body for a weak ETag. Nothing here is fetched
  // conditionally, and the hash was a fifth of a small POST's time and most of a large
  // list's, so it is off.
  express.set('etag', false);
  app.useWebSocketAdapter(
    new CheckedWsAdapter(app, (req) => {
      if (!hostAllowed(env.allowedHosts, req)) {
        return { status: 403, reason: 'Host not allowed (ALLOWED_HOSTS)' };
      }
      // A WebSocket upgrade needs a key whatever API_KEYS_FOR_READS says: it is a
      // long-lived stream of every record, not a single read.
      const refused = keys.refusal(req, 'POST');
      if (refused !== null) return { status: 401, reason: refused };
      return originAllowed(env.corsOrigins, req.headers.origin)
        ? null
        : { status: 403, reason: 'Origin not allowed (CORS_ORIGINS)' };
    }),
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
