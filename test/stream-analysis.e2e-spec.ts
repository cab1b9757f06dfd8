import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Simulator, startSimulator } from '../scripts/stream-simulator';
import { FakeClock } from './helpers/fake-clock';
import { rawRequest } from './client/beacon-client';
import { eventually } from './helpers/eventually';
import { TestApp, startTestApp } from './helpers/test-app';

/** The real sample events, as the simulator's script. */
const SAMPLE = readFileSync(join(__dirname, 'fixtures', 'upfluence-stream-sample.sse'), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('data: '))
  .map((l) => l.slice(6));

describe('stream analysis (e2e)', () => {
  let sim: Simulator;
  let t: TestApp;
  let clock: FakeClock;

  const start = async (
    simOptions: Parameters<typeof startSimulator>[0],
    env: Record<string, string> = {},
  ) => {
    sim = await startSimulator(simOptions);
    clock = new FakeClock(Date.UTC(2026, 0, 1));
    t = await startTestApp({ STREAM_ENABLED: 'true', STREAM_URL: sim.url, ...env }, { clock });
  };
  afterEach(async () => {
    await t?.close();
    await sim?.close();
  });

  /** Waits for `done`, moving the clock on so reconnect backoffs (waits on the clock) pass. */
  const withBackoffsPassing = (done: () => boolean | Promise<boolean>, ms?: number) =>
    eventually(() => {
      clock.advance(1000);
      return done();
    }, ms);
  const get = (query: string) => rawRequest(t.baseUrl, 'GET', `/analysis?${query}`);
  const status = async () => (await t.client.GET('/analysis/status')).data!;

  it('history: exact nearest-rank percentiles over the real sample events', async () => {
    await start({ script: [...SAMPLE, 'not json', '{"a":{"timestamp":1},"b":{"timestamp":1}}'] });
    await eventually(async () => (await status()).eventsReceived === SAMPLE.length + 2);
    const s = await status();
    expect(s).toMatchObject({
      state: 'connected',
      postsReceived: 11,
      parseErrors: 2,
      postsRetained: 11,
    });
    clock.advance(1000);
    const likes = await get('duration=10m&dimension=likes');
    expect(likes.status).toBe(200);
    // likes present in 9 posts: 0,0,0,1,36,80,1031,1153,4738 → ranks 5, 9, 9.
    expect(likes.json()).toEqual({
      total_posts: 11,
      minimum_timestamp: 1679835328,
      maximum_timestamp: 1768512121,
      likes_p50: 36,
      likes_p90: 4738,
      likes_p99: 4738,
    });
    const favorites = await get('duration=24h&dimension=favorites&mode=history');
    expect(favorites.json()).toMatchObject({
      total_posts: 11,
      favorites_p50: 643,
      favorites_p99: 643,
    });
    const saves = await get('duration=1h30m&dimension=saves');
    expect(saves.json()).toMatchObject({ saves_p50: 0, saves_p90: 0 });
    // An hour later the posts left the 1 h window but not the 24 h one.
    clock.advance(3_600_000);
    expect((await get('duration=1h&dimension=likes')).status).toBe(404);
    expect((await get('duration=24h&dimension=likes')).status).toBe(200);
  });

  it('live: waits the duration on the clock and counts only posts that arrive during the wait', async () => {
    // The stream is scripted and the clock is fake: the request waits 5 s of the clock, so
    // the test decides which posts arrive during the wait, and waits no real time for it.
    await start({ script: SAMPLE.slice(0, 3), heartbeatMs: 60_000 });
    await eventually(async () => (await status()).postsReceived === 3);
    const pending = get('duration=5s&dimension=likes');
    await eventually(() => clock.sleeping === 1);
    clock.advance(1000);
    // Two posts arrive during the wait (at 1 s into it); the three before it do not count.
    sim.push(SAMPLE[3]);
    sim.push(SAMPLE[4]);
    await eventually(async () => (await status()).postsReceived === 5);
    clock.advance(3999);
    expect(clock.sleeping).toBe(1);
    clock.advance(1);
    const res = await pending;
    expect(res.status).toBe(200);
    const body = res.json<Record<string, number>>();
    expect(body.total_posts).toBe(2);
    expect(Object.keys(body).sort()).toEqual(
      [
        'likes_p50',
        'likes_p90',
        'likes_p99',
        'maximum_timestamp',
        'minimum_timestamp',
        'total_posts',
      ].sort(),
    );
    // A wait in which nothing arrives answers 404, saying so.
    const empty = get('duration=5s&dimension=likes');
    await eventually(() => clock.sleeping === 1);
    clock.advance(5000);
    expect((await empty).status).toBe(404);
    // One upstream connection, however many requests.
    expect(sim.connections()).toBe(1);
  });

  it('live: a client that leaves during the wait ends it at once', async () => {
    await start({ script: [] }, { STREAM_ENABLED: 'false' });
    const ac = new AbortController();
    const leaving = fetch(`${t.baseUrl}/analysis?duration=30s&dimension=likes`, {
      signal: ac.signal,
    }).catch(() => 'aborted');
    await eventually(() => clock.sleeping === 1);
    ac.abort();
    expect(await leaving).toBe('aborted');
    await eventually(() => clock.sleeping === 0);
  });

  it.each([
    ['', /duration is required/],
    ['duration=&dimension=likes', /duration is required/],
    ['duration=10&dimension=likes', /is not a duration/],
    ['duration=abc&dimension=likes', /is not a duration/],
    ['duration=4s&dimension=likes', /too short: at least 5s/],
    ['duration=4999ms&dimension=likes', /too short/],
    ['duration=24h1s&dimension=likes', /too long: at most 24h/],
    ['duration=-5s&dimension=likes', /is not a duration/],
    ['duration=10m', /dimension must be one of: likes, comments, favorites, retweets/],
    ['duration=10m&dimension=constructor', /dimension must be one of/],
    ['duration=10m&dimension=likes&mode=later', /mode must be live or history/],
    ['duration=10m&dimension=likes&mode=live', /live mode waits at most 5m/],
    ['duration=10m&duration=5m&dimension=likes', /duration must be given once/],
  ])('GET /analysis?%s → 400 saying which', async (query, why) => {
    await start({ script: [] }, { STREAM_ENABLED: 'false' });
    const res = await get(query);
    expect(res.status).toBe(400);
    // One message per problem: validation lists every one, a rule of the service says one.
    expect([res.json<{ message: string | string[] }>().message].flat().join('; ')).toMatch(why);
  });

  it("no post in the window → 404 with a JSON error; other methods → 405 (the seed's spec)", async () => {
    await start({ script: [] }, { STREAM_ENABLED: 'false' });
    const res = await get('duration=10m&dimension=likes');
    expect(res.status).toBe(404);
    expect(res.json<{ message: string }>().message).toBe('No post arrived in the last 10m');
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      expect(
        (await rawRequest(t.baseUrl, method, '/analysis?duration=10m&dimension=likes')).status,
      ).toBe(405);
    }
  });

  it('reconnects when the upstream drops the connection, sending Last-Event-ID', async () => {
    await start({ rate: 500, disconnectAfter: 20 });
    await withBackoffsPassing(() => sim.connections() >= 3);
    await eventually(async () => (await status()).reconnects >= 2);
    expect(sim.lastEventIds.length).toBeGreaterThanOrEqual(2);
    // Ids are global in the simulator: the first connection carried 1–20.
    expect(sim.lastEventIds[0]).toBe('20');
    expect(sim.lastEventIds[1]).toBe('40');
    expect((await status()).postsReceived).toBeGreaterThanOrEqual(40);
  });

  it('the idle watchdog reconnects a stalled stream', async () => {
    await start(
      { rate: 500, stallAfter: 10, heartbeatMs: 60_000 },
      { STREAM_IDLE_TIMEOUT_MS: '300' },
    );
    await withBackoffsPassing(() => sim.connections() >= 2, 10_000);
    const s = await status();
    expect(s.lastError ?? '').toMatch(/no data for 300 ms/);
  });

  it('skips and counts malformed events, and carries on', async () => {
    await start({ rate: 1000, malformed: 0.3, seed: 3 });
    await eventually(async () => (await status()).eventsReceived > 300);
    const s = await status();
    expect(s.parseErrors).toBeGreaterThan(30);
    expect(s.postsReceived + s.parseErrors).toBe(s.eventsReceived);
    expect(s.state).toBe('connected');
  });

  it('skips an event larger than STREAM_MAX_EVENT_BYTES and carries on', async () => {
    const huge = JSON.stringify({ tweet: { timestamp: 1700000000, text: 'x'.repeat(5000) } });
    await start({ script: [huge, SAMPLE[0]] }, { STREAM_MAX_EVENT_BYTES: '2048' });
    await eventually(async () => (await status()).eventsReceived === 2);
    expect(await status()).toMatchObject({ parseErrors: 1, postsReceived: 1 });
  });

  it('drops the connection when an unfinished event outgrows the cap (hostile upstream)', async () => {
    const { createServer } = await import('node:http');
    let connections = 0;
    const hostile = createServer((_req, res) => {
      connections++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // A data line that never ends, 64 KB at a time.
      const timer = setInterval(() => res.write('data: ' + 'x'.repeat(65_536)), 5);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    const port = (hostile.address() as { port: number }).port;
    try {
      sim = await startSimulator({ script: [] });
      clock = new FakeClock();
      t = await startTestApp(
        {
          STREAM_ENABLED: 'true',
          STREAM_URL: `http://127.0.0.1:${port}/`,
          STREAM_MAX_EVENT_BYTES: '100000',
        },
        { clock },
      );
      await withBackoffsPassing(() => connections >= 2);
      const s = await status();
      expect(s.parseErrors).toBeGreaterThanOrEqual(1);
      expect(s.lastError).toMatch(/exceeded 100000 bytes/);
    } finally {
      await t.close();
      t = undefined as unknown as TestApp;
      hostile.closeAllConnections();
      await new Promise((r) => hostile.close(r));
    }
  });
});
