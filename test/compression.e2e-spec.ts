import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { startTestApp, TestApp } from './helpers/test-app';

/** One GET with `accept-encoding` as given: its status, headers and the raw bytes received. */
function get(base: string, path: string, acceptEncoding?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; raw: Buffer }>(
    (resolve, reject) => {
      const req = request(
        new URL(path, base),
        { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              raw: Buffer.concat(chunks),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

const decoders: Record<string, (b: Buffer) => Buffer> = {
  br: brotliDecompressSync,
  gzip: gunzipSync,
  deflate: inflateSync,
};

/**
 * Compression (seed 001's wish), on whichever adapter serves: large JSON and text answers
 * in the encoding the client prefers, the same bytes once decoded, small ones and clients
 * that ask for none as they are.
 */
describe('compression (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it.each([
    ['gzip', 'gzip'],
    ['deflate', 'deflate'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
  ])('Accept-Encoding: %s → %s, the same JSON once decoded', async (accept, expected) => {
    const plain = await get(t.baseUrl, '/swagger-json');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const packed = await get(t.baseUrl, '/swagger-json', accept);
    expect(packed.status).toBe(200);
    expect(packed.headers['content-encoding']).toBe(expected);
    expect(String(packed.headers['vary'])).toMatch(/accept-encoding/i);
    expect(packed.raw.length).toBeLessThan(plain.raw.length / 3);
    expect(JSON.parse(decoders[expected](packed.raw).toString())).toEqual(
      JSON.parse(plain.raw.toString()),
    );
  });

  it('compresses /prometheus text too; not a small answer, and not for a client that takes none', async () => {
    const text = await get(t.baseUrl, '/prometheus', 'gzip');
    expect(text.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(text.raw).toString()).toContain('# TYPE');
    const small = await get(t.baseUrl, '/health/live', 'gzip');
    expect(small.status).toBe(200);
    expect(small.headers['content-encoding']).toBeUndefined();
    const identity = await get(t.baseUrl, '/swagger-json', 'identity');
    expect(identity.headers['content-encoding']).toBeUndefined();
  });

  it('COMPRESSION=false sends every answer as it is', async () => {
    const off = await startTestApp({ COMPRESSION: 'false' });
    try {
      const res = await get(off.baseUrl, '/swagger-json', 'gzip, br');
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(() => JSON.parse(res.raw.toString()) as unknown).not.toThrow();
    } finally {
      await off.close();
    }
  });
});
