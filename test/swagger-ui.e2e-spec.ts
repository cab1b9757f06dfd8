import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium, openPage } from './helpers/browser';
import { systemTool } from './helpers/system-tool';
import { startTestApp, TestApp } from './helpers/test-app';

const haveChromium = systemTool(CHROMIUM, 'chromium');
const KEY = 'swagger-key-0123456789abcdef';

/** Expands an operation in Swagger UI, presses "Try it out" and fills its `id` parameter. */
async function tryOut(page: Page, opblock: string, id: string): Promise<void> {
  const op = page.locator(opblock);
  await op.locator('.opblock-summary').click();
  await op.locator('button.try-out__btn').click();
  await op.locator('tr[data-param-name="id"] input').fill(id);
}

async function execute(page: Page, opblock: string): Promise<string> {
  const op = page.locator(opblock);
  await op.locator('button.execute').click();
  const status = op.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor();
  return (await status.textContent())!.trim();
}

/**
 * Swagger UI as its users meet it, in headless Chromium: it runs under Beacon's CSP with
 * no console error, and with API_KEYS set its Authorize button is what makes a write go
 * through: 401 before, 204 after.
 */
(haveChromium ? describe : describe.skip)('Swagger UI in a browser (e2e)', () => {
  let browser: Browser;
  let t: TestApp;
  beforeAll(async () => {
    browser = await launchChromium();
    t = await startTestApp({ API_KEYS: KEY });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('loads under the CSP, and its Authorize button carries the key to a write', async () => {
    const put = await fetch(`${t.baseUrl}/metrics/from-swagger`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: '{}',
    });
    expect(put.status).toBe(201);
    const { page, errors, status } = await openPage(browser, `${t.baseUrl}/swagger`);
    expect(status).toBe(200);
    const remove = '#operations-latency-Latency_remove';
    await page.locator(remove).waitFor();

    await tryOut(page, remove, 'from-swagger');
    expect(await execute(page, remove)).toBe('401');
    expect((await fetch(`${t.baseUrl}/metrics/from-swagger`)).status).toBe(200);

    await page.locator('button.authorize').first().click();
    const apiKey = page.locator('.modal-ux .auth-container', { hasText: 'X-API-Key' });
    await apiKey.locator('input').fill(KEY);
    await apiKey.locator('button.authorize').click();
    await page.locator('.modal-ux button.close-modal').click();

    expect(await execute(page, remove)).toBe('204');
    expect((await fetch(`${t.baseUrl}/metrics/from-swagger`)).status).toBe(404);
    // The 401 Swagger UI showed is logged by the browser as a failed resource; nothing else.
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
    await page.close();
  }, 60_000);
});
