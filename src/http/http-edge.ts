import { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import {
  hostAllowed,
  jsonDepthLimit,
  parsesJsonBody,
  requestGate,
  securityHeaders,
} from './request-gate';
import { ApiKeys } from './api-keys';
import { BeaconNestLogger } from '../common/nest-logger';
import { CheckedWsAdapter, originAllowed } from './ws-adapter';
import { HttpSettings } from './http.settings';
import { buildOpenApiDocument } from '../openapi/openapi-document';

/**
 * What an app needs beyond its module graph, shared by main.ts, the spec generator and
 * the e2e tests. Call before `init()`/`listen()`: the body parser must be in place first.
 */
export function configureApp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  const http = app.get(HttpSettings);
  express.useLogger(new BeaconNestLogger(app.get(Logger)));
  const keys = app.get(ApiKeys);
  if (keys.enabled) {
    app
      .get(Logger)
      .log(
        `API keys on (${http.apiKeys.length}): writes and /ws need one` +
          (http.API_KEYS_FOR_READS ? ', and reads too' : '; reads are open'),
        'ApiKeys',
      );
  }
  // Ahead of every route: the gate (headers, Host, key, declared size, URL encoding),
  // then the body (JSON only, never for GET/HEAD/DELETE/OPTIONS) and its depth.
  express.use(
    requestGate({
      headers: http.SECURITY_HEADERS ? securityHeaders() : [],
      hosts: http.allowedHosts,
      keys: keys.enabled ? keys : null,
      bodyLimitBytes: http.bodyLimitBytes,
    }),
  );
  express.useBodyParser('json', { limit: http.bodyLimitBytes, type: parsesJsonBody });
  express.use(jsonDepthLimit(http.BODY_MAX_DEPTH));
  const server = express.getHttpServer();
  server.maxConnections = http.HTTP_MAX_CONNECTIONS;
  server.headersTimeout = http.HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = http.HTTP_REQUEST_TIMEOUT_MS;
  express.disable('x-powered-by');
  // Express hashes every response body for a weak ETag. Nothing here is fetched
  // conditionally, and the hash was a fifth of a small POST's time and most of a large
  // list's, so it is off.
  express.set('etag', false);
  app.useWebSocketAdapter(
    new CheckedWsAdapter(app, (req) => {
      if (!hostAllowed(http.allowedHosts, req)) {
        return { status: 403, reason: 'Host not allowed (ALLOWED_HOSTS)' };
      }
      const refused = keys.webSocketRefusal(req);
      if (refused !== null) return { status: 401, reason: refused };
      return originAllowed(http.corsOrigins, req.headers.origin)
        ? null
        : { status: 403, reason: 'Origin not allowed (CORS_ORIGINS)' };
    }),
  );
  const origins = http.corsOrigins;
  // Off unless configured: the dashboard on another origin is a deliberate opt-in.
  if (origins.length > 0) {
    express.enableCors({ origin: origins.includes('*') ? true : origins });
  }
  SwaggerModule.setup('swagger', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'swagger-json',
    yamlDocumentUrl: 'swagger-yaml',
    // Swagger UI's "Try it out" goes to the spec's first server, 127.0.0.1:8080: a Beacon
    // on another port or host would send it elsewhere (and the CSP would block it). The
    // UI gets this Beacon, where the page came from, first; /swagger-json stays the spec.
    patchDocumentOnRequest: (req, _res, document) =>
      (req as { path?: string }).path?.endsWith('swagger-ui-init.js')
        ? {
            ...document,
            servers: [
              { url: '/', description: 'This Beacon (where this page is served)' },
              ...(document.servers ?? []),
            ],
          }
        : document,
  });
}

/**
 * Listens with a queue of not-yet-accepted connections as deep as the connections the
 * server holds (HTTP_MAX_CONNECTIONS, set as maxConnections above; the kernel caps it at
 * net.core.somaxconn). Node's default of 511 overflows under a burst of new connections:
 * the kernel then drops SYNs (retried after 1 s, 3 s, …), falls back to SYN cookies and,
 * with its queue of half-open connections full, drops some and answers their client's
 * next packet with a reset (ECONNRESET).
 */
export async function listen(app: INestApplication, port: number, host: string): Promise<void> {
  const { maxConnections } = app.getHttpServer() as Server;
  const backlog = Number.isFinite(maxConnections) && maxConnections > 0 ? maxConnections : 511;
  // Nest hands its arguments on to http.Server#listen(port, host, backlog); its types
  // name only (port, host).
  const listenWith = app.listen.bind(app) as unknown as (
    port: number,
    host: string,
    backlog: number,
  ) => Promise<unknown>;
  await listenWith(port, host, backlog);
}
