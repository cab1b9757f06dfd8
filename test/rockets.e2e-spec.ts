import { rawRequest } from './client/beacon-client';
import { expectedState, rocketHistory, shuffledWithDuplicates } from './helpers/rocket-history';
import { rng } from './helpers/random';
import { launchMessages } from './helpers/rocket-launcher';
import { TestApp, startTestApp } from './helpers/test-app';

const CH = '193270a9-c9cf-404a-8f83-838e71d9ae67';
const TIME = '2022-02-02T19:39:05.86337+01:00';

const envelope = (n: number, messageType: string, message: object, channel = CH) => ({
  metadata: { channel, messageNumber: n, messageTime: TIME, messageType },
  message,
});
const LAUNCH = { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' };

describe('rockets (e2e)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const post = (body: unknown) =>
    rawRequest(
      t.baseUrl,
      'POST',
      '/messages',
      typeof body === 'string' ? body : JSON.stringify(body),
    );

  it('takes a launch with 202 and shows the rocket', async () => {
    const res = await post(envelope(1, 'RocketLaunched', LAUNCH));
    expect(res.status).toBe(202);
    expect(res.json()).toEqual({ channel: CH, messageNumber: 1, status: 'applied' });
    const { data } = await t.client.GET('/rockets/{id}', { params: { path: { id: CH } } });
    expect(data).toEqual({
      id: CH,
      type: 'Falcon-9',
      speed: 500,
      mission: 'ARTEMIS',
      status: 'active',
      exploded: false,
      createdAt: TIME,
      launchedAt: TIME,
      updatedAt: TIME,
      lastMessageNumber: 1,
      bufferedMessages: 0,
    });
  });

  it('reports buffered, duplicate and ignored; a pending rocket exists before message 1', async () => {
    expect((await post(envelope(2, 'RocketSpeedIncreased', { by: 3000 }))).json()).toMatchObject({
      status: 'buffered',
    });
    const pending = await t.client.GET('/rockets/{id}', { params: { path: { id: CH } } });
    expect(pending.data).toMatchObject({
      status: 'pending',
      bufferedMessages: 1,
      lastMessageNumber: 0,
    });
    expect((await post(envelope(2, 'RocketSpeedIncreased', { by: 3000 }))).json()).toMatchObject({
      status: 'duplicate',
    });
    expect((await post(envelope(1, 'RocketLaunched', LAUNCH))).json()).toMatchObject({
      status: 'applied',
    });
    await post(envelope(3, 'RocketExploded', { reason: 'PRESSURE_VESSEL_FAILURE' }));
    expect((await post(envelope(4, 'RocketSpeedDecreased', { by: 1 }))).json()).toMatchObject({
      status: 'ignored',
    });
    const { data } = await t.client.GET('/rockets/{id}', { params: { path: { id: CH } } });
    expect(data).toMatchObject({
      speed: 3500,
      status: 'exploded',
      exploded: true,
      reason: 'PRESSURE_VESSEL_FAILURE',
      lastMessageNumber: 3,
    });
  });

  it.each([
    ['a body that is not an object', '[1]', /body must be a JSON object/],
    ['invalid JSON', '{"metadata":', /JSON/],
    ['no metadata', { message: LAUNCH }, /metadata must be an object/],
    [
      'no message',
      { metadata: envelope(1, 'RocketLaunched', {}).metadata },
      /message must be an object/,
    ],
    [
      'an unknown messageType',
      envelope(1, 'RocketLanded', {}),
      /messageType must be one of the following values: RocketLaunched/,
    ],
    [
      'messageNumber 0',
      envelope(0, 'RocketLaunched', LAUNCH),
      /messageNumber must not be less than 1/,
    ],
    [
      'a fractional messageNumber',
      envelope(1.5, 'RocketLaunched', LAUNCH),
      /messageNumber must be an integer/,
    ],
    ['an empty channel', envelope(1, 'RocketLaunched', LAUNCH, ''), /channel should not be empty/],
    [
      'a 201-character channel',
      envelope(1, 'RocketLaunched', LAUNCH, 'x'.repeat(201)),
      /channel must be shorter than or equal to 200/,
    ],
    [
      'a bad messageTime',
      {
        ...envelope(1, 'RocketLaunched', LAUNCH),
        metadata: { ...envelope(1, 'RocketLaunched', LAUNCH).metadata, messageTime: 'yesterday' },
      },
      /messageTime must be RFC 3339/,
    ],
    [
      'an unknown metadata field',
      {
        ...envelope(1, 'RocketLaunched', LAUNCH),
        metadata: { ...envelope(1, 'RocketLaunched', LAUNCH).metadata, extra: 1 },
      },
      /metadata.property extra should not exist/,
    ],
    [
      'an unknown envelope field',
      { ...envelope(1, 'RocketLaunched', LAUNCH), extra: 1 },
      /property extra should not exist/,
    ],
    [
      'an unknown payload field',
      envelope(1, 'RocketLaunched', { ...LAUNCH, color: 'red' }),
      /message.property color should not exist \(for messageType RocketLaunched\)/,
    ],
    [
      'the payload of another type',
      envelope(1, 'RocketLaunched', { by: 5 }),
      /message.type must be a string/,
    ],
    [
      'a negative by',
      envelope(2, 'RocketSpeedIncreased', { by: -1 }),
      /message.by must not be less than 0/,
    ],
    [
      'a string by',
      envelope(2, 'RocketSpeedDecreased', { by: '5' }),
      /message.by must be an integer/,
    ],
    [
      'a fractional launchSpeed',
      envelope(1, 'RocketLaunched', { ...LAUNCH, launchSpeed: 1.5 }),
      /launchSpeed must be an integer/,
    ],
    [
      'an empty reason',
      envelope(2, 'RocketExploded', { reason: '' }),
      /message.reason should not be empty/,
    ],
    [
      'a non-string newMission',
      envelope(2, 'RocketMissionChanged', { newMission: 7 }),
      /newMission must be a string/,
    ],
  ])('rejects %s with 400 saying what is wrong, and changes nothing', async (_case, body, why) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const { message } = res.json<{ message: string | string[] }>();
    expect([message].flat().join('\n')).toMatch(why);
    expect((await t.client.GET('/rockets')).data).toEqual([]);
  });

  it.each([
    [
      '__proto__ in the envelope',
      '{"__proto__": {"x": 1}, "metadata": {"channel": "c", "messageNumber": 1, "messageTime": "2022-02-02T19:39:05Z", "messageType": "RocketExploded"}, "message": {"reason": "r"}}',
    ],
    [
      '__proto__ in the payload',
      '{"metadata": {"channel": "c", "messageNumber": 1, "messageTime": "2022-02-02T19:39:05Z", "messageType": "RocketSpeedIncreased"}, "message": {"__proto__": {"by": 1}}}',
    ],
    [
      'constructor in the payload',
      '{"metadata": {"channel": "c", "messageNumber": 1, "messageTime": "2022-02-02T19:39:05Z", "messageType": "RocketSpeedIncreased"}, "message": {"by": 1, "constructor": "x"}}',
    ],
    [
      'a null constructor in the payload (was a 500)',
      '{"metadata": {"channel": "c", "messageNumber": 1, "messageTime": "2022-02-02T19:39:05Z", "messageType": "RocketSpeedIncreased"}, "message": {"by": 1, "constructor": null}}',
    ],
    [
      'a null constructor in the envelope',
      '{"constructor": null, "metadata": {"channel": "c", "messageNumber": 1, "messageTime": "2022-02-02T19:39:05Z", "messageType": "RocketSpeedIncreased"}, "message": {"by": 1}}',
    ],
    [
      'constructor in the metadata',
      '{"metadata": {"constructor": 1, "channel": "c", "messageNumber": 1, "messageTime": "2022-02-02T19:39:05Z", "messageType": "RocketSpeedIncreased"}, "message": {"by": 1}}',
    ],
  ])('rejects %s with 400 and changes nothing', async (_case, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect((await t.client.GET('/rockets')).data).toEqual([]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('lists rockets by id by default, sorts by any field either way, and rejects unknown ones', async () => {
    const specs = [
      ['b', 700, 'LUNA'],
      ['a', 100, 'APOLLO'],
      ['c', 400, 'ARTEMIS'],
    ] as const;
    for (const [id, launchSpeed, mission] of specs) {
      await post(envelope(1, 'RocketLaunched', { type: 'Falcon-9', launchSpeed, mission }, id));
    }
    await post(envelope(5, 'RocketSpeedIncreased', { by: 1 }, 'pending-one'));
    const ids = async (query: Record<string, string>) =>
      (await t.client.GET('/rockets', { params: { query: query as never } })).data!.map(
        (r) => r.id,
      );
    expect(await ids({})).toEqual(['a', 'b', 'c', 'pending-one']);
    expect(await ids({ sort: 'speed', order: 'desc' })).toEqual(['b', 'c', 'a', 'pending-one']);
    expect(await ids({ sort: 'speed' })).toEqual(['pending-one', 'a', 'c', 'b']);
    expect(await ids({ sort: 'mission' })).toEqual(['a', 'c', 'b', 'pending-one']);
    expect(await ids({ sort: 'mission', order: 'desc' })).toEqual(['b', 'c', 'a', 'pending-one']);
    const bad = await rawRequest(t.baseUrl, 'GET', '/rockets?sort=color&order=up');
    expect(bad.status).toBe(400);
    const text = bad.text;
    expect(text).toContain(
      'sort must be one of the following values: id, type, speed, mission, status, updatedAt',
    );
    expect(text).toContain('order must be one of the following values: asc, desc');
  });

  it('pages with limit, following the Link header to the end; no Link without limit', async () => {
    for (let i = 0; i < 7; i++) {
      await post(
        envelope(1, 'RocketLaunched', { type: 'T', launchSpeed: i % 3, mission: 'M' }, `r${i}`),
      );
    }
    const whole = await fetch(`${t.baseUrl}/rockets?sort=speed&order=desc`);
    expect(whole.headers.get('link')).toBeNull();
    const want = ((await whole.json()) as { id: string }[]).map((r) => r.id);
    const got: string[] = [];
    let url: string | null = '/rockets?sort=speed&order=desc&limit=3';
    let pages = 0;
    while (url !== null) {
      const res = await fetch(`${t.baseUrl}${url}`);
      expect(res.status).toBe(200);
      got.push(...((await res.json()) as { id: string }[]).map((r) => r.id));
      const link = res.headers.get('link');
      url = link === null ? null : /^<([^>]+)>; rel="next"$/.exec(link)![1];
      if (url !== null) expect(url).toContain(`cursor=${res.headers.get('beacon-next-cursor')}`);
      pages++;
    }
    expect(pages).toBe(3);
    expect(got).toEqual(want);
    for (const query of ['limit=0', 'limit=5001', 'limit=x', 'cursor=bm9wZQ', 'cursor=']) {
      const res = await fetch(`${t.baseUrl}/rockets?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
    }
  });

  it('an unknown rocket is 404', async () => {
    const res = await rawRequest(t.baseUrl, 'GET', '/rockets/nope');
    expect(res.status).toBe(404);
  });

  it('a full buffer answers 503 with Retry-After and changes nothing; the gap-filler is still taken', async () => {
    await t.close();
    t = await startTestApp({ ROCKETS_MAX_BUFFERED_PER_CHANNEL: '1' });
    await post(envelope(3, 'RocketSpeedIncreased', { by: 1 }));
    const full = await post(envelope(4, 'RocketSpeedIncreased', { by: 1 }));
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('1');
    expect(full.json<{ message: string }>().message).toMatch(/ROCKETS_MAX_BUFFERED_PER_CHANNEL/);
    expect((await post(envelope(1, 'RocketLaunched', LAUNCH))).json()).toMatchObject({
      status: 'applied',
    });
    expect((await post(envelope(2, 'RocketSpeedIncreased', { by: 1 }))).json()).toMatchObject({
      status: 'applied',
    });
    expect((await post(envelope(4, 'RocketSpeedIncreased', { by: 1 }))).json()).toMatchObject({
      status: 'applied',
    });
    const { data } = await t.client.GET('/rockets/{id}', { params: { path: { id: CH } } });
    expect(data).toMatchObject({ speed: 503, lastMessageNumber: 4, bufferedMessages: 0 });
  });

  it('the launcher: 40 rockets, shuffled with 20% duplicates, 6 senders, a connection each, exact states', async () => {
    await t.close();
    // Small buffers so 503 + retry is part of the run, as with the real test program.
    t = await startTestApp({ ROCKETS_MAX_BUFFERED_PER_CHANNEL: '20' });
    const random = rng(2026);
    const histories = Array.from({ length: 40 }, (_, i) =>
      rocketHistory(`rocket-${String(i).padStart(2, '0')}`, 10 + Math.floor(random() * 60), random),
    );
    const messages = shuffledWithDuplicates(histories, 0.2, random);
    const report = await launchMessages(t.baseUrl, messages, 6, 5);
    expect(report.statuses.buffered).toBeGreaterThan(0);
    expect(report.statuses.duplicate).toBeGreaterThan(0);
    for (const h of histories) {
      const want = expectedState(h);
      const { data } = await t.client.GET('/rockets/{id}', { params: { path: { id: want.id } } });
      expect(data).toEqual({ ...want, createdAt: want.launchedAt, bufferedMessages: 0 });
    }
    const { data: list } = await t.client.GET('/rockets', {
      params: { query: { sort: 'speed', order: 'desc' } },
    });
    const speeds = list!.map((r) => r.speed);
    expect(speeds).toEqual([...speeds].sort((a, b) => b - a));
    expect(list).toHaveLength(40);
  });
});
