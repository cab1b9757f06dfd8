import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Histogram } from 'prom-client';
import { PrometheusRegistry } from '../common/prometheus';
import { PrometheusSettings } from './prometheus.settings';

/** Seconds: from a cached GET (~0.1 ms) to a live /analysis wait (minutes). */
const BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60,
];

/**
 * `beacon_http_request_duration_seconds{method,route,status_code}`: every HTTP response,
 * timed on the server itself (ahead of Express, like the request counter, so requests
 * that fail before routing are timed too). `route` is the route template
 * (`/metrics/:id/latency`), or `unmatched` when no route took the request (404s, and
 * bodies refused before routing), so the label set stays bounded whatever paths clients
 * send. Label children are cached: a response costs two clock reads, a map lookup and a
 * bucket search.
 */
@Injectable()
export class HttpMetricsHook implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly prometheus: PrometheusRegistry,
    private readonly config: PrometheusSettings,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!this.config.PROMETHEUS_ENABLED || !server) return;
    const histogram = new Histogram({
      name: 'beacon_http_request_duration_seconds',
      help: 'HTTP responses by method, route template and status code, and how long they took; _count is the number of requests.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: BUCKETS,
      registers: [this.prometheus.registry],
    });
    const children = new Map<string, { observe(v: number): void }>();
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const started = performance.now();
      res.once('finish', () => {
        const route = (req as IncomingMessage & { route?: { path?: unknown } }).route?.path;
        const template = typeof route === 'string' ? route : 'unmatched';
        const method = req.method ?? 'UNKNOWN';
        const key = `${method} ${res.statusCode} ${template}`;
        let child = children.get(key);
        if (!child) {
          child = histogram.labels(method, template, String(res.statusCode));
          children.set(key, child);
        }
        child.observe((performance.now() - started) / 1000);
      });
    });
  }
}
