import { FakeClock } from './helpers/fake-clock';
import { LatencyService } from '../src/latency/latency.service';
import { rawRequest } from './client/beacon-client';
import { TestApp, startTestApp } from './helpers/test-app';

const post = (t: TestApp, id: string, body: string) =>
  rawRequest(t.baseUrl, 'POST', `/metrics/${encodeURIComponent(id)}/latency`, body);

describe('latency (e2e)', () => {
  let t: TestApp;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    t = await startTestApp({}, { clock });
  });
  afterEach(() => t.close());

  const snapshot = async (id: string, percentiles?: string) => {
    const { data, response } = await t.client.GET('/metrics/{id}', {
      params: { path: { id }, query: percentiles ? { percentiles } : {} },
    });
    return { data, status: response.status };
  };

  describe('POST /metrics/{id}/latency', () => {
    it('records a sample and answers 202 with an empty body', async () => {
      const { response, data } = await t.client.POST('/metrics/{id}/latency', {
        params: { path: { id: 'api' } },
        body: { latency_ns: 123 },
      });
      expect(response.status).toBe(202);
      expect(data).toBeUndefined();
      const { data: snap } = await snapshot('api');
      expect(snap).toEqual({
        MetricID: 'api',
        Window: 60_000_000_000,
        MaxSamples: 10_000,
        Count: 1,
        P50: 123,
        P95: 123,
        P99: 123,
        Truncated: false,
      });
    });

    it.each([
      ['zero', '{"latency_ns": 0}'],
      ['negative', '{"latency_ns": -5}'],
      ['a float', '{"latency_ns": 1.5}'],
      ['a string', '{"latency_ns": "123"}'],
      ['above MAX_SAFE_INTEGER', '{"latency_ns": 9007199254740993}'],
      ['null', '{"latency_ns": null}'],
      ['a missing field', '{}'],
      ['an unknown field', '{"latency_ns": 5, "unit": "ms"}'],
      ['an array body', '[5]'],
    ])('rejects %s with 400 and records nothing', async (_case, body) => {
      const res = await post(t, 'api', body);
      expect(res.status).toBe(400);
      const err = res.json<{ statusCode: number; error: string; message: string[] }>();
      expect(err.statusCode).toBe(400);
      expect(err.error).toBe('Bad Request');
      expect(JSON.stringify(err.message)).toMatch(
        /latency_ns|property unit should not exist|array/,
      );
      expect((await snapshot('api')).status).toBe(404);
    });

    it('rejects invalid JSON with 400 in the same error shape', async () => {
      const res = await post(t, 'api', '{"latency_ns": ');
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect((await snapshot('api')).status).toBe(404);
    });

    it('rejects a body over BODY_LIMIT with 413', async () => {
      const big = JSON.stringify({ latency_ns: 1, pad: 'x'.repeat(1_100_000) });
      const res = await post(t, 'api', big);
      expect(res.status).toBe(413);
      expect(res.json()).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    });

    it('records exactly 1,000 concurrent samples to one metric', async () => {
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          t.client.POST('/metrics/{id}/latency', {
            params: { path: { id: 'hot' } },
            body: { latency_ns: i + 1 },
          }),
        ),
      );
      const { data } = await snapshot('hot');
      expect(data).toMatchObject({ Count: 1000, P50: 500, P95: 950, P99: 990 });
    });

    it('creating a metric leaves every other metric intact (the seed wiped them)', async () => {
      await post(t, 'a', '{"latency_ns": 1}');
      await post(t, 'b', '{"latency_ns": 2}');
      await post(t, 'c', '{"latency_ns": 3}');
      const { data } = await t.client.GET('/metrics');
      expect(data!.map((s) => [s.MetricID, s.Count])).toEqual([
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ]);
    });
  });

  describe('POST /metrics/{id}/latencies', () => {
    it('records a batch and says how many', async () => {
      const { data, response } = await t.client.POST('/metrics/{id}/latencies', {
        params: { path: { id: 'batch' } },
        body: { latencies_ns: [30, 10, 20] },
      });
      expect(response.status).toBe(202);
      expect(data).toEqual({ accepted: 3 });
      expect((await snapshot('batch')).data).toMatchObject({ Count: 3, P50: 20, P99: 30 });
    });

    it.each([
      ['one bad value', '{"latencies_ns": [1, 2, 0]}'],
      ['a string among numbers', '{"latencies_ns": [1, "2"]}'],
      ['an empty batch', '{"latencies_ns": []}'],
      ['more than 10,000 values', JSON.stringify({ latencies_ns: Array(10_001).fill(1) })],
      ['not an array', '{"latencies_ns": 5}'],
    ])('rejects %s as a whole and records nothing', async (_case, body) => {
      const res = await rawRequest(t.baseUrl, 'POST', '/metrics/batch/latencies', body);
      expect(res.status).toBe(400);
      expect(res.text).toContain('latencies_ns');
      expect((await snapshot('batch')).status).toBe(404);
    });

    it('accepts exactly 10,000 values', async () => {
      const body = { latencies_ns: Array.from({ length: 10_000 }, (_, i) => i + 1) };
      const { data } = await t.client.POST('/metrics/{id}/latencies', {
        params: { path: { id: 'big' } },
        body,
      });
      expect(data).toEqual({ accepted: 10_000 });
      expect((await snapshot('big')).data).toMatchObject({ Count: 10_000, P50: 5000, P99: 9900 });
    });
  });

  describe('GET /metrics/{id} and GET /metrics', () => {
    it('answers 404 for an unknown metric', async () => {
      const res = await rawRequest(t.baseUrl, 'GET', '/metrics/missing');
      expect(res.status).toBe(404);
      expect(res.json()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: "Metric 'missing' not found",
      });
    });

    it('lists [] when there are no metrics', async () => {
      const { data, response } = await t.client.GET('/metrics');
      expect(response.status).toBe(200);
      expect(data).toEqual([]);
    });

    it('lists many metrics sorted by MetricID', async () => {
      const ids = ['zeta', 'alpha', 'Mid', '10', '9', 'beta'];
      for (const id of ids) await post(t, id, '{"latency_ns": 7}');
      const { data } = await t.client.GET('/metrics');
      expect(data!.map((s) => s.MetricID)).toEqual([...ids].sort());
    });

    it('computes extra percentiles on request', async () => {
      await t.client.POST('/metrics/{id}/latencies', {
        params: { path: { id: 'p' } },
        body: { latencies_ns: Array.from({ length: 1000 }, (_, i) => i + 1) },
      });
      const { data } = await snapshot('p', '90,99.9,100');
      expect(data!.Percentiles).toEqual({ p90: 900, 'p99.9': 999, p100: 1000 });
      const list = await t.client.GET('/metrics', { params: { query: { percentiles: '25' } } });
      expect(list.data![0].Percentiles).toEqual({ p25: 250 });
    });

    it.each([
      '0',
      '101',
      'abc',
      '50,',
      '-1',
      Array.from({ length: 21 }, (_, i) => i + 1).join(','),
    ])('rejects percentiles=%s with 400', async (value) => {
      await post(t, 'p', '{"latency_ns": 1}');
      const res = await rawRequest(
        t.baseUrl,
        'GET',
        `/metrics/p?percentiles=${encodeURIComponent(value)}`,
      );
      expect(res.status).toBe(400);
      expect(res.text).toContain('percentiles must be');
    });

    it('returns null percentiles once every sample has left the window', async () => {
      await post(t, 'w', '{"latency_ns": 5}');
      clock.advance(59_999);
      expect((await snapshot('w')).data).toMatchObject({ Count: 1, P50: 5 });
      clock.advance(1);
      expect((await snapshot('w')).data).toMatchObject({
        Count: 0,
        P50: null,
        P95: null,
        P99: null,
      });
    });

    it('slides: only samples newer than now - window count', async () => {
      for (let i = 1; i <= 10; i++) {
        await post(t, 's', JSON.stringify({ latency_ns: i * 100 }));
        clock.advance(10_000);
      }
      // Samples arrived at 0, 10, …, 90 s; now = 100 s; the window (40 s, 100 s] holds the
      // five from 50 s on: 600 … 1000.
      expect((await snapshot('s')).data).toMatchObject({ Count: 5, P50: 800, P99: 1000 });
    });
  });

  describe('paths', () => {
    it.each([
      ['GET', '/metrics/a/b'],
      ['POST', '/metrics//latency'],
      ['POST', '/metrics/a/latency/extra'],
      ['GET', '/metric/a'],
    ])('%s %s → 404 in the error shape', async (method, path) => {
      const body = method === 'GET' ? undefined : '{"latency_ns": 1}';
      const res = await rawRequest(t.baseUrl, method, path, body);
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    });

    it('PATCH /metrics/a → 405 in the error shape: the path is served, not with PATCH', async () => {
      const res = await rawRequest(t.baseUrl, 'PATCH', '/metrics/a', '{"latency_ns": 1}');
      expect(res.status).toBe(405);
      expect(res.json()).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
    });

    it.each(['__proto__', 'constructor', 'hasOwnProperty', 'a/b', 'ü ñ 漢字', 'x'.repeat(200)])(
      'treats %s as an ordinary id',
      async (id) => {
        expect((await post(t, id, '{"latency_ns": 9}')).status).toBe(202);
        const { data } = await snapshot(id);
        expect(data).toMatchObject({ MetricID: id, Count: 1 });
        expect((await t.client.GET('/metrics')).data!.map((s) => s.MetricID)).toEqual([id]);
      },
    );

    it('rejects an id longer than 200 characters', async () => {
      const res = await post(t, 'x'.repeat(201), '{"latency_ns": 9}');
      expect(res.status).toBe(400);
      expect(res.text).toContain('id must be shorter than or equal to 200 characters');
    });
  });

  describe('PUT and DELETE /metrics/{id}', () => {
    it('creates with 201, reconfigures with 200', async () => {
      const created = await t.client.PUT('/metrics/{id}', {
        params: { path: { id: 'cfg' } },
        body: { window_ms: 5000, max_samples: 3 },
      });
      expect(created.response.status).toBe(201);
      expect(created.data).toMatchObject({ Window: 5_000_000_000, MaxSamples: 3, Count: 0 });
      const updated = await t.client.PUT('/metrics/{id}', {
        params: { path: { id: 'cfg' } },
        body: { window_ms: 10_000 },
      });
      expect(updated.response.status).toBe(200);
      expect(updated.data).toMatchObject({ Window: 10_000_000_000, MaxSamples: 3 });
    });

    it('says Truncated while max_samples has dropped samples still in the window', async () => {
      await t.client.PUT('/metrics/{id}', {
        params: { path: { id: 'tr' } },
        body: { window_ms: 1000, max_samples: 3 },
      });
      await t.client.POST('/metrics/{id}/latencies', {
        params: { path: { id: 'tr' } },
        body: { latencies_ns: [1, 2, 3, 4, 5] },
      });
      expect((await snapshot('tr')).data).toMatchObject({ Count: 3, P50: 4, Truncated: true });
      clock.advance(1000);
      expect((await snapshot('tr')).data).toMatchObject({ Count: 0, Truncated: false });
    });

    it('lowering max_samples keeps the newest samples', async () => {
      await t.client.POST('/metrics/{id}/latencies', {
        params: { path: { id: 'shrink' } },
        body: { latencies_ns: [50, 40, 30, 20, 10] },
      });
      const { data } = await t.client.PUT('/metrics/{id}', {
        params: { path: { id: 'shrink' } },
        body: { max_samples: 2 },
      });
      expect(data).toMatchObject({ Count: 2, P50: 10, P99: 20, Truncated: true });
    });

    it.each([
      ['window_ms above LATENCY_MAX_WINDOW_MS', '{"window_ms": 86400001}', 'window_ms'],
      ['max_samples above LATENCY_MAX_SAMPLES_LIMIT', '{"max_samples": 1000001}', 'max_samples'],
      ['window_ms 0', '{"window_ms": 0}', 'window_ms'],
      ['a float', '{"max_samples": 2.5}', 'max_samples'],
      ['an unknown field', '{"window": 5}', 'window'],
    ])('rejects %s with 400 and changes nothing', async (_case, body, word) => {
      const res = await rawRequest(t.baseUrl, 'PUT', '/metrics/cfg', body);
      expect(res.status).toBe(400);
      expect(res.text).toContain(word);
      expect((await snapshot('cfg')).status).toBe(404);
    });

    it('deletes with 204, then 404', async () => {
      await post(t, 'gone', '{"latency_ns": 1}');
      const del = await t.client.DELETE('/metrics/{id}', { params: { path: { id: 'gone' } } });
      expect(del.response.status).toBe(204);
      expect((await snapshot('gone')).status).toBe(404);
      const again = await t.client.DELETE('/metrics/{id}', { params: { path: { id: 'gone' } } });
      expect(again.response.status).toBe(404);
    });
  });

  describe('pruning', () => {
    it('the scheduled job frees the memory of idle metrics', async () => {
      await t.client.POST('/metrics/{id}/latencies', {
        params: { path: { id: 'idle' } },
        body: { latencies_ns: Array.from({ length: 500 }, (_, i) => i + 1) },
      });
      const before = await t.client.GET('/health');
      expect(before.data!.details!.latency).toMatchObject({ samples: 500 });
      clock.advance(60_000);
      expect(await t.app.get(LatencyService).pruneExpired()).toBe(500);
      const after = await t.client.GET('/health');
      expect(after.data!.details!.latency).toMatchObject({ samples: 0, bytes: 0 });
      // The metric itself stays, empty.
      expect((await snapshot('idle')).data).toMatchObject({ Count: 0 });
    });
  });
});

