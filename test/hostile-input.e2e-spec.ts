import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { handshakeStatus } from './helpers/ws-client';
import { freshSchema, TestSchema } from './helpers/postgres';
import { startTestApp, TestApp } from './helpers/test-app';

const json = { 'content-type': 'application/json' };

/**
 * Sends raw bytes, then trickles `trickle.chunk` until the connection closes; resolves with
 * the status line, how the server ended it, and whether it was cut by our 10 s guard.
 */
function rawRequest(
  port: number,
  head: string,
  trickle: { chunk: Buffer; everyMs: number },
): Promise<{ statusLine: string; ended: boolean; reset: boolean; cutByGuard: boolean }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    // The body only after the head: a chunk written first would make a malformed request.
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      timer = setInterval(() => socket.write(trickle.chunk), trickle.everyMs);
    });
    let answer = '';
    let ended = false;
    let reset = false;
    let cutByGuard = false;
    // Only against a hang: a server that never closes is cut here, and the test says so.
    const guard = setTimeout(() => {
      cutByGuard = true;
      socket.destroy();
    }, 10_000);
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('end', () => (ended = true)); // the server's FIN
    socket.on('error', (e: NodeJS.ErrnoException) => {
      reset ||= e.code === 'ECONNRESET' || e.code === 'EPIPE';
    });
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(guard);
      if (!answer)
        return reject(new Error(`closed without an answer after ${Date.now() - started} ms`));
      resolve({ statusLine: answer.split('\r\n')[0], ended, reset, cutByGuard });
    });
  });
}

/**
 * Input a stranger can send: each case here answered 500, 503 or nothing at all before,
 * and each now gets a clear 4xx that changes nothing.
 */
