import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { Compat002Server } from '../src/api-metrics/compat-002.server';
import { eventually } from './helpers/eventually';
import { freshSchema, TestSchema } from './helpers/postgres';
import { startServerProcess } from './helpers/server-process';
import { startTestApp, TestApp } from './helpers/test-app';
import { handshakeStatus } from './helpers/ws-client';
import { tempDir } from './helpers/temp-dir';

const KEY = 'k-0123456789abcdef';
const OTHER_KEY = 'k-fedcba9876543210';
const json = { 'content-type': 'application/json' };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const sample = JSON.stringify({ latency_ns: 1000 });
/** A message that a keyed POST /messages applies (a new rocket). */
const ROCKET_LAUNCH = JSON.stringify({
  metadata: {
    channel: 'keyed-rocket',
    messageNumber: 1,
    messageTime: '2022-02-02T19:39:05.86337+01:00',
    messageType: 'RocketLaunched',
  },
  message: { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' },
});

describe('API keys (e2e)', () => {
  let t: TestApp;
  let schema: TestSchema;
  const send = (path: string, init: RequestInit = {}) => fetch(`${t.baseUrl}${path}`, init);

  beforeAll(async () => {
    schema = await freshSchema('beacon_keys');
    t = await startTestApp({
      API_KEYS: `${KEY}, ${OTHER_KEY}`,
      API_METRICS_ENABLED: 'true',
      DATABASE_URL: schema.url,
      COMPAT_002_PORT: '0',
    });
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await schema.drop();
  });

  it.each([
    ['no key', {}, 'An API key is required: send Authorization: Bearer <key> or X-API-Key: <key>'],
    ['a wrong key', bearer('k-not-the-right-one'), 'The API key is not valid'],
    ['a wrong X-API-Key', { 'x-api-key': `${KEY}x` }, 'The API key is not valid'],
    ['another scheme', { authorization: `Basic ${KEY}` }, 'An API key is required'],
  ])(
    'refuses a write with %s: 401 in the error shape, nothing changed',
    async (_, headers, message) => {
      const writes: [string, string, string | undefined][] = [
        ['POST', '/metrics/keyed/latency', sample],
        ['PUT', '/metrics/keyed', JSON.stringify({ window_ms: 1000 })],
        ['POST', '/messages', ROCKET_LAUNCH],
      ];
      for (const [method, path, body] of writes) {
        const res = await send(path, { method, headers: { ...json, ...headers }, body });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="beacon"');
        const answer = (await res.json()) as { statusCode: number; error: string; message: string };
        expect(answer).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: expect.any(String),
        });
        expect(answer.message).toContain(message);
      }
      expect((await send('/metrics/keyed')).status).toBe(404);
      expect(await (await send('/rockets')).json()).toEqual([]);
    },
  );

  it('takes a write with either key, as a bearer token or X-API-Key; reads stay open', async () => {
    const put = await send('/metrics/both', {
      method: 'PUT',
      headers: { ...json, ...bearer(KEY) },
      body: JSON.stringify({ window_ms: 60_000 }),
    });
    expect(put.status).toBe(201);
    const post = await send('/metrics/both/latency', {
      method: 'POST',
      headers: { ...json, 'x-api-key': OTHER_KEY },
      body: sample,
    });
    expect(post.status).toBe(202);
    const read = await send('/metrics/both');
    expect(read.status).toBe(200);
    expect(((await read.json()) as { Count: number }).Count).toBe(1);
    // A DELETE without a key changes nothing either.
    expect((await send('/metrics/both', { method: 'DELETE' })).status).toBe(401);
    expect((await send('/metrics/both')).status).toBe(200);
    const launched = await send('/messages', {
      method: 'POST',
      headers: { ...json, ...bearer(KEY) },
      body: ROCKET_LAUNCH,
    });
    expect(launched.status).toBe(202); // the body the 401 refused is a valid one
    expect((await send('/rockets/keyed-rocket', { method: 'DELETE' })).status).toBe(401);
    const gone = await send('/rockets/keyed-rocket', { method: 'DELETE', headers: bearer(KEY) });
    expect(gone.status).toBe(204);
    const del = await send('/metrics/both', { method: 'DELETE', headers: bearer(OTHER_KEY) });
    expect(del.status).toBe(204);
    expect((await send('/metrics/both')).status).toBe(404);
  });

  /**
   * Sends a head and a few body bytes; resolves with the status line once the whole answer
   * is in and, for `until: 'fin'`, once the server has also sent its FIN.
   */
  const partial = (contentLength: number, until: 'answer' | 'fin') =>
    new Promise<{ statusLine: string; ended: boolean }>((resolve, reject) => {
      let answer = '';
      let ended = false;
      const socket = connect(Number(new URL(t.baseUrl).port), '127.0.0.1', () =>
        socket.write(
          'POST /metrics/big/latency HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
            `Content-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n{"lat`,
        ),
      );
      const guard = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no ${until} in 5 s; got ${JSON.stringify(answer)}, FIN: ${ended}`));
      }, 5000);
      // A whole answer is one whose body ends the JSON.
      const settle = () => {
        if (!answer.endsWith('}') || (until === 'fin' && !ended)) return;
        clearTimeout(guard);
        resolve({ statusLine: answer.split('\r\n')[0], ended });
        socket.destroy();
      };
      socket.on('data', (d: Buffer) => {
        answer += d.toString();
        settle();
      });
      socket.once('end', () => {
        ended = true;
        settle();
      });
      socket.once('error', reject);
    });

  it('answers 401 without waiting for the body; a declared 50 MB gets 413 and a FIN', async () => {
    // 1,000 bytes declared, 5 sent: the 401 comes now, not once the rest arrives.
    expect((await partial(1000, 'answer')).statusLine).toBe('HTTP/1.1 401 Unauthorized');
    // Over BODY_LIMIT without a key: refused for its size first, and the connection
    // closes after the answer rather than reading 50 MB to answer 401.
    expect(await partial(50 * 1024 * 1024, 'fin')).toEqual({
      statusLine: 'HTTP/1.1 413 Payload Too Large',
      ended: true,
    });
    expect((await send('/metrics/big')).status).toBe(404);
  });

  it('refuses a WebSocket upgrade without a key, on both ports; opens it with one', async () => {
    const ws = `${t.baseUrl.replace('http', 'ws')}/ws`;
    expect(await handshakeStatus(ws)).toBe(401);
    expect(await handshakeStatus(ws, bearer('k-not-the-right-one'))).toBe(401);
    expect(await handshakeStatus(ws, bearer(KEY))).toBe(101);
    expect(await handshakeStatus(ws, { 'x-api-key': OTHER_KEY })).toBe(101);
    const compat = `ws://127.0.0.1:${t.app.get(Compat002Server).port}/ws`;
    expect(await handshakeStatus(compat)).toBe(401);
    expect(await handshakeStatus(compat, bearer(KEY))).toBe(101);
  });

  it('hides paths, URLs and raw errors in /health from a caller without a key', async () => {
    type Report = { details: { requestCounter: { file: string } } };
    const open = (await (await send('/health')).json()) as Report;
    expect(open.details.requestCounter.file).toMatch(/^hidden/);
    const keyed = (await (await send('/health', { headers: bearer(KEY) })).json()) as Report;
    expect(keyed.details.requestCounter.file).toMatch(/counter/);
    expect(keyed.details.requestCounter.file).not.toMatch(/^hidden/);
  });

  it('declares both schemes on every write and an optional one on reads in the spec', async () => {
    const spec = (await (await send('/swagger-json')).json()) as {
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, Record<string, { security?: unknown[]; responses: object }>>;
    };
    expect(Object.keys(spec.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer']);
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (
          ['/health/live', '/health/ready', '/', '/dashboard', '/dashboard/assets/{name}'].includes(
            path,
          )
        ) {
          expect(op.security).toEqual([]);
          continue;
        }
        const required = [{ bearer: [] }, { apiKey: [] }];
        expect(op.security).toEqual(method === 'get' ? [{}, ...required] : required);
        expect(op.responses).toHaveProperty('401');
      }
    }
  });
});