describe('latency limits (e2e)', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('refuses a metric beyond LATENCY_MAX_METRICS with 409 and keeps the others', async () => {
    t = await startTestApp({ LATENCY_MAX_METRICS: '2' });
    expect((await post(t, 'one', '{"latency_ns": 1}')).status).toBe(202);
    expect((await post(t, 'two', '{"latency_ns": 1}')).status).toBe(202);
    const third = await post(t, 'three', '{"latency_ns": 1}');
    expect(third.status).toBe(409);
    expect(third.text).toContain('LATENCY_MAX_METRICS');
    // Existing metrics still take samples.
    expect((await post(t, 'two', '{"latency_ns": 1}')).status).toBe(202);
    expect((await t.client.GET('/metrics')).data!.map((s) => s.MetricID)).toEqual(['one', 'two']);
    // The full report says the module is down (it refuses new metrics); readiness holds,
    // because existing metrics still take samples.
    const health = await rawRequest(t.baseUrl, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(health.json()).toMatchObject({
      status: 'error',
      error: { latency: { status: 'down', metrics: 2, atMetricLimit: true, atLimit: true } },
    });
    expect(JSON.stringify(health.json())).toContain('new metrics get 409');
    expect((await t.client.GET('/health/ready')).response.status).toBe(200);
    // Deleting a metric brings it back up.
    await rawRequest(t.baseUrl, 'DELETE', '/metrics/one');
    expect((await t.client.GET('/health')).response.status).toBe(200);
  });

  it('refuses a reconfiguration beyond LATENCY_MAX_TOTAL_SAMPLES with 409', async () => {
    t = await startTestApp({ LATENCY_MAX_TOTAL_SAMPLES: '25000' });
    await post(t, 'a', '{"latency_ns": 1}'); // reserves 10,000
    const res = await rawRequest(t.baseUrl, 'PUT', '/metrics/a', '{"max_samples": 30000}');
    expect(res.status).toBe(409);
    expect(res.text).toContain('LATENCY_MAX_TOTAL_SAMPLES');
    expect(
      (await t.client.GET('/metrics/{id}', { params: { path: { id: 'a' } } })).data,
    ).toMatchObject({ MaxSamples: 10_000, Count: 1 });
  });
});