describe('hostile input (e2e)', () => {
  let t: TestApp;
  let schema: TestSchema;
  let port: number;
  beforeAll(async () => {
    schema = await freshSchema('beacon_hostile');
    t = await startTestApp({ API_METRICS_ENABLED: 'true', DATABASE_URL: schema.url });
    port = Number(new URL(t.baseUrl).port);
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await schema.drop();
  });

  const send = (path: string, init: RequestInit) => fetch(`${t.baseUrl}${path}`, init);
  const metricCount = async () => ((await (await send('/metrics', {})).json()) as []).length;
  const bodyRoutes: [string, string, (inner: string) => string][] = [
    ['POST', '/metrics/deep/latency', (inner) => `{"latency_ns": ${inner}}`],
    ['POST', '/metrics/deep/latencies', (inner) => `{"latencies_ns": ${inner}}`],
    ['PUT', '/metrics/deep', (inner) => `{"window_ms": ${inner}}`],
    ['POST', '/messages', (inner) => `{"metadata": ${inner}}`],
  ];

  it.each(bodyRoutes)(
    '%s %s: a body nested 5,000 deep is a 400, not a stack overflow',
    async (method, path, wrap) => {
      const deep = '['.repeat(5000) + ']'.repeat(5000);
      const res = await send(path, { method, headers: json, body: wrap(deep) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toBe(
        'The JSON body is nested deeper than 64 levels (BODY_MAX_DEPTH)',
      );
      expect(await metricCount()).toBe(0);
    },
  );

  it.each(bodyRoutes)(
    '%s %s: a Content-Encoding the body does not match is a 400; an unknown one 415',
    async (method, path, wrap) => {
      const wrong = await send(path, {
        method,
        headers: { ...json, 'content-encoding': 'gzip' },
        body: wrap('1'),
      });
      expect(wrong.status).toBe(400);
      expect(((await wrong.json()) as { message: string }).message).toMatch(
        /does not decode as its Content-Encoding says/,
      );
      const unknown = await send(path, {
        method,
        headers: { ...json, 'content-encoding': 'zstd-ish' },
        body: wrap('1'),
      });
      expect(unknown.status).toBe(415);
      expect(await metricCount()).toBe(0);
    },
  );

  it('a gzip body that does decode is taken', async () => {
    const res = await send('/metrics/zipped/latency', {
      method: 'POST',
      headers: { ...json, 'content-encoding': 'gzip' },
      body: gzipSync('{"latency_ns": 5}'),
    });
    expect(res.status).toBe(202);
    await send('/metrics/zipped', { method: 'DELETE' });
  });

  it('NUL in a query is a 400 before the database, not a 503 to retry for ever', async () => {
    for (const path of [
      '/api-metrics/percentiles?route=%00x',
      '/api-metrics?minutes=1&route=a%00',
      '/api-metrics/series?minutes=1&route=%00',
    ]) {
      const res = await send(path, {});
      expect({ path, status: res.status, retry: res.headers.get('retry-after') }).toEqual({
        path,
        status: 400,
        retry: null,
      });
    }
  });

  it('broken percent-encoding or non-UTF-8 in an id is a 400', async () => {
    for (const path of ['/rockets/%E0%A4%A', '/metrics/%FF', '/rockets/%']) {
      const res = await send(path, {});
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
    }
  });

  it('a GET with a JSON body ignores the body, even a broken one', async () => {
    const { request } = await import('node:http');
    for (const path of ['/health/live', '/counter', '/analysis/status', '/rockets']) {
      // fetch() refuses a GET with a body; node:http sends one.
      const status = await new Promise<number>((resolve, reject) => {
        const headers = { ...json, 'content-length': '7' };
        const req = request(`${t.baseUrl}${path}`, { method: 'GET', headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{broken');
      });
      expect({ path, status }).toEqual({ path, status: 200 });
    }
  });

  it('a declared 1 GB body, trickled, is refused at once, before it is read', async () => {
    const head =
      'POST /metrics/big/latency HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      'Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{"latency_ns":';
    const r = await rawRequest(port, head, { chunk: Buffer.from(' '), everyMs: 100 });
    // A 413 at all means it was not read: at one byte per 100 ms the body would take years.
    expect(r.statusLine).toBe('HTTP/1.1 413 Payload Too Large');
    // The server closes the connection itself (a FIN after the answer, then the cut of a
    // client that keeps sending), not our guard.
    expect({ ended: r.ended, cutByGuard: r.cutByGuard }).toEqual({
      ended: true,
      cutByGuard: false,
    });
  });

  it("uploads over BODY_LIMIT, declared or chunked, get their 413 through node's http client, one after the other", async () => {
    // node's global agent keeps connections alive: each 413 must say Connection: close, or
    // the next request goes out on a connection the server is closing ("socket hang up").
    const upload = (chunked: boolean) =>
      new Promise<string>((resolve) => {
        const body = `{"latencies_ns": [${'1234567,'.repeat(200_000)}1]}`;
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/metrics/chunked/latencies',
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(chunked ? {} : { 'content-length': String(body.length) }),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(`${res.statusCode} ${res.headers.connection}`));
          },
        );
        req.on('error', (e) => resolve(`error: ${e.message}`));
        if (!chunked) return req.end(body);
        for (let at = 0; at < body.length; at += 10_000) req.write(body.slice(at, at + 10_000));
        req.end();
      });
    const answers: string[] = [];
    for (const chunked of [false, true, false, true]) answers.push(await upload(chunked));
    expect(answers).toEqual(Array(4).fill('413 close'));
    expect((await send('/metrics/chunked', {})).status).toBe(404);
  });

  it('a declared 1 GB body sent at full speed still gets its 413, never a reset, every time', async () => {
    const head =
      'POST /metrics/big/latency HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      'Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n';
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let run = 0; run < 10; run++) {
      const r = await rawRequest(port, head, { chunk, everyMs: 1 });
      expect([run, r.statusLine]).toEqual([run, 'HTTP/1.1 413 Payload Too Large']);
      // Closed with a FIN after the answer, not a reset that can destroy it unread.
      expect([run, r.ended, r.reset]).toEqual([run, true, false]);
    }
    expect((await send('/metrics/big', {})).status).toBe(404);
  }, 60_000);

  it('refuses a WebSocket upgrade to /ws for a foreign Host, opens it for a loopback one', async () => {
    const upgrade = (host: string) =>
      handshakeStatus(`${t.baseUrl.replace('http', 'ws')}/ws`, { host });
    expect(await upgrade('evil.example')).toBe(403);
    expect(await upgrade(`localhost:${port}`)).toBe(101);
  });

  it('sets the HTTP server limits', () => {
    const server = t.app.getHttpServer() as import('node:http').Server;
    expect({
      maxConnections: server.maxConnections,
      headersTimeout: server.headersTimeout,
      requestTimeout: server.requestTimeout,
    }).toEqual({ maxConnections: 10_000, headersTimeout: 10_000, requestTimeout: 30_000 });
  });
});

describe('Host allowlist and headers (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({});
  });
  afterAll(() => t.close());

  const withHost = (path: string, host: string) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>(
      (resolve, reject) => {
        const { port } = new URL(t.baseUrl);
        // fetch() does not let a caller set Host; node:http does.
        import('node:http')
          .then(({ request }) => {
            const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
              res.resume();
              resolve({ status: res.statusCode ?? 0, headers: res.headers });
            });
            req.on('error', reject);
            req.end();
          })
          .catch(reject);
      },
    );

  it('answers loopback names on any port and refuses any other Host with 403', async () => {
    for (const host of ['localhost:8080', '127.0.0.1', '[::1]:9000', 'LOCALHOST']) {
      expect({ host, status: (await withHost('/health/live', host)).status }).toEqual({
        host,
        status: 200,
      });
    }
    for (const host of ['evil.example', 'rebind.attacker.test:8080', '127.0.0.1.evil.test']) {
      expect({ host, status: (await withHost('/health/live', host)).status }).toEqual({
        host,
        status: 403,
      });
    }
  });

  it("puts helmet's headers on answers, errors and Swagger UI alike", async () => {
    const cases = [
      ['/health/live', '127.0.0.1'],
      ['/metrics/none', '127.0.0.1'],
      ['/swagger', '127.0.0.1'],
      ['/', '127.0.0.1'],
      ['/health', 'rebound.example'], // the 403 of the Host check
    ];
    for (const [path, host] of cases) {
      const { headers } = await withHost(path, host);
      expect({ path, csp: headers['content-security-policy'] }).toEqual({
        path,
        csp: expect.stringContaining("script-src 'self'"),
      });
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(headers['strict-transport-security']).toBeUndefined();
    }
  });
});