describe('API keys for reads (e2e)', () => {
  let t: TestApp;
  const send = (path: string, init: RequestInit = {}) => fetch(`${t.baseUrl}${path}`, init);
  beforeAll(async () => {
    t = await startTestApp({ API_KEYS: KEY, API_KEYS_FOR_READS: 'true' });
  });
  afterAll(() => t.close());

  it('refuses reads without a key, except the probes and the docs', async () => {
    for (const path of ['/metrics', '/rockets', '/counter', '/health', '/prometheus']) {
      expect([path, (await send(path)).status]).toEqual([path, 401]);
      expect([path, (await send(path, { headers: bearer(KEY) })).status]).toEqual([path, 200]);
    }
    for (const path of [
      '/health/live',
      '/health/ready',
      '/swagger-json',
      '/swagger',
      '/',
      '/dashboard',
      '/dashboard/assets/dashboard.js',
    ]) {
      expect([path, (await send(path)).status]).toEqual([path, 200]);
    }
    // A CORS preflight carries no credentials by design, so it is not refused.
    expect((await send('/metrics', { method: 'OPTIONS' })).status).not.toBe(401);
  });
});

describe('rate limit (e2e)', () => {
  let t: TestApp;
  const send = (path: string) => fetch(`${t.baseUrl}${path}`);
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After past the limit, across routes; probes stay open', async () => {
    const statuses: number[] = [];
    for (const path of ['/metrics', '/rockets', '/counter', '/metrics', '/rockets']) {
      statuses.push((await send(path)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const refused = await send('/metrics');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await refused.json()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining('RATE_LIMIT_PER_MINUTE allows 5 a minute'),
    });
    expect((await send('/health/live')).status).toBe(200);
    expect((await send('/health/ready')).status).toBe(200);
  });
});

