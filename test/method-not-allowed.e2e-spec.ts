import { startTestApp, TestApp } from './helpers/test-app';

/**
 * A path Beacon serves, asked with a method it does not serve there, is 405 with `Allow`
 * (RFC 9110 §15.5.6; seed 001's spec says 405 for /analysis), on whichever adapter serves;
 * a path nothing serves stays 404, and so does a served path whose resource is missing.
 */
describe('405 Method Not Allowed (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const ask = async (method: string, path: string) => {
    const res = await fetch(t.baseUrl + path, { method });
    const text = await res.text();
    return {
      status: res.status,
      allow: res.headers.get('allow'),
      body: text === '' ? null : (JSON.parse(text) as { statusCode: number; message: string }),
    };
  };

  it.each([
    ['POST', '/analysis', 'GET, HEAD'],
    ['PUT', '/analysis', 'GET, HEAD'],
    ['DELETE', '/analysis', 'GET, HEAD'],
    ['DELETE', '/metrics', 'GET, HEAD'],
    ['POST', '/metrics/some-id', 'DELETE, GET, HEAD, PUT'],
    ['GET', '/metrics/some-id/latency', 'POST'],
    ['PUT', '/messages', 'POST'],
    ['POST', '/rockets', 'GET, HEAD'],
    ['PATCH', '/rockets/r-1', 'DELETE, GET, HEAD'],
    ['POST', '/counter', 'GET, HEAD'],
    ['DELETE', '/health/ready', 'GET, HEAD'],
  ])('%s %s → 405, Allow: %s', async (method, path, allow) => {
    const res = await ask(method, path);
    expect(res).toEqual({
      status: 405,
      allow,
      body: {
        statusCode: 405,
        error: 'Method Not Allowed',
        message: `${method} is not served on ${path}; it serves ${allow}`,
      },
    });
  });

  it('a path nothing serves is still 404, and a missing resource on a served path too', async () => {
    expect((await ask('POST', '/no-such-path')).status).toBe(404);
    expect((await ask('GET', '/metrics/some-id/latency/extra')).status).toBe(404);
    const missing = await ask('GET', '/metrics/never-seen');
    expect(missing.status).toBe(404);
    expect(missing.allow).toBeNull();
  });
});