describe('heavy reads (e2e)', () => {
  let t: TestApp;
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await freshSchema('beacon_heavy');
    t = await startTestApp({
      API_METRICS_ENABLED: 'true',
      DATABASE_URL: schema.url,
      API_METRICS_QUERY_TIMEOUT_MS: '300',
    });
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await schema.drop();
  });

  it('a read past API_METRICS_QUERY_TIMEOUT_MS is cancelled and answered 503 saying so; the database stays up', async () => {
    expect((await fetch(`${t.baseUrl}/api-metrics/percentiles`)).status).toBe(200);
    // A read that cannot finish: the table is locked by another session.
    await schema.query('BEGIN');
    await schema.query('LOCK TABLE api_metrics IN ACCESS EXCLUSIVE MODE');
    try {
      const res = await fetch(`${t.baseUrl}/api-metrics/percentiles?minutes=60`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { message: string }).message).toMatch(
        /ran past API_METRICS_QUERY_TIMEOUT_MS \(300 ms\) and was cancelled/,
      );
      // The probe runs on the writer's connection: the database is not marked down.
      expect((await fetch(`${t.baseUrl}/health/ready`)).status).toBe(200);
    } finally {
      await schema.query('ROLLBACK');
    }
    expect((await fetch(`${t.baseUrl}/api-metrics/percentiles`)).status).toBe(200);
  });
});
