import { RawResponse, rawRequest } from './client/beacon-client';
import { expectSeedShape } from './seed-schemas/seed-schemas';
import { SAMPLE, StreamApp, startStreamApp, tweet } from './helpers/stream-app';
import { TestApp, startTestApp } from './helpers/test-app';

/**
 * Every answer a client generated from a seed's own spec would read, checked against the
 * schemas written from that spec (test/seed-schemas/). `rawRequest` also checks each answer
 * against Beacon's spec, so both contracts hold at once.
 */

const TIME = '2022-02-02T19:39:05.86337+01:00';
const LATER = '2022-02-02T19:40:11.2+01:00';
const envelope = (channel: string, n: number, messageType: string, message: object) => ({
  metadata: { channel, messageNumber: n, messageTime: n === 1 ? TIME : LATER, messageType },
  message,
});

/** Seed 003 lowercases both parameters: these are spellings its clients send. */
const cases = (w: string) => [w, w.toUpperCase(), w[0].toUpperCase() + w.slice(1)];
const SORT_SPELLINGS = [
  ...['id', 'type', 'speed', 'mission', 'status', 'updatedat'].flatMap(cases),
  'updatedAt',
];
const ORDER_SPELLINGS = [undefined, ...['asc', 'desc'].flatMap(cases)];

describe('seed 003 contract: rah-0/lunar docs/swagger.yaml (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    const post = async (body: object) =>
      expect((await rawRequest(t.baseUrl, 'POST', '/messages', JSON.stringify(body))).status).toBe(
        202,
      );
    await post(
      envelope('launched', 1, 'RocketLaunched', {
        type: 'Falcon-9',
        launchSpeed: 500,
        mission: 'ARTEMIS',
      }),
    );
    await post(
      envelope('climbing', 1, 'RocketLaunched', {
        type: 'Saturn-V',
        launchSpeed: 100,
        mission: 'APOLLO',
      }),
    );
    await post(envelope('climbing', 2, 'RocketSpeedIncreased', { by: 900 }));
    await post(envelope('climbing', 3, 'RocketMissionChanged', { newMission: 'GEMINI' }));
    await post(
      envelope('boom', 1, 'RocketLaunched', {
        type: 'Electron',
        launchSpeed: 300,
        mission: 'LUNA',
      }),
    );
    await post(envelope('boom', 2, 'RocketExploded', { reason: 'PRESSURE_VESSEL_FAILURE' }));
    // Message 1 is no launch: active, but no type, mission or launch time.
    await post(envelope('unlaunched', 1, 'RocketSpeedIncreased', { by: 10 }));
    // Message 1 never arrives: a pending rocket, which has no type, mission or times yet.
    await post(envelope('pending', 2, 'RocketSpeedIncreased', { by: 3000 }));
  });
  afterAll(() => t.close());

  const rocket = async (id: string) => {
    const res = await rawRequest(t.baseUrl, 'GET', `/rockets/${id}`);
    expect(res.status).toBe(200);
    return res.json<Record<string, unknown>>();
  };

  it('a launched rocket is a models.RocketState with every field, createdAt beside launchedAt', async () => {
    for (const id of ['launched', 'climbing']) {
      const body = await rocket(id);
      expectSeedShape('lunar#/definitions/launchedRocket', body);
      expect(body.createdAt).toBe(TIME);
      expect(body.launchedAt).toBe(TIME);
      expect(body).not.toHaveProperty('reason');
    }
    expect(await rocket('climbing')).toMatchObject({
      speed: 1000,
      mission: 'GEMINI',
      updatedAt: LATER,
    });
  });

  it('an exploded rocket carries its reason', async () => {
    const body = await rocket('boom');
    expectSeedShape('lunar#/definitions/launchedRocket', body);
    expect(body).toMatchObject({ exploded: true, reason: 'PRESSURE_VESSEL_FAILURE' });
  });

  it('a pending rocket has no null: what it does not have yet is left out', async () => {
    const body = await rocket('pending');
    expectSeedShape('lunar#/definitions/models.RocketState', body);
    expect(Object.values(body)).not.toContain(null);
    for (const absent of ['type', 'mission', 'createdAt', 'launchedAt', 'updatedAt', 'reason']) {
      expect(body).not.toHaveProperty(absent);
    }
    expect(body).toMatchObject({ id: 'pending', speed: 0, status: 'pending', exploded: false });
  });

  it('a rocket whose message 1 was no launch has no null either', async () => {
    const body = await rocket('unlaunched');
    expectSeedShape('lunar#/definitions/models.RocketState', body);
    expect(Object.values(body)).not.toContain(null);
    expect(body).toMatchObject({ status: 'active', speed: 10, updatedAt: TIME });
    for (const absent of ['type', 'mission', 'createdAt', 'launchedAt']) {
      expect(body).not.toHaveProperty(absent);
    }
  });

  it('an unknown rocket is a 404 object', async () => {
    const res = await rawRequest(t.baseUrl, 'GET', '/rockets/nope');
    expect(res.status).toBe(404);
    expectSeedShape('lunar#/definitions/error', res.json());
  });

  it.each(SORT_SPELLINGS)(
    'GET /rockets?sort=%s, in every order spelling: 200, models.RocketSummary[], the order asked',
    async (sort) => {
      for (const order of ORDER_SPELLINGS) {
        const query = new URLSearchParams({ sort, ...(order ? { order } : {}) });
        const res = await rawRequest(t.baseUrl, 'GET', `/rockets?${query.toString()}`);
        expect(`${query.toString()} → ${res.status}`).toBe(`${query.toString()} → 200`);
        const list = res.json<{ id: string }[]>();
        expectSeedShape('lunar#/definitions/rocketList', list);
        expect(list).toHaveLength(5);
        expect(JSON.stringify(list)).not.toContain('null');
        // The same answer as Beacon's own spelling gives.
        const canonical = new URLSearchParams({
          sort: sort.toLowerCase() === 'updatedat' ? 'updatedAt' : sort.toLowerCase(),
          order: (order ?? 'asc').toLowerCase(),
        });
        const same = await rawRequest(t.baseUrl, 'GET', `/rockets?${canonical.toString()}`);
        expect(res.text).toBe(same.text);
      }
    },
  );

  it("pages in the seed's spellings: the Link header carries Beacon's own, and walks the same list", async () => {
    const whole = await rawRequest(t.baseUrl, 'GET', '/rockets?sort=speed&order=desc');
    const ids: string[] = [];
    let url: string | null = '/rockets?sort=SPEED&order=Desc&limit=3';
    while (url !== null) {
      const res = await rawRequest(t.baseUrl, 'GET', url);
      expect(res.status).toBe(200);
      expectSeedShape('lunar#/definitions/rocketList', res.json());
      ids.push(...res.json<{ id: string }[]>().map((r) => r.id));
      const link = res.headers.get('link');
      if (link !== null) expect(link).toMatch(/^<\/rockets\?sort=speed&order=desc&limit=3&cursor=/);
      url = link === null ? null : /^<([^>]+)>/.exec(link)![1];
    }
    expect(ids).toEqual(whole.json<{ id: string }[]>().map((r) => r.id));
  });

  it('the list without parameters is models.RocketSummary[] too', async () => {
    const res = await rawRequest(t.baseUrl, 'GET', '/rockets');
    expectSeedShape('lunar#/definitions/rocketList', res.json());
    expect(res.json<{ id: string }[]>().map((r) => r.id)).toEqual([
      'boom',
      'climbing',
      'launched',
      'pending',
      'unlaunched',
    ]);
  });

  it.each([
    ['sort=color', /sort must be one of the following values: id, type, speed/],
    ['sort=spead&order=desc', /sort must be one of/],
    ['order=up', /order must be one of the following values: asc, desc/],
    ['sort=speed&order=descending', /order must be one of/],
    ['sort=', /sort must be one of/],
  ])(
    'a value that means nothing, /rockets?%s, stays 400 (the seed would sort by id)',
    async (query, why) => {
      const res = await rawRequest(t.baseUrl, 'GET', `/rockets?${query}`);
      expect(res.status).toBe(400);
      expect(res.text).toMatch(why);
    },
  );
});

