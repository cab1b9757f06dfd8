import { rawRequest } from './client/beacon-client';
import { eventually } from './helpers/eventually';
import { SAMPLE, StreamApp, startStreamApp, tweet } from './helpers/stream-app';

/**
 * What seed 001's README lists for production, on `/analysis`: custom percentiles, several
 * dimensions in one request, a staleness header and a cap on concurrent realtime requests.
 */
describe("seed 001's wishes on /analysis (e2e)", () => {
  let s: StreamApp;
  afterEach(() => s?.close());

  const ok = async (query: string) => {
    const res = await s.get(query);
    expect(`${res.status} ${res.text}`).toMatch(/^200 /);
    return res;
  };
  const message = (text: string) =>
    [(JSON.parse(text) as { message: string | string[] }).message].flat().join('; ');

  it('percentiles=: the ones asked for instead of 50/90/99, keyed as /metrics/{id} keys them', async () => {
    s = await startStreamApp(SAMPLE);
    await s.received(SAMPLE.length);
    s.clock.advance(1000);
    // comments in the sample, sorted: 0 0 0 0 2 9 10 16 21 24.
    const body = (await ok('duration=10m&dimension=comments&percentiles=10,60,75,99.9')).json();
    expect(body).toEqual({
      total_posts: 11,
      minimum_timestamp: 1679835328,
      maximum_timestamp: 1768512121,
      comments_p10: 0,
      comments_p60: 9,
      comments_p75: 16,
      'comments_p99.9': 24,
    });
  });

  it.each(['0', '100.5', 'abc', '50,,90', Array.from({ length: 21 }, (_, i) => i + 1).join(',')])(
    'percentiles=%s → 400 with the very message of /metrics/{id}',
    async (bad) => {
      s = await startStreamApp([]);
      const q = `percentiles=${encodeURIComponent(bad)}`;
      const analysis = await s.get(`duration=10m&dimension=likes&${q}`);
      const metrics = await rawRequest(s.t.baseUrl, 'GET', `/metrics/m?${q}`);
      expect([analysis.status, metrics.status]).toEqual([400, 400]);
      expect(message(analysis.text)).toBe(message(metrics.text));
      expect(message(analysis.text)).toMatch(/percentiles must be a comma-separated list/);
    },
  );

  it("dimension=likes,comments: each one's keys in one answer, as each alone gives them", async () => {
    s = await startStreamApp(SAMPLE);
    await s.received(SAMPLE.length);
    s.clock.advance(1000);
    const likes = (await ok('duration=10m&dimension=likes')).json<object>();
    const comments = (await ok('duration=10m&dimension=comments')).json<object>();
    const both = (await ok('duration=10m&dimension=likes,comments')).json<object>();
    expect(both).toEqual({ ...likes, ...comments });
    expect(Object.keys(both)).toHaveLength(9);
    // Repeated, or with a duplicate: the same answer.
    expect((await ok('duration=10m&dimension=likes&dimension=comments')).json()).toEqual(both);
    expect((await ok('duration=10m&dimension=likes,comments,likes')).json()).toEqual(both);
    // With percentiles: each dimension gets each of them.
    expect(
      Object.keys((await ok('duration=10m&dimension=views,plays&percentiles=75')).json()),
    ).toEqual(['total_posts', 'minimum_timestamp', 'maximum_timestamp', 'views_p75', 'plays_p75']);
  });

  it('several dimensions: one unknown → 400, one no post carries → 404 naming it', async () => {
    s = await startStreamApp([tweet(1_700_000_000, { likes: 3, comments: 1 })]);
    await s.received(1);
    s.clock.advance(1000);
    for (const bad of ['likes,bogus', 'likes,', ',likes', 'likes;comments']) {
      const res = await s.get(`duration=10m&dimension=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
      expect(message(res.text)).toMatch(/dimension must be one of: likes, comments/);
    }
    const res = await s.get('duration=10m&dimension=likes,favorites,comments,views');
    expect(res.status).toBe(404);
    expect(message(res.text)).toBe(
      'no data available for requested dimension and duration: 1 post arrived in the last ' +
        '10m, none carrying favorites, none carrying views',
    );
  });

  it('X-Data-Age: whole seconds since the newest post in the answer arrived, history and live', async () => {
    s = await startStreamApp([tweet(1_700_000_000, { likes: 1 })]);
    await s.received(1);
    s.clock.advance(30_000);
    s.sim.push(tweet(1_700_000_001, { likes: 2 }));
    await s.received(2);
    s.clock.advance(90_999);
    const history = await ok('duration=10m&dimension=likes');
    expect(history.headers.get('x-data-age')).toBe('90');

    const { answer } = await s.waiting('duration=10s&dimension=likes');
    s.clock.advance(2500);
    s.sim.push(tweet(1_700_000_002, { likes: 3 }));
    await s.received(3);
    s.clock.advance(7500);
    const live = await answer;
    expect(live.status).toBe(200);
    expect(live.headers.get('x-data-age')).toBe('7');
  });

  it('STREAM_MAX_LIVE_WAITS: one wait past the cap is 503 with Retry-After; history is not held', async () => {
    s = await startStreamApp([tweet(1_700_000_000, { likes: 1 })], { STREAM_MAX_LIVE_WAITS: '2' });
    await s.received(1);
    const first = await s.waiting('duration=10s&dimension=likes', 1);
    s.clock.advance(3000);
    const second = await s.waiting('duration=20s&dimension=likes', 2);
    s.clock.advance(1500);
    const refused = await s.get('duration=30s&dimension=likes');
    expect(refused.status).toBe(503);
    // The first wait ends in 5.5 s: a place is free then.
    expect(refused.headers.get('retry-after')).toBe('6');
    expect(message(refused.text)).toMatch(/2 live waits are running \(STREAM_MAX_LIVE_WAITS\)/);
    expect((await s.t.client.GET('/analysis/status')).data).toMatchObject({
      liveWaits: 2,
      liveWaitsRefused: 1,
    });
    // Answered from history at once, whatever the live waits.
    expect((await s.get('duration=10m&dimension=likes')).status).toBe(200);
    s.clock.advance(5500);
    expect((await first.answer).status).toBe(404);
    // The first wait's place is free again.
    const third = await s.waiting('duration=5s&dimension=likes', 2);
    s.clock.advance(15_000);
    expect((await second.answer).status).toBe(404);
    expect((await third.answer).status).toBe(404);
    expect((await s.t.client.GET('/analysis/status')).data).toMatchObject({
      liveWaits: 0,
      liveWaitsRefused: 1,
    });
  });

  it('STREAM_MAX_LIVE_WAITS counts waits that end at the same instant one by one', async () => {
    s = await startStreamApp([], { STREAM_MAX_LIVE_WAITS: '2' });
    const a = await s.waiting('duration=10s&dimension=likes', 1);
    const b = await s.waiting('duration=10s&dimension=likes', 2);
    const refused = await s.get('duration=10s&dimension=likes');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    s.clock.advance(10_000);
    expect([(await a.answer).status, (await b.answer).status]).toEqual([404, 404]);
    const c = await s.waiting('duration=5s&dimension=likes', 1);
    s.clock.advance(5000);
    expect((await c.answer).status).toBe(404);
  });

  it('a client that leaves during its live wait gives its place back at once', async () => {
    s = await startStreamApp([], { STREAM_MAX_LIVE_WAITS: '1' });
    const ac = new AbortController();
    const leaving = fetch(`${s.t.baseUrl}/analysis?duration=30s&dimension=likes`, {
      signal: ac.signal,
    }).catch(() => 'left');
    await eventually(() => s.clock.sleeping === 1);
    expect((await s.get('duration=5s&dimension=likes')).status).toBe(503);
    ac.abort();
    expect(await leaving).toBe('left');
    await eventually(async () => (await s.t.client.GET('/analysis/status')).data!.liveWaits === 0);
    const next = await s.waiting('duration=5s&dimension=likes', 1);
    s.clock.advance(5000);
    expect((await next.answer).status).toBe(404);
  });
});
