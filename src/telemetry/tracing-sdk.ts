/**
 * The OpenTelemetry SDK, wired for Beacon. Only telemetry/tracing.ts requires this file, and
 * only when an OTLP endpoint is set: importing it loads the whole SDK.
 */
import { DiagLogLevel, Span, diag } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { ClientRequest, IncomingMessage } from 'node:http';
import pino from 'pino';

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK: spans for incoming and outgoing HTTP, PostgreSQL queries and Redis
 * commands, batched and exported over OTLP. Every standard `OTEL_*` variable is read by the
 * SDK itself (endpoint, protocol, headers, sampler, batch sizes, resource attributes…).
 */
export function startSdk(logLevel: string): Tracing {
  // The SDK's own complaints (an export that failed: spans lost) as Beacon log lines,
  // unless OTEL_LOG_LEVEL asks for the SDK's console logger instead.
  if (!process.env.OTEL_LOG_LEVEL) {
    const log = pino({ level: logLevel }).child({ context: 'OpenTelemetry' });
    diag.setLogger(
      {
        error: (message, ...args) => log.warn({ args }, message),
        warn: (message, ...args) => log.warn({ args }, message),
        info: (message) => log.debug(message),
        debug: (message) => log.trace(message),
        verbose: (message) => log.trace(message),
      },
      DiagLogLevel.WARN,
    );
  }
  const sdk = new NodeSDK({
    // `beacon` unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise: the SDK
    // merges what it detects (those variables, the process, the host) over this.
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'beacon' })),
    // Traces only: Beacon's metrics are /prometheus's and its logs pino's. Left unset, the
    // SDK would also export metrics and logs to the same endpoint.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ applyCustomAttributesOnSpan: nameByRoute }),
      // Only what a request (or another traced operation) caused: the log tailers' blocking
      // reads and the background jobs' queries would otherwise be a root span each, forever.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return sdk;
}

/**
 * An incoming request's span named by its route template (`POST /metrics/:id/latency`),
 * which groups well in a tracing UI where the raw path would not. Express leaves the
 * matched route on the request; a request no route matched keeps the method alone.
 */
function nameByRoute(span: Span, request: ClientRequest | IncomingMessage): void {
  const route = (request as { route?: { path?: unknown } }).route?.path;
  if (typeof route !== 'string' || !('method' in request) || !request.method) return;
  span.setAttribute(ATTR_HTTP_ROUTE, route);
  span.updateName(`${request.method} ${route}`);
}