describe('seed 001 contract: dimahc/Upfluence-SSE-API openapi.yaml (e2e)', () => {
  let s: StreamApp;
  afterEach(() => s?.close());

  const analysis = (res: RawResponse) => {
    expect(`${res.status} ${res.text}`).toMatch(/^200 /);
    const body = res.json<Record<string, number>>();
    expectSeedShape('upfluence#/definitions/AnalysisResponse', body);
    return body;
  };
  const noData = (res: RawResponse) => {
    expect(res.status).toBe(404);
    const body = res.json<{ message: string }>();
    expectSeedShape('upfluence#/definitions/ErrorResponse', body);
    return body.message;
  };

  it('history: an AnalysisResponse of integers for each of the seed dimensions, and the rest', async () => {
    s = await startStreamApp(SAMPLE);
    await s.received(SAMPLE.length);
    s.clock.advance(1000);
    for (const d of ['likes', 'comments', 'favorites', 'retweets', 'views', 'saves']) {
      const body = analysis(await s.get(`duration=10m&dimension=${d}`));
      expect(body.total_posts).toBe(11);
      for (const p of [50, 90, 99]) expect(Number.isInteger(body[`${d}_p${p}`])).toBe(true);
    }
  });

  it('live: an AnalysisResponse of the posts that arrive during the wait', async () => {
    s = await startStreamApp([]);
    const { answer } = await s.waiting('duration=5s&dimension=comments');
    s.clock.advance(1000);
    for (const e of SAMPLE.slice(0, 4)) s.sim.push(e);
    await s.received(4);
    s.clock.advance(4000);
    const body = analysis(await answer);
    expect(body).toMatchObject({ total_posts: 4, comments_p50: 0, comments_p90: 21 });
  });

  it('posts in the window but none carrying the dimension → 404, history and live alike', async () => {
    s = await startStreamApp([tweet(1_700_000_000, { likes: 3 }), tweet(1_700_000_001)]);
    await s.received(2);
    s.clock.advance(1000);
    expect(noData(await s.get('duration=10m&dimension=retweets'))).toBe(
      'no data available for requested dimension and duration: ' +
        '2 posts arrived in the last 10m, none carrying retweets',
    );
    analysis(await s.get('duration=10m&dimension=likes'));

    const { answer } = await s.waiting('duration=5s&dimension=likes');
    s.clock.advance(1000);
    s.sim.push(tweet(1_700_000_002, { comments: 1 }));
    await s.received(3);
    s.clock.advance(4000);
    expect(noData(await answer)).toBe(
      'no data available for requested dimension and duration: ' +
        '1 post arrived during the 5s wait, none carrying likes',
    );
  });

  it('no post at all, and bad parameters: ErrorResponse bodies', async () => {
    s = await startStreamApp([]);
    expect(noData(await s.get('duration=10m&dimension=likes'))).toBe(
      'No post arrived in the last 10m',
    );
    for (const query of ['', 'duration=xyz&dimension=likes', 'duration=4s&dimension=likes']) {
      const res = await s.get(query);
      expect(res.status).toBe(400);
      expectSeedShape('upfluence#/definitions/ErrorResponse', res.json());
    }
  });
});
