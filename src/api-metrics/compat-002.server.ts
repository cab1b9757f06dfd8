import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { WebSocketServer } from 'ws';
import { ApiKeys, chooseProtocol } from '../http/api-keys';
import { DomainError, UnavailableError } from '../common/domain-errors';
import { hostAllowed } from '../http/request-gate';
import { explainBindError } from '../infra/port-in-use';
import { originAllowed } from '../http/ws-adapter';
import { ApiMetricsSettings } from './api-metrics.settings';
import { CoreSettings } from '../config/core.settings';
import { HttpSettings } from '../http/http.settings';
import { ApiMetricsService } from './api-metrics.service';
import { LiveFeed, rfc3339Seconds } from './live-feed';

/** The dashboard's window: now − 10 min … now, one column a second. */
const DASHBOARD_SECONDS = 601;

/**
 * COMPAT_002_PORT: the seed-002 server's own HTTP API on a second listener, so its React
 * dashboard works against Beacon unmodified.
 *
 * - `GET /metrics`: `{"timestamps": [601 RFC 3339 seconds], "metrics": [{"route":
 *   "GET - /health", "responseTime": [...], "responseStatus": [...]}]}`, -1 in a second
 *   without a record.
 * - `/ws`: one JSON object per message, never an array, in the seed's shape; bounded like
 *   Beacon's `/ws` (a slow dashboard loses records, counted, and never slows the others).
 * - CORS (and the WebSocket Origin check) for COMPAT_002_CORS_ORIGINS, by default
 *   `http://localhost:3000` and `http://127.0.0.1:3000`, where the dashboard's dev server runs.
 */
@Injectable()
export class Compat002Server implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Compat002');
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;

  constructor(
    private readonly config: ApiMetricsSettings,
    private readonly coreConfig: CoreSettings,
    private readonly httpConfig: HttpSettings,
    private readonly metrics: ApiMetricsService,
    private readonly live: LiveFeed,
    private readonly keys: ApiKeys,
  ) {}

  /** The bound port (COMPAT_002_PORT=0 picks one), or null when off. */
  get port(): number | null {
    return this.server ? (this.server.address() as AddressInfo).port : null;
  }

  async onModuleInit(): Promise<void> {
    const port = this.config.compat002Port;
    if (port === null || !this.config.API_METRICS_ENABLED) return;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: 1024,
      handleProtocols: chooseProtocol,
    });
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(explainBindError(err, 'COMPAT_002_PORT', this.coreConfig.HOST, port, 'tcp')),
      );
      server.listen(port, this.coreConfig.HOST, () => resolve());
    });
    this.server = server;
    this.logger.log(
      `seed-002 API (GET /metrics, /ws) on http://${this.coreConfig.HOST}:${this.port}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    for (const client of this.wss?.clients ?? []) client.close(1001, 'server shutting down');
    this.wss?.close();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(this.httpConfig.allowedHosts, req)) {
      return this.error(res, 403, 'Host not allowed (ALLOWED_HOSTS)');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && this.allowed(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS');
      res.setHeader(
        'Access-Control-Allow-Headers',
        req.headers['access-control-request-headers'] ?? 'Content-Type',
      );
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      return this.error(res, 404, `Cannot ${req.method} ${path}`);
    }
    const refused = this.keys.refusal(req);
    if (refused !== null) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="beacon"');
      return this.error(res, 401, refused);
    }
    try {
      const { seconds, metrics } = await this.metrics.series(10, DASHBOARD_SECONDS);
      const body = JSON.stringify({
        timestamps: seconds.map((s) => rfc3339Seconds(s * 1000)),
        metrics: metrics.map((m) => ({
          route: `${m.method} - ${m.route}`,
          responseTime: m.responseTime,
          responseStatus: m.responseStatus,
        })),
      });
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      if (err instanceof UnavailableError)
        res.setHeader('Retry-After', String(err.retryAfterSeconds));
      const status = err instanceof UnavailableError ? 503 : err instanceof DomainError ? 400 : 500;
      if (status === 500) this.logger.error(err instanceof Error ? err.stack : String(err));
      this.error(res, status, err instanceof DomainError ? err.message : 'Internal server error');
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const refuse = (status: number, reason: string) => {
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n${reason}`,
      );
    };
    if (path !== '/ws') return refuse(404, 'not found');
    if (!hostAllowed(this.httpConfig.allowedHosts, req)) {
      return refuse(403, 'Host not allowed (ALLOWED_HOSTS)');
    }
    if (!this.allowed(req.headers.origin))
      return refuse(403, 'Origin not allowed (COMPAT_002_CORS_ORIGINS)');
    // As on the main port: with API_KEYS set, the live stream needs a key.
    const refused = this.keys.webSocketRefusal(req);
    if (refused !== null) return refuse(401, refused);
    this.wss!.handleUpgrade(req, socket, head, (ws) => {
      this.live.subscribe(ws, new URLSearchParams(), true);
    });
  }

  private allowed(origin: string | undefined): boolean {
    // An empty list would mean "no check" for the main port; here it means no browser at all.
    return (
      origin === undefined ||
      (this.config.compat002Origins.length > 0 &&
        originAllowed(this.config.compat002Origins, origin))
    );
  }

  private error(res: ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ statusCode: status, error: STATUS_CODES[status], message }));
  }
}
