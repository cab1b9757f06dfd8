import { ensureBuilt } from './helpers/build';
import { eventually } from './helpers/eventually';
import { ServerProcess, startServerProcess } from './helpers/server-process';
import { tempDir } from './helpers/temp-dir';
import { rmSync } from 'node:fs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * X-Request-Id (seed 001's wish for correlation ids): a valid one sent is kept, anything
 * else replaced by a new UUID, echoed on every answer, errors included, and carried by the
 * log lines of that request.
 */
describe('X-Request-Id (e2e)', () => {
  jest.setTimeout(60_000);
  let server: ServerProcess;
  let dir: string;
  beforeAll(async () => {
    ensureBuilt();
    dir = tempDir('beacon-request-id-');
    server = await startServerProcess(
      { DATA_DIR: dir, LOG_REQUESTS: 'true', LOG_LEVEL: 'debug' },
      { built: true },
    );
  });
  afterAll(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string, id?: string) => {
    const res = await fetch(server.baseUrl + path, {
      headers: id === undefined ? {} : { 'x-request-id': id },
    });
    await res.arrayBuffer();
    return { status: res.status, id: res.headers.get('x-request-id') };
  };

  it('keeps a valid id, replaces a bad one, makes one when none is sent', async () => {
    expect(await get('/metrics', 'trace-4bf92f35.00f067aa')).toEqual({
      status: 200,
      id: 'trace-4bf92f35.00f067aa',
    });
    for (const bad of ['has space', 'x'.repeat(129), '']) {
      const res = await get('/metrics', bad);
      expect(res.id).toMatch(UUID);
    }
    const [a, b] = [await get('/metrics'), await get('/metrics')];
    expect(a.id).toMatch(UUID);
    expect(b.id).toMatch(UUID);
    expect(a.id).not.toBe(b.id);
    // Errors and refusals too: a 404, and a 400 from validation.
    expect(await get('/no-such-path', 'err-404')).toEqual({ status: 404, id: 'err-404' });
    expect(await get('/analysis?duration=nonsense', 'err-400')).toEqual({
      status: 400,
      id: 'err-400',
    });
  });

  it("is in that request's log lines: the request line and the error filter's", async () => {
    await get('/metrics/unknown-metric-for-log', 'log-line-id-1');
    type Entry = { msg: string; reqId?: string };
    await eventually(() =>
      (server.logs as Entry[]).some((l) => l.reqId === 'log-line-id-1' && /completed/.test(l.msg)),
    );
    // The 404's own line (at debug), logged while the request was handled.
    expect(
      (server.logs as Entry[]).some(
        (l) =>
          l.reqId === 'log-line-id-1' && /404 GET \/metrics\/unknown-metric-for-log/.test(l.msg),
      ),
    ).toBe(true);
  });
});