describe('no rate limit by default (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({});
  });
  afterAll(() => t.close());

  it('sets no rate-limit header and never answers 429', async () => {
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${t.baseUrl}/counter`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });
});

describe('API keys in logs (e2e, process)', () => {
  it('never writes a key, right or wrong, to the log, even with every request logged', async () => {
    const wrong = 'k-wrong-but-secret-0000';
    const dir = tempDir('beacon-keys-log-');
    const p = await startServerProcess({
      DATA_DIR: dir,
      API_KEYS: KEY,
      LOG_REQUESTS: 'true',
      LOG_LEVEL: 'debug',
    });
    try {
      for (const headers of [
        bearer(KEY),
        { 'x-api-key': KEY },
        bearer(wrong),
        { 'x-api-key': wrong },
      ]) {
        await fetch(`${p.baseUrl}/metrics/logged/latency`, {
          method: 'POST',
          headers: { ...json, ...headers },
          body: sample,
        });
      }
      // The dashboard's form, on a plain request (fetch will not send Sec-* headers).
      for (const k of [KEY, wrong]) {
        const { port } = new URL(p.baseUrl);
        await new Promise<void>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port,
              path: '/metrics/logged/latency',
              method: 'POST',
              headers: {
                ...json,
                'sec-websocket-protocol': `beacon, beacon-key.${Buffer.from(k).toString('base64url')}`,
              },
            },
            (res) => res.resume().on('end', resolve),
          );
          req.on('error', reject);
          req.end(sample);
        });
      }
      // Each of the six requests writes one line naming its path (a 202 its request line, a
      // 401 the error filter's line): once all six are in, so is everything before them.
      await eventually(
        () =>
          p.logs.filter((l) => JSON.stringify(l).includes('/metrics/logged/latency')).length >= 6,
      );
      const written = JSON.stringify(p.logs);
      expect(written).toContain('/metrics/logged/latency'); // requests were logged…
      expect(written).toContain('The API key is not valid'); // …and the 401s, in one line each
      for (const k of [KEY, wrong]) {
        expect(written).not.toContain(k);
        expect(written).not.toContain(Buffer.from(k).toString('base64url'));
      }
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
