import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rawRequest } from './client/beacon-client';
import { TestApp, startTestApp } from './helpers/test-app';

describe('foundation (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('serves Swagger UI at /swagger', async () => {
    const res = await fetch(`${t.baseUrl}/swagger`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger-ui');
  });

  it('serves at /swagger-json exactly the committed openapi/openapi.json', async () => {
    const served: unknown = await (await fetch(`${t.baseUrl}/swagger-json`)).json();
    const committed: unknown = JSON.parse(
      readFileSync(join(__dirname, '..', 'openapi', 'openapi.json'), 'utf8'),
    );
    expect(served).toEqual(committed);
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    const res = await rawRequest(t.baseUrl, 'GET', '/no/such/thing');
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Cannot GET /no/such/thing',
    });
  });

  it('does not advertise the framework', async () => {
    const res = await fetch(`${t.baseUrl}/health`);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('configuration (e2e)', () => {
  it('refuses to start on a bad value and names the variable', async () => {
    await expect(startTestApp({ LATENCY_WINDOW_MS: 'soon' })).rejects.toThrow('LATENCY_WINDOW_MS');
  });

  it('honours BODY_LIMIT', async () => {
    const t = await startTestApp({ BODY_LIMIT: '1kb' });
    try {
      const body = JSON.stringify({ latencies_ns: Array(600).fill(1) });
      const res = await rawRequest(t.baseUrl, 'POST', '/metrics/a/latencies', body);
      expect(res.status).toBe(413);
    } finally {
      await t.close();
    }
  });
});
