import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

const DESCRIPTION = [
  'Beacon: latency percentiles over sliding windows, API metrics over UDP, social-stream',
  'engagement analysis, rocket state from out-of-order messages and an exact request counter,',
  'in one NestJS service. Every error body is `{statusCode, error, message}`.',
].join(' ');

const API_METRICS_TAG =
  "API performance records. They arrive over UDP in the seed's binary protocol " +
  '(METRICS_UDP_PORT, default 5000; docs/api.md has the datagram layout), are written to ' +
  'PostgreSQL (an embedded one by default) in batches, and stream live over the WebSocket ' +
  '`/ws` (optional `?route=` filter): each message is a record ' +
  '`{route, method, timestamp, time, status}`, or an array of records when several arrived ' +
  'within one tick (`?batch=false`: always one record per message); ' +
  '`{type: "dropped", count, total}` tells a slow client what it lost. With CORS_ORIGINS ' +
  'set, a browser handshake from another Origin is refused with 403.';

/** Recursively sorts object keys so the committed spec diffs cleanly. Arrays keep their order. */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => sortKeysDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeysDeep(v)])) as T;
  }
  return value;
}

/** The one OpenAPI document: served at /swagger-json and written to openapi/openapi.json. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Beacon')
    .setDescription(DESCRIPTION)
    .setVersion('0.1.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addTag('api-metrics', API_METRICS_TAG)
    .addTag(
      'operations',
      'What operators look at: the Prometheus exposition and the dashboard page.',
    )
    .addServer('http://127.0.0.1:8080', 'A Beacon on its defaults (PORT 8080, loopback)')
    .build();
  // No operation needs credentials: every one is open (an explicit, empty requirement).
  config.security = [];
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) =>
      `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  document.tags = [...(document.tags ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return sortKeysDeep(document);
}
