import { LatencyService } from '../src/latency/latency.service';
import { StatsdListener } from '../src/latency/statsd.listener';
import { RocketsService } from '../src/rockets/rockets.service';
import { eventually } from './helpers/eventually';
import { FakeClock } from './helpers/fake-clock';
import { startTestApp, TestApp } from './helpers/test-app';
import { udpSender } from './helpers/udp';

const json = { 'content-type': 'application/json' };
const T0 = '2022-02-02T19:39:05.86337+01:00';
const message = (channel: string, n: number, type: string, body: object) =>
  JSON.stringify({
    metadata: { channel, messageNumber: n, messageTime: T0, messageType: type },
    message: body,
  });

type Health = {
  details: {
    latency: { metrics: number; atLimit: boolean; expiredIdle: number; refusedAtLimit: number };
    rockets: {
      channels: number;
      atLimit: boolean;
      expiredPending: number;
      deleted: number;
      discarded: number;
      buffered: number;
    };
  };
  error?: Record<string, unknown>;
};

/**
 * Caps that free themselves: the floods of issue 16 (distinct StatsD names, one-message
 * rockets that never launch) fill their caps, and idle expiry, on the injected clock,
 * frees them without anyone deleting anything.
 */
describe('idle expiry, DELETE /rockets/{id} and atLimit (e2e)', () => {
  let t: TestApp;
  const clock = new FakeClock();
  const send = (path: string, init: RequestInit = {}) => fetch(`${t.baseUrl}${path}`, init);
  const health = async () => {
    const res = await send('/health');
    return { status: res.status, body: (await res.json()) as Health };
  };

  beforeAll(async () => {
    t = await startTestApp(
      {
        LATENCY_MAX_METRICS: '4',
        LATENCY_WINDOW_MS: '1000',
        LATENCY_IDLE_EXPIRY_MS: '5000',
        ROCKETS_MAX_CHANNELS: '2',
        ROCKETS_PENDING_EXPIRY_MS: '5000',
        STATSD_ENABLED: 'true',
      },
      { clock },
    );
  });
  afterAll(() => t.close());

  it('a burst of names fills LATENCY_MAX_METRICS; idle expiry frees it, PUT metrics stay', async () => {
    const put = await send('/metrics/kept', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ window_ms: 1000 }),
    });
    expect(put.status).toBe(201);
    const udp = await udpSender();
    const port = t.app.get(StatsdListener).stats().port!;
    await udp.send('burst.a:5|ms\nburst.b:5|ms\nburst.c:5|ms', port);
    udp.close();
    await eventually(
      async () => ((await (await send('/metrics')).json()) as unknown[]).length === 4,
    );
    const refused = await send('/metrics/new/latency', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ latency_ns: 1 }),
    });
    expect(refused.status).toBe(409);
    let h = await health();
    expect(h.status).toBe(503);
    expect(h.body.error).toHaveProperty('latency');
    expect((await send('/health/ready')).status).toBe(200); // a cap never fails readiness
    expect(h.body.details.latency).toMatchObject({ atLimit: true, refusedAtLimit: 1, metrics: 4 });

    clock.advance(1000 + 5000 - 1);
    expect(await t.app.get(LatencyService).expireIdle()).toBe(0);
    clock.advance(1);
    expect(await t.app.get(LatencyService).expireIdle()).toBe(3);
    const ids = ((await (await send('/metrics')).json()) as { MetricID: string }[]).map(
      (m) => m.MetricID,
    );
    expect(ids).toEqual(['kept']);
    h = await health();
    expect(h.status).toBe(200);
    expect(h.body.details.latency).toMatchObject({ atLimit: false, expiredIdle: 3 });
    const again = await send('/metrics/new/latency', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ latency_ns: 1 }),
    });
    expect(again.status).toBe(202);
  });

  it('rockets that never launch fill ROCKETS_MAX_CHANNELS; pending expiry frees it', async () => {
    const post = (body: string) => send('/messages', { method: 'POST', headers: json, body });
    expect((await post(message('launched', 1, 'RocketLaunched', launch))).status).toBe(202);
    expect((await post(message('never', 3, 'RocketSpeedIncreased', { by: 1 }))).status).toBe(202);
    const full = await post(message('third', 2, 'RocketSpeedIncreased', { by: 1 }));
    expect(full.status).toBe(503);
    const atCap = await health();
    expect(atCap.status).toBe(503);
    expect(atCap.body.details.rockets).toMatchObject({ atLimit: true, channels: 2 });

    clock.advance(5000);
    expect(await t.app.get(RocketsService).expirePending()).toBe(1);
    expect((await send('/rockets/never')).status).toBe(404);
    expect((await send('/rockets/launched')).status).toBe(200); // launched: never expires
    const h = await health();
    expect(h.body.details.rockets).toMatchObject({
      atLimit: false,
      channels: 1,
      expiredPending: 1,
      buffered: 0,
    });
    expect((await post(message('third', 2, 'RocketSpeedIncreased', { by: 1 }))).status).toBe(202);
  });

  it('DELETE /rockets/{id}: 204, then 404; the rocket and its slot are gone', async () => {
    const del = await send('/rockets/third', { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await send('/rockets/third')).status).toBe(404);
    const again = await send('/rockets/third', { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No rocket with id "third"',
    });
    const listed = (await (await send('/rockets')).json()) as { id: string }[];
    expect(listed.map((r) => r.id)).toEqual(['launched']);
    expect((await health()).body.details.rockets).toMatchObject({ deleted: 1, discarded: 2 });
  });
});

const launch = { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' };
