import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsUdpListener } from '../src/api-metrics/metrics-udp.listener';
import { WriteQueue } from '../src/api-metrics/write-queue';
import { StatsdListener } from '../src/latency/statsd.listener';
import { eventually } from './helpers/eventually';
import { freshSchema, TestSchema } from './helpers/postgres';
import { startTestApp, TestApp } from './helpers/test-app';

const README = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

/**
 * The README's two UDP lines, run as written (only the ports are this app's): the StatsD
 * timer from bash, and the api-metrics record from `node -e`, whose percentiles the
 * README shows.
 */
describe("the README's UDP examples (e2e)", () => {
  let t: TestApp;
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await freshSchema('beacon_readme');
    t = await startTestApp({
      API_METRICS_ENABLED: 'true',
      DATABASE_URL: schema.url,
      STATSD_ENABLED: 'true',
    });
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await schema.drop();
  });

  it('a StatsD timer on 8125 becomes a latency sample', async () => {
    const line = /^echo -n '[^']+' > \/dev\/udp\/127\.0\.0\.1\/8125$/m.exec(README)?.[0];
    expect(line).toBe("echo -n 'checkout:1.25|ms' > /dev/udp/127.0.0.1/8125");
    const port = t.app.get(StatsdListener).port!;
    execFileSync('bash', ['-c', line!.replace('/8125', `/${port}`)]);
    await eventually(() => t.app.get(StatsdListener).stats().samples === 1);
    const res = await fetch(`${t.baseUrl}/metrics/checkout`);
    expect(await res.json()).toMatchObject({ Count: 1, P50: 1_250_000 });
  });

  it('the node -e record on 5000 answers the percentiles the README shows', async () => {
    const command = /^node -e "[\s\S]+?"$/m.exec(README)?.[0];
    expect(command).toContain("send(b,5000,'127.0.0.1'");
    const port = t.app.get(MetricsUdpListener).port!;
    execFileSync('bash', ['-c', command!.replace('b,5000,', `b,${port},`)]);
    await eventually(() => t.app.get(MetricsUdpListener).stats().records === 1);
    await t.app.get(WriteQueue).flush();
    const shown = /percentiles\?route=\/health&method=GET&minutes=10'\n# → (\{.*\})/.exec(README);
    const res = await fetch(
      `${t.baseUrl}/api-metrics/percentiles?route=/health&method=GET&minutes=10`,
    );
    expect(await res.json()).toEqual(JSON.parse(shown![1]));
  });
});
