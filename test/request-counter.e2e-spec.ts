import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from './helpers/fake-clock';
import { CounterDto } from '../src/request-counter/dto/counter.dto';
import { RequestCounterService } from '../src/request-counter/request-counter.service';
import { rawRequest } from './client/beacon-client';
import { TestApp, startTestApp } from './helpers/test-app';

describe('request counter (e2e)', () => {
  let t: TestApp;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    t = await startTestApp({}, { clock });
  });
  afterEach(() => t?.close());

  const counter = async () => {
    const { data, response } = await t.client.GET('/counter');
    expect(response.status).toBe(200);
    return (data as CounterDto).count;
  };

  it('counts this request: the first GET /counter answers 1', async () => {
    const { data } = await t.client.GET('/counter');
    expect(data).toEqual({ count: 1, windowSeconds: 60 });
  });

  it("answers the seed's text line with Accept: text/plain", async () => {
    await rawRequest(t.baseUrl, 'GET', '/nothing-here');
    const res = await rawRequest(t.baseUrl, 'GET', '/counter', undefined, {
      accept: 'text/plain',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toBe('Requests in past 60 seconds: 2');
  });

  it('2,000 concurrent requests of every kind are counted exactly', async () => {
    const kinds = [
      () => fetch(`${t.baseUrl}/metrics`),
      () => fetch(`${t.baseUrl}/no/such/path`),
      () => fetch(`${t.baseUrl}/metrics/x/latency`, { method: 'DELETE' }), // wrong method
      () =>
        fetch(`${t.baseUrl}/metrics/x/latency`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"latency_ns": -1}', // fails validation
        }),
      () =>
        fetch(`${t.baseUrl}/metrics/x/latency`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{not json', // fails in body-parser, before any Nest middleware
        }),
      () => fetch(`${t.baseUrl}/health`, { method: 'HEAD' }),
      () => fetch(`${t.baseUrl}/counter`, { method: 'OPTIONS' }),
    ];
    // 2,000 connections opened at once: more than node's default listen backlog of 511,
    // which reset some of them under load (see `listen` in src/http/http-edge.ts).
    const statuses = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => kinds[i % kinds.length]().then((r) => r.status)),
    );
    expect(new Set(statuses)).toEqual(new Set([200, 404, 405, 400]));
    expect(await counter()).toBe(2001);
    // Client and server in this one process spend ~6 s of CPU on the 2,000; a busy 2-core
    // machine stretched that past the default 30 s. The bound only guards a hang.
  }, 120_000);

  it('requests age out exactly one window after they arrived', async () => {
    await fetch(`${t.baseUrl}/a`);
    clock.advance(30_000);
    await fetch(`${t.baseUrl}/b`);
    clock.advance(29_999);
    expect(await counter()).toBe(3); // both, and this GET
    clock.advance(1); // the first is now exactly 60 s old: out
    expect(await counter()).toBe(3); // /b, the previous GET, this GET
    clock.advance(60_000);
    expect(await counter()).toBe(1);
  });

  it('a restart on the same DATA_DIR continues the count exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beacon-restart-'));
    try {
      await t.close();
      t = await startTestApp({ DATA_DIR: dir }, { clock });
      await Promise.all(Array.from({ length: 300 }, () => fetch(`${t.baseUrl}/x`)));
      clock.advance(10_000);
      const before = t.app.get(RequestCounterService).read().count;
      expect(before).toBe(300);
      await t.close();

      t = await startTestApp({ DATA_DIR: dir }, { clock });
      expect(t.app.get(RequestCounterService).read().count).toBe(before);
      expect(await counter()).toBe(before + 1);
      clock.advance(50_000); // the 300 arrived 60 s ago now
      expect(await counter()).toBe(2);
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts WebSocket upgrades once, whether accepted, refused or dropped', async () => {
    const upgrade = (path: string, headers: Record<string, string> = {}) =>
      new Promise<number | 'dropped'>((resolve) => {
        const req = httpRequest(`${t.baseUrl}${path}`, {
          headers: { connection: 'Upgrade', upgrade: 'websocket', ...headers },
        });
        req.on('upgrade', (res: IncomingMessage, socket: Duplex) => {
          socket.destroy();
          resolve(res.statusCode!);
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', () => resolve('dropped'));
        req.end();
      });
    const handshake = {
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
    };
    // The api-metrics gateway's WebSocket server takes /ws; other paths are dropped.
    expect(await upgrade('/ws', handshake)).toBe(101);
    expect(await upgrade('/ws')).toBe(400);
    expect(await upgrade('/elsewhere', handshake)).toBe('dropped');
    expect(await counter()).toBe(4);
  });

  it('reports its file and writes at /health', async () => {
    await fetch(`${t.baseUrl}/x`);
    await t.app.get(RequestCounterService).flush();
    const { data } = await t.client.GET('/health');
    expect(data).toMatchObject({
      status: 'ok',
      info: { requestCounter: { status: 'up', enabled: true, persisting: true } },
    });
  });

  it('disabled, it answers 404, counts nothing and touches no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beacon-off-'));
    try {
      await t.close();
      t = await startTestApp({ COUNTER_ENABLED: 'false', DATA_DIR: dir });
      const res = await rawRequest(t.baseUrl, 'GET', '/counter');
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ message: expect.stringMatching(/COUNTER_ENABLED/) });
      await t.close();
      // Only the other modules' local state (DATA_DIR/state), no counter file.
      expect(readdirSync(dir)).toEqual(['state']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start when DATA_DIR does not exist, naming it', async () => {
    await t.close();
    const missing = join(tmpdir(), 'beacon-missing-dir-does-not-exist');
    await expect(startTestApp({ DATA_DIR: missing })).rejects.toThrow(
      `DATA_DIR "${missing}" does not exist`,
    );
    t = undefined as unknown as TestApp;
  });
});
