import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium, openPage } from './helpers/browser';
import { eventually } from './helpers/eventually';
import { LiveFeed } from '../src/api-metrics/live-feed';
import { MetricsUdpListener } from '../src/api-metrics/metrics-udp.listener';
import { launchRocket, sendApiRecord } from './helpers/feed';
import { freshSchema, TestSchema } from './helpers/postgres';
import { systemTool } from './helpers/system-tool';
import { startTestApp, TestApp } from './helpers/test-app';

const haveChromium = systemTool(CHROMIUM, 'chromium');

/** Opens the page (it must answer 200), keeping every console error it produces. */
async function open(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const { page, errors, status } = await openPage(browser, url);
  expect(status).toBe(200);
  return { page, errors };
}

/**
 * The dashboard in headless Chromium against a real Beacon: it loads without a console
 * error and shows, as they happen, a metric, a rocket and a UDP record made by the test.
 */
(haveChromium ? describe : describe.skip)('the dashboard page in a browser (e2e)', () => {
  let browser: Browser;
  let t: TestApp;
  let schema: TestSchema;

  beforeAll(async () => {
    browser = await launchChromium();
    schema = await freshSchema('beacon_dash');
    t = await startTestApp({ API_METRICS_ENABLED: 'true', DATABASE_URL: schema.url });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await schema?.drop();
  });

  it('shows a metric, a rocket and a UDP record sent after it loaded, with no console error', async () => {
    const { page, errors } = await open(browser, `${t.baseUrl}/`);
    await page.locator('#health.ok').waitFor();
    // The live feed shows what arrives once it is open: the record below is sent after.
    await page.locator('body[data-live="open"]').waitFor();

    await t.client.POST('/metrics/{id}/latencies', {
      params: { path: { id: 'dash-metric' } },
      body: { latencies_ns: [10e6, 20e6, 30e6] },
    });
    await launchRocket(t, 'dash-rocket');
    await sendApiRecord(t, {
      route: '/api/dash-route',
      methodByte: 2,
      statusCode: 201,
      responseTimeMs: 42.5,
    });

    const latencyRow = page.locator('#latency tbody tr', { hasText: 'dash-metric' });
    await latencyRow.waitFor({ timeout: 10_000 });
    expect(await latencyRow.locator('td').allTextContents()).toEqual([
      'dash-metric',
      '3',
      '20.0',
      '30.0',
      '30.0',
      '60 s',
    ]);
    const rocketRow = page.locator('#rockets tbody tr', { hasText: 'dash-rocket' });
    await rocketRow.waitFor({ timeout: 10_000 });
    expect(await rocketRow.locator('td').allTextContents()).toEqual(
      expect.arrayContaining(['dash-rocket', 'Falcon-9', '500', 'ARTEMIS']),
    );
    // The record arrives over /ws: in the latest-records table and as a chart series.
    const recordRow = page.locator('#api-metrics [data-field="records"] tr', {
      hasText: '/api/dash-route',
    });
    await recordRow.waitFor({ timeout: 10_000 });
    expect(await recordRow.locator('td').allTextContents()).toEqual(
      expect.arrayContaining(['POST', '/api/dash-route', '201', '42.5']),
    );
    await page.locator('#api-metrics .u-legend', { hasText: 'POST - /api/dash-route' }).waitFor();
    // The counter panel counts this test's requests too.
    await eventually(
      async () =>
        Number((await page.locator('#counter .big').textContent())!.replace(/,/g, '')) > 3,
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('sorts the rockets table by a clicked column, both ways', async () => {
    for (const [channel, speed] of [
      ['sort-a', 300],
      ['sort-b', 100],
      ['sort-c', 200],
    ] as const) {
      await launchRocket(t, channel, { launchSpeed: speed, mission: 'SORT' });
    }
    const { page, errors } = await open(browser, `${t.baseUrl}/dashboard`);
    const ids = () =>
      page
        .locator('#rockets tbody tr td:first-child')
        .allTextContents()
        .then((all) => all.filter((id) => id.startsWith('sort-')));
    await eventually(async () => (await ids()).length === 3);
    await page.click('#rockets th[data-sort="speed"]');
    await eventually(async () => (await ids()).join() === 'sort-b,sort-c,sort-a');
    await page.click('#rockets th[data-sort="speed"]');
    await eventually(async () => (await ids()).join() === 'sort-a,sort-c,sort-b');
    expect(errors).toEqual([]);
    await page.close();
  }, 30_000);

  it('says which modules are off instead of failing', async () => {
    const bare = await startTestApp({ COUNTER_ENABLED: 'false' });
    try {
      const { page, errors } = await open(browser, `${bare.baseUrl}/`);
      await page.locator('#api-metrics .off-note').waitFor();
      expect(await page.locator('#api-metrics .off-note').textContent()).toContain(
        'API_METRICS_ENABLED=false',
      );
      expect(await page.locator('#stream .off-note').textContent()).toContain(
        'STREAM_ENABLED=false',
      );
      expect(await page.locator('#counter .off-note').textContent()).toContain(
        'COUNTER_ENABLED=false',
      );
      await page.locator('#latency tbody tr', { hasText: 'no metrics yet' }).waitFor();
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await bare.close();
    }
  }, 30_000);

  it('with API keys on reads, asks for a key, then shows the data and the live feed', async () => {
    const key = 'dash-key-0123456789abcdef';
    const keyed = await startTestApp({
      API_METRICS_ENABLED: 'true',
      DATABASE_URL: schema.url,
      API_KEYS: key,
      API_KEYS_FOR_READS: 'true',
    });
    try {
      const put = await fetch(`${keyed.baseUrl}/metrics/keyed-metric`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ window_ms: 60_000 }),
      });
      expect(put.status).toBe(201);
      const { page, errors } = await open(browser, `${keyed.baseUrl}/`);
      await page.locator('#key-form:not([hidden])').waitFor();
      expect(await page.locator('#key-why').textContent()).toContain('needs an API key');
      await page.fill('#key-input', key);
      await page.click('#key-form button');
      await page.locator('#health.ok').waitFor();
      await page.locator('#latency tbody tr', { hasText: 'keyed-metric' }).waitFor();
      expect(await page.locator('#key-form').isHidden()).toBe(true);
      // The live feed opened with the key as a subprotocol: a record sent now shows.
      await eventually(() => keyed.app.get(LiveFeed).stats().clients === 1);
      await sendApiRecord(keyed, {
        route: '/api/keyed',
        methodByte: 1,
        statusCode: 200,
        responseTimeMs: 7,
      });
      await page
        .locator('#api-metrics [data-field="records"] tr', { hasText: '/api/keyed' })
        .waitFor({ timeout: 10_000 });
      // The browser saw the 401s that made it ask for the key, and nothing else went wrong.
      expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
      await page.close();
    } finally {
      await keyed.close();
    }
  }, 60_000);

  it('says a key is needed, not "down: 0, 1, …", until one is entered; then a wrong one is refused', async () => {
    const key = 'dash-badge-0123456789abcdef';
    const keyed = await startTestApp({ API_KEYS: key, API_KEYS_FOR_READS: 'true' });
    try {
      const { page } = await open(browser, `${keyed.baseUrl}/`);
      await page.locator('#key-form:not([hidden])').waitFor();
      await page.locator('#health.warn').waitFor();
      expect(await page.locator('#health').textContent()).toBe('key needed');
      await page.fill('#key-input', 'dash-badge-not-the-key-0000');
      await page.click('#key-form button');
      await page.locator('#health', { hasText: 'key refused' }).waitFor();
      expect(await page.locator('#health').getAttribute('class')).toBe('pill warn');
      await page.close();
    } finally {
      await keyed.close();
    }
  }, 30_000);

  it('names the api-metrics UDP port it really listens on, not 5000', async () => {
    const port = t.app.get(MetricsUdpListener).port!;
    expect(port).not.toBe(5000);
    const { page, errors } = await open(browser, `${t.baseUrl}/`);
    const hint = page.locator('#api-metrics [data-field="records"] td', {
      hasText: 'no records yet',
    });
    await hint.waitFor();
    expect(await hint.textContent()).toBe(
      `no records yet: send seed-002 datagrams to UDP :${port}`,
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 30_000);
});
