/**
 * Takes the README's picture of the dashboard: `npm run demo` in one terminal, then
 * `node -r ts-node/register/transpile-only scripts/dashboard-screenshot.ts [url] [file]`.
 * Uses Debian's Chromium (apt-get install chromium), headless.
 */
import { launchChromium } from '../test/helpers/browser';

async function main(): Promise<void> {
  const url = process.argv[2] ?? 'http://127.0.0.1:8080/';
  const file = process.argv[3] ?? 'docs/dashboard.png';
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page.waitForTimeout(12_000); // polls and the stream's percentiles fill in
    await page.screenshot({ path: file, fullPage: true });
    process.stdout.write(`${file}\n`);
  } finally {
    await browser.close();
  }
}

void main();
