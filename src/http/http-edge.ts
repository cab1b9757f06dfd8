import { INestApplication } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { Server } from 'node:http';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { hostAllowed, requestGate, securityHeaders } from './request-gate';
import { ApiKeys } from './api-keys';
import { BeaconNestLogger } from '../common/nest-logger';
import { CheckedWsAdapter, originAllowed } from './ws-adapter';
import { HttpSettings } from './http.settings';
import { buildOpenApiDocument } from '../openapi/openapi-document';
import { expressAdapter, installExpressEdge } from './express-edge';
import { fastifyAdapter, installFastifyEdge } from './fastify-edge';

/**
 * The HTTP edge: what happens to a request before and after a controller. The rules live
 * in request-gate.ts, api-keys.ts and error.filter.ts and know no adapter; express-edge.ts
 * and fastify-edge.ts only say where each rule goes in their framework.
 */

/** The Nest adapter HTTP_ADAPTER names, built for these settings. */
export function httpAdapter(http: HttpSettings): AbstractHttpAdapter {
  return http.HTTP_ADAPTER === 'fastify' ? fastifyAdapter(http) : expressAdapter();
}

/**
 * What an app needs beyond its module graph, shared by main.ts, the spec generator and
 * the e2e tests. Call before `init()`/`listen()`: the body parser must be in place first.
 */
export function configureApp(app: INestApplication): void {
  const http = app.get(HttpSettings);
  app.useLogger(new BeaconNestLogger(app.get(Logger)));
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
  const gate = requestGate({
    headers: http.SECURITY_HEADERS ? securityHeaders() : [],
    hosts: http.allowedHosts,
    keys: keys.enabled ? keys : null,
    bodyLimitBytes: http.bodyLimitBytes,
  });
  if (adapterName(app) === 'fastify') installFastifyEdge(app, gate, http);
  else installExpressEdge(app, gate, http);
  const server = app.getHttpServer() as Server;
  server.maxConnections = http.HTTP_MAX_CONNECTIONS;
  server.headersTimeout = http.HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = http.HTTP_REQUEST_TIMEOUT_MS;
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
    // The `cors` package's defaults, spelled out: @fastify/cors's differ (GET,HEAD,POST
    // only, and a 400 for an OPTIONS that is not a full preflight).
    app.enableCors({
      origin: origins.includes('*') ? true : origins,
      methods: 'GET,HEAD,PUT,PATCH,POST,DELETE',
      ...(adapterName(app) === 'fastify' ? { strictPreflight: false } : {}),
    });
  }
  SwaggerModule.setup('swagger', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'swagger-json',
    yamlDocumentUrl: 'swagger-yaml',
    // Swagger UI's "Try it out" goes to the spec's first server, 127.0.0.1:8080: a Beacon
    // on another port or host would send it elsewhere (and the CSP would block it). The
    // UI gets this Beacon, where the page came from, first; /swagger-json stays the spec.
    patchDocumentOnRequest: (req, _res, document) =>
      (req as { url?: string }).url?.split('?')[0].endsWith('swagger-ui-init.js')
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
  if (adapterName(app) === 'fastify') {
    // Nest's fastify adapter passes an options object on whole (its (port, host) form
    // drops the backlog).
    const listenWith = app.listen.bind(app) as unknown as (o: object) => Promise<unknown>;
    await listenWith({ port, host, backlog });
    return;
  }
  // Nest hands its arguments on to http.Server#listen(port, host, backlog); its types
  // name only (port, host).
  const listenWith = app.listen.bind(app) as unknown as (
    port: number,
    host: string,
    backlog: number,
  ) => Promise<unknown>;
  await listenWith(port, host, backlog);
}

/** Which adapter serves this app: `express` or `fastify`. */
export function adapterName(app: INestApplication): string {
  return app.getHttpAdapter().getType();
}
