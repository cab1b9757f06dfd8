import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { alwaysOpenRead } from '../http/api-keys';

const DESCRIPTION = [
  'Beacon: latency percentiles over sliding windows, API metrics over UDP, social-stream',
  'engagement analysis, rocket state from out-of-order messages and an exact request counter,',
  'in one NestJS service. Every error body is `{statusCode, error, message}`. Every operation ' +
    'answers 403 to a request whose Host is not in ALLOWED_HOSTS (by default, on a loopback ' +
    'bind: localhost, 127.0.0.1 and [::1], any port), which keeps DNS-rebinding pages out.',
  'Every answer carries `X-Request-Id`: the one the request sent (1–128 printable ASCII ' +
    "characters, no spaces) or a new UUID; it names the request in Beacon's logs. A method " +
    'a path does not serve is answered 405 with `Allow`.',
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
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        // Not a JWT (Nest's default hint): an opaque key from API_KEYS.
        bearerFormat: 'opaque API key',
        description: 'One of API_KEYS, as a bearer token.',
      },
      'bearer',
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'One of API_KEYS.' },
      'apiKey',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) =>
      `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  document.tags = [...(document.tags ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  addInputErrors(document);
  addSecurity(document);
  return sortKeysDeep(document);
}

const ERROR_SCHEMA = { $ref: '#/components/schemas/ErrorResponseDto' };

function errorContent(status: number, error: string, message: string) {
  return {
    'application/json': { schema: ERROR_SCHEMA, example: { statusCode: status, error, message } },
  };
}

/**
 * The answers every operation can give before its handler runs (src/http/request-gate.ts
 * and the body parser), added where the operation does not document them itself: 400 for
 * a URL with broken or NUL percent-encoding; for operations with a body, 400 for one
 * nested deeper than BODY_MAX_DEPTH or not decoding as its Content-Encoding says, 413
 * over BODY_LIMIT (at once when declared), 415 for an unknown Content-Encoding or charset.
 * A Host outside ALLOWED_HOSTS gets 403 from every operation (described in the API's
 * description, not repeated on each).
 */
function addInputErrors(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      const body = op.requestBody !== undefined;
      op.responses['400'] ??= {
        description: body
          ? 'Malformed request: URL encoding, JSON, nesting or Content-Encoding; nothing changed.'
          : 'Malformed URL: broken percent-encoding, bytes that are not UTF-8, or NUL.',
        content: errorContent(
          400,
          'Bad Request',
          'The URL has broken percent-encoding or encodes bytes that are not UTF-8',
        ),
      };
      if (!body) continue;
      op.responses['413'] ??= {
        description: 'Body larger than BODY_LIMIT.',
        content: errorContent(413, 'Payload Too Large', 'Request body is larger than BODY_LIMIT'),
      };
      op.responses['415'] ??= {
        description: 'Unsupported Content-Encoding or charset; nothing changed.',
        content: errorContent(
          415,
          'Unsupported Media Type',
          'Unsupported Content-Encoding (unsupported content encoding "zstd"): send identity, gzip, deflate or br',
        ),
      };
    }
  }
}

/** The probes: never keyed, never rate-limited (`@SkipThrottle`). */
const PROBES = new Set(['/health/live', '/health/ready']);

/**
 * API_KEYS: every write needs a key (either scheme), so its requirement lists both; a read
 * needs one only with API_KEYS_FOR_READS, so its requirement also lists `{}` (none), and
 * Swagger UI's Authorize sends the key on both. RATE_LIMIT_PER_MINUTE's 429 goes on every
 * operation it applies to (all but the probes).
 */
function addSecurity(document: OpenAPIObject): void {
  const either: Record<string, string[]>[] = [{ bearer: [] }, { apiKey: [] }];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      if (PROBES.has(path)) {
        op.security = [];
        continue;
      }
      const write = method !== 'get';
      const open = !write && alwaysOpenRead(path);
      op.security = open ? [] : write ? either : [{}, ...either];
      if (!open) {
        op.responses['401'] ??= {
          description: write
            ? 'API_KEYS is set and the request has no valid key; nothing changed.'
            : 'API_KEYS_FOR_READS is on and the request has no valid key.',
          headers: {
            'WWW-Authenticate': { schema: { type: 'string', example: 'Bearer realm="beacon"' } },
          },
          content: errorContent(
            401,
            'Unauthorized',
            'An API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
          ),
        };
      }
      op.responses['429'] ??= {
        description: 'RATE_LIMIT_PER_MINUTE is set and this client has used its minute.',
        headers: {
          'Retry-After': {
            description: 'Seconds until the client may send again.',
            schema: { type: 'integer' },
          },
        },
        content: errorContent(
          429,
          'Too Many Requests',
          'Too many requests: RATE_LIMIT_PER_MINUTE allows 100 a minute per client; retry after the Retry-After seconds',
        ),
      };
    }
  }
}
