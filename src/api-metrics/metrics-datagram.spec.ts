import {
  DatagramType,
  HEADER_BYTES,
  MAX_ROUTE_BYTES,
  METRICS_FIXED_BYTES,
  decodeDatagram,
  encodeHeader,
  encodeMetricsData,
  timestampToMs,
} from './metrics-datagram';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const SECONDS = Math.floor(NOW / 1000);

function metrics(route = '/health', overrides: Partial<Record<string, number>> = {}): Buffer {
  return encodeMetricsData(
    { sequence: overrides.sequence ?? 7, timestamp: overrides.timestamp ?? SECONDS },
    {
      route,
      methodByte: overrides.methodByte ?? 1,
      statusCode: overrides.statusCode ?? 200,
      responseTimeMs: overrides.responseTimeMs ?? 12.5,
    },
  );
}

describe('decodeDatagram', () => {
  it('round-trips MetricsData with every field', () => {
    const d = decodeDatagram(metrics('/api/products', { statusCode: 503, methodByte: 2 }), NOW);
    expect(d).toEqual({
      type: DatagramType.MetricsData,
      sequence: 7,
      timeMs: SECONDS * 1000,
      record: {
        timeMs: SECONDS * 1000,
        route: '/api/products',
        method: 'POST',
        statusCode: 503,
        responseTimeMs: 12.5,
      },
    });
  });

  it('maps all nine method bytes and calls anything else UNKNOWN', () => {
    const names = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 10, 255].map((b) => {
      const d = decodeDatagram(metrics('/', { methodByte: b }), NOW);
      return d.type === DatagramType.MetricsData ? d.record.method : d.type;
    });
    expect(names).toEqual([
      'GET',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'OPTIONS',
      'HEAD',
      'TRACE',
      'CONNECT',
      'UNKNOWN',
      'UNKNOWN',
      'UNKNOWN',
    ]);
  });

  it('decodes ConnectionInit and HeartBeat headers', () => {
    const init = encodeHeader(DatagramType.ConnectionInit, { sequence: 0, timestamp: SECONDS });
    const beat = encodeHeader(DatagramType.HeartBeat, { sequence: 2 ** 32 - 1, timestamp: 0 });
    expect(decodeDatagram(init, NOW)).toEqual({
      type: DatagramType.ConnectionInit,
      sequence: 0,
      timeMs: SECONDS * 1000,
    });
    // A zero timestamp means "not given": the receiver's clock stands in.
    expect(decodeDatagram(beat, NOW)).toEqual({
      type: DatagramType.HeartBeat,
      sequence: 2 ** 32 - 1,
      timeMs: NOW,
    });
  });

  it('reads seconds, milliseconds, microseconds and nanoseconds by magnitude', () => {
    const at = (timestamp: number) => {
      const d = decodeDatagram(metrics('/', { timestamp }), NOW);
      return d.type === DatagramType.MetricsData ? d.timeMs : null;
    };
    expect(at(SECONDS)).toBe(SECONDS * 1000);
    expect(at(NOW)).toBe(NOW);
    expect(at(NOW * 1000 + 999)).toBe(NOW);
    // 1.7e18 is beyond 2^53: the two 32-bit halves still land on the right millisecond.
    expect(at(NOW * 1e6 + 123_456)).toBe(NOW);
    expect(timestampToMs(99_999_999_999)).toBe(99_999_999_999_000);
    expect(timestampToMs(100_000_000_000)).toBe(100_000_000_000);
  });

  it('uses the datagram length: trailing NULs trimmed, UTF-8 kept whole', () => {
    const padded = Buffer.concat([metrics('/café/ünïcode'), Buffer.alloc(40)]);
    const d = decodeDatagram(padded, NOW);
    expect(d.type === DatagramType.MetricsData && d.record.route).toBe('/café/ünïcode');
    const longest = decodeDatagram(metrics('/' + 'x'.repeat(MAX_ROUTE_BYTES - 1)), NOW);
    expect(longest.type).toBe(DatagramType.MetricsData);
  });

  it.each<[string, Buffer, string]>([
    ['empty', Buffer.alloc(0), 'too-short'],
    ['13-byte header', metrics().subarray(0, HEADER_BYTES - 1), 'too-short'],
    ['header-only MetricsData', metrics().subarray(0, HEADER_BYTES), 'too-short'],
    [
      'MetricsData missing its method byte',
      metrics().subarray(0, METRICS_FIXED_BYTES - 1),
      'too-short',
    ],
    ['version 2', Buffer.from([2, ...metrics().subarray(1)]), 'bad-version'],
    ['version 0', Buffer.from([0, ...metrics().subarray(1)]), 'bad-version'],
    ['type 0', Buffer.from([1, 0, ...metrics().subarray(2)]), 'bad-type'],
    ['type 4', Buffer.from([1, 4, ...metrics().subarray(2)]), 'bad-type'],
    ['empty route', metrics('').subarray(0, METRICS_FIXED_BYTES), 'bad-route'],
    [
      'route of NULs only',
      Buffer.concat([metrics('').subarray(0, METRICS_FIXED_BYTES), Buffer.alloc(5)]),
      'bad-route',
    ],
    ['NUL inside the route', metrics('/a\u0000b'), 'bad-route'],
    [
      'invalid UTF-8',
      Buffer.concat([
        metrics('').subarray(0, METRICS_FIXED_BYTES),
        Buffer.from([0x2f, 0xc3, 0x28]),
      ]),
      'bad-route',
    ],
    ['route over the limit', metrics('/' + 'x'.repeat(MAX_ROUTE_BYTES)), 'bad-route'],
    ['NaN response time', metrics('/', { responseTimeMs: NaN }), 'bad-response-time'],
    ['infinite response time', metrics('/', { responseTimeMs: Infinity }), 'bad-response-time'],
    ['negative response time', metrics('/', { responseTimeMs: -1 }), 'bad-response-time'],
  ])('drops a malformed datagram: %s', (_name, buf, reason) => {
    expect(decodeDatagram(buf, NOW)).toEqual({ type: 'malformed', reason });
  });

  it('never throws on random bytes', () => {
    let seed = 42;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff);
    for (let i = 0; i < 20_000; i++) {
      const buf = Buffer.alloc(next() % 64);
      for (let j = 0; j < buf.length; j++) buf[j] = next() & 0xff;
      if (buf.length > 1 && i % 2 === 0) buf[0] = 1;
      if (buf.length > 2 && i % 4 === 0) buf[1] = 3;
      expect(() => decodeDatagram(buf, NOW)).not.toThrow();
    }
  });
});
