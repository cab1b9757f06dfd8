import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { startTestApp, TestApp } from './helpers/test-app';

const KEY = 'parity-key-0123456789';
const json = { 'content-type': 'application/json' };
const withKey = { ...json, authorization: `Bearer ${KEY}` };

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
}

interface Answer {
  status: number;
  message: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** node:http, not fetch: it sets any Host, and sends a declared length it does not keep. */
function send(baseUrl: string, s: Sent): Promise<Answer> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: s.method, path: s.path, headers: s.headers ?? {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let message: unknown = text;
          try {
            message = (JSON.parse(text) as { message?: unknown }).message;
          } catch {
            // not JSON: the status is what this table compares
          }
          resolve({ status: res.statusCode ?? 0, message, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    if (s.chunked && s.body !== undefined) {
      req.write(s.body);
      req.end();
    } else {
      req.end(s.body);
    }
  });
}

/**
 * Every request-gate rule as one row: what a stranger sends, and the status it must get.
 * The table runs against an express and a fastify Beacon in the same run, and each answer
 * (status, message, the headers a rule sets) must be the same on both: a rule missing on
 * either adapter fails here.
 */
const TABLE: [string, Sent, number][] = [
  ['foreign Host', { method: 'GET', path: '/health/live', headers: { host: 'evil.example' } }, 403],
  [
    'write without a key',
    { method: 'POST', path: '/metrics/p/latency', headers: json, body: '{"latency_ns":5}' },
    401,
  ],
  [
    'write with a wrong key',
    {
      method: 'POST',
      path: '/metrics/p/latency',
      headers: { ...json, 'x-api-key': 'x'.repeat(20) },
      body: '{}',
    },
    401,
  ],
  [
    'declared body over BODY_LIMIT, without a key',
    {
      method: 'POST',
      path: '/metrics/p/latency',
      headers: { ...json, 'content-length': '5000' },
      body: '{}',
    },
    413,
  ],
  [
    'chunked body over BODY_LIMIT',
    {
      method: 'POST',
      path: '/metrics/p/latency',
      headers: withKey,
      body: `{"latency_ns":5,"x":"${'a'.repeat(3000)}"}`,
      chunked: true,
    },
    413,
  ],
  ['broken percent-encoding', { method: 'GET', path: '/metrics/%E0%A4%A' }, 400],
  ['NUL in the query', { method: 'GET', path: '/api-metrics/percentiles?route=%00' }, 400],
  [
    'body nested past BODY_MAX_DEPTH',
    {
      method: 'POST',
      path: '/metrics/p/latency',
      headers: withKey,
      body: `{"latency_ns":${'['.repeat(40)}${']'.repeat(40)}}`,
    },
    400,
  ],
  [
    'unknown Content-Encoding',
    {
      method: 'POST',
      path: '/metrics/p/latency',
      headers: { ...withKey, 'content-encoding': 'zstd-ish' },
      body: '{}',
    },
    415,
  ],
  [
    'body that does not decode as its Content-Encoding',
    {
      method: 'POST',
      path: '/metrics/p/latency',
      headers: { ...withKey, 'content-encoding': 'gzip' },
      body: '{}',
    },
    400,
  ],
  [
    'body that does not decode as br',
    {
      method: 'POST',
      path: '/metrics/p/latency',
      headers: { ...withKey, 'content-encoding': 'br' },
      body: '{}',
    },
    400,
  ],
  [
    'gzip body that decodes',
    {
      method: 'POST',
      path: '/metrics/p/latency',
      headers: { ...withKey, 'content-encoding': 'gzip' },
      body: gzipSync('{"latency_ns":5}'),
    },
    202,
  ],
  [
    'invalid JSON',
    { method: 'POST', path: '/metrics/p/latency', headers: withKey, body: '{"latency_ns":' },
    400,
  ],
  [
    'JSON that is not an object',
    { method: 'POST', path: '/metrics/p/latency', headers: withKey, body: '"5"' },
    400,
  ],
  [
    'a body of another type',
    {
      method: 'POST',
      path: '/metrics/p/latency',
      headers: { ...withKey, 'content-type': 'text/plain' },
      body: 'latency_ns=5',
    },
    400,
  ],
  [
    'an unknown field',
    {
      method: 'POST',
      path: '/metrics/p/latency',
      headers: withKey,
      body: '{"latency_ns":5,"x":1}',
    },
    400,
  ],
  [
    'a valid write',
    { method: 'POST', path: '/metrics/p/latency', headers: withKey, body: '{"latency_ns":5}' },
    202,
  ],
  ['a read without a key', { method: 'GET', path: '/metrics/p' }, 200],
  ['a trailing slash and another case', { method: 'GET', path: '/METRICS/p/' }, 200],
  ['an unknown route', { method: 'GET', path: '/no/such/route' }, 404],
  [
    'a GET with a broken JSON body',
    {
      method: 'GET',
      path: '/health/live',
      headers: { ...json, 'content-length': '7' },
      body: '{broken',
    },
    200,
  ],
  ['an id past its cap', { method: 'GET', path: `/metrics/${'i'.repeat(300)}` }, 400],
];

/**
 * Headers a rule sets, compared across adapters. `Connection` is compared on the 413s, where
 * `close` is the rule; a body that fails to decode also closes it on fastify (whose parser
 * stops reading), where express reads the rest and keeps it.
 */
const RULE_HEADERS = [
  'www-authenticate',
  'content-security-policy',
  'x-content-type-options',
  'x-frame-options',
  'strict-transport-security',
];

describe('the request gate on both adapters (e2e)', () => {
  const apps: Record<string, TestApp> = {};
  beforeAll(async () => {
    for (const adapter of ['express', 'fastify']) {
      apps[adapter] = await startTestApp({
        HTTP_ADAPTER: adapter,
        API_KEYS: KEY,
        BODY_LIMIT: '1kb',
        BODY_MAX_DEPTH: '32',
      });
    }
  });
  afterAll(async () => {
    for (const t of Object.values(apps)) await t.close();
  });

  it('serves each app with the adapter it names', () => {
    expect(apps.express.app.getHttpAdapter().getType()).toBe('express');
    expect(apps.fastify.app.getHttpAdapter().getType()).toBe('fastify');
  });

  it.each(TABLE)('%s: the same answer on express and fastify', async (_name, sent, status) => {
    const express = await send(apps.express.baseUrl, sent);
    const fastify = await send(apps.fastify.baseUrl, sent);
    const seen = (a: Answer) => ({
      status: a.status,
      message: a.status >= 400 ? a.message : undefined,
      headers: Object.fromEntries(RULE_HEADERS.map((h) => [h, a.headers[h]])),
      connection: a.status === 413 ? a.headers.connection : undefined,
    });
    expect(seen(express).status).toBe(status);
    expect(seen(fastify)).toEqual(seen(express));
    if (status === 413) expect(fastify.headers.connection).toBe('close');
  });
});

describe('CORS on both adapters (e2e)', () => {
  const apps: Record<string, TestApp> = {};
  beforeAll(async () => {
    for (const adapter of ['express', 'fastify']) {
      apps[adapter] = await startTestApp({
        HTTP_ADAPTER: adapter,
        CORS_ORIGINS: 'https://dash.example',
      });
    }
  });
  afterAll(async () => {
    for (const t of Object.values(apps)) await t.close();
  });

  const CORS: [string, Sent, number][] = [
    [
      'a preflight from an allowed origin',
      {
        method: 'OPTIONS',
        path: '/metrics/c/latency',
        headers: {
          origin: 'https://dash.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      },
      204,
    ],
    [
      'a read from an allowed origin',
      { method: 'GET', path: '/health/live', headers: { origin: 'https://dash.example' } },
      200,
    ],
    [
      'a read from another origin',
      { method: 'GET', path: '/health/live', headers: { origin: 'https://evil.example' } },
      200,
    ],
    ['an OPTIONS that is not a preflight', { method: 'OPTIONS', path: '/health/live' }, 204],
  ];

  it.each(CORS)('%s: the same CORS answer on express and fastify', async (_name, sent, status) => {
    const cors = (a: Answer) => ({
      status: a.status,
      ...Object.fromEntries(
        Object.entries(a.headers).filter(([h]) => h.startsWith('access-control-')),
      ),
    });
    const express = cors(await send(apps.express.baseUrl, sent));
    expect(express.status).toBe(status);
    expect(cors(await send(apps.fastify.baseUrl, sent))).toEqual(express);
  });
});
