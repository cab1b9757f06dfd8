import type { IncomingMessage } from 'node:http';
import { ApiKeys, isLoopback } from './api-keys';

const KEY = 'k-0123456789abcdef';

function request(
  headers: Record<string, string>,
  remoteAddress = '127.0.0.1',
  method = 'POST',
  url = '/metrics/a/latency',
): IncomingMessage {
  return { headers, method, url, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('ApiKeys', () => {
  const keys = new ApiKeys([KEY, 'k-second-key-0000']);

  it('is off without keys: nothing is required, loopback callers see details, others not', () => {
    const off = new ApiKeys([]);
    expect(off.enabled).toBe(false);
    expect(off.refusal(request({}))).toBeNull();
    expect(off.maySeeDetails(request({}, '127.0.0.1'))).toBe(true);
    expect(off.maySeeDetails(request({}, '::ffff:127.0.0.1'))).toBe(true);
    expect(off.maySeeDetails(request({}, '::1'))).toBe(true);
    expect(off.maySeeDetails(request({}, '10.0.0.7'))).toBe(false);
    expect(off.maySeeDetails(request({}, '::ffff:192.168.1.2'))).toBe(false);
  });

  it('takes either key, as a bearer token (any case of the scheme) or X-API-Key', () => {
    expect(keys.presentsKey(request({ authorization: `Bearer ${KEY}` }))).toBe(true);
    expect(keys.presentsKey(request({ authorization: `bearer   ${KEY}` }))).toBe(true);
    expect(keys.presentsKey(request({ 'x-api-key': 'k-second-key-0000' }))).toBe(true);
  });

  it('refuses what is not exactly a key: a prefix, a longer string, another scheme', () => {
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: `Bearer ${KEY.slice(0, -1)}` },
      { authorization: `Bearer ${KEY}0` },
      { authorization: `Basic ${KEY}` },
      { authorization: KEY },
      { 'x-api-key': '' },
    ]) {
      expect(keys.presentsKey(request(headers))).toBe(false);
      expect(keys.refusal(request(headers))).toMatch(/API key/);
    }
  });

  it('requires a key for writes only, unless reads are keyed too', () => {
    const m = (k: ApiKeys, method: string, url: string) => k.required(method, url);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'])
      expect(m(keys, method, '/x')).toBe(true);
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(m(keys, method, '/x')).toBe(false);
    const reads = new ApiKeys([KEY], true);
    expect(m(reads, 'GET', '/metrics')).toBe(true);
    expect(m(reads, 'HEAD', '/health')).toBe(true);
    expect(m(reads, 'OPTIONS', '/metrics')).toBe(false);
    for (const open of [
      '/health/live',
      '/health/ready',
      '/swagger',
      '/swagger/x.js',
      '/swagger-json',
    ])
      expect([open, m(reads, 'GET', open)]).toEqual([open, false]);
    // Prefixes of open paths are not open.
    expect(m(reads, 'GET', '/health/liveness')).toBe(true);
    expect(m(reads, 'GET', '/swaggerx')).toBe(true);
  });

  it('takes the key as a subprotocol in a WebSocket handshake only', () => {
    const protocols = {
      'sec-websocket-protocol': `beacon, beacon-key.${Buffer.from(KEY).toString('base64url')}`,
    };
    expect(keys.webSocketRefusal(request(protocols, '127.0.0.1', 'GET', '/ws'))).toBeNull();
    expect(keys.webSocketRefusal(request({}, '127.0.0.1', 'GET', '/ws'))).toMatch(/required/);
    expect(keys.webSocketRefusal(request({ 'sec-websocket-protocol': 'beacon-key.eA' }))).toMatch(
      /not valid/,
    );
    // A plain HTTP write with the same header (even with Upgrade: set) gets nothing from it.
    expect(keys.refusal(request({ ...protocols, upgrade: 'websocket' }))).toMatch(/required/);
    expect(new ApiKeys([]).webSocketRefusal(request({}))).toBeNull();
  });

  it('shows details to a keyed caller only, wherever it is, when keys are on', () => {
    expect(keys.maySeeDetails(request({}, '127.0.0.1'))).toBe(false);
    expect(keys.maySeeDetails(request({ 'x-api-key': KEY }, '10.0.0.7'))).toBe(true);
  });

  it('knows loopback addresses', () => {
    expect(isLoopback('127.8.9.10')).toBe(true);
    expect(isLoopback('1.127.0.0')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
  });
});
