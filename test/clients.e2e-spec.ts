import StatsD, { ClientOptions, StatsD as Client } from 'hot-shots';
import { StatsdListener } from '../src/latency/statsd.listener';
import { eventually } from './helpers/eventually';
import { startTestApp, TestApp } from './helpers/test-app';

/**
 * docs/clients.md's StatsD recipe with the real hot-shots package over real UDP: its
 * DogStatsD and Telegraf line formats name one metric for one set of tags, and what it
 * sends that Beacon does not aggregate is counted by type, not as malformed.
 */
describe('hot-shots against a running Beacon (e2e)', () => {
  let t: TestApp;
  const clients: Client[] = [];
  const client = (options: ClientOptions) => {
    const c = new StatsD({
      host: '127.0.0.1',
      port: t.app.get(StatsdListener).port as number,
      errorHandler: (err) => {
        throw err;
      },
      ...options,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestApp({ STATSD_ENABLED: 'true' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => new Promise((r) => c.close(r))));
    await t.close();
  });

  it('DogStatsD and Telegraf tags of one sample land in one metric, keys sorted', async () => {
    const statsd = t.app.get(StatsdListener);
    const dog = client({ globalTags: { env: 'prod' } });
    const telegraf = client({ telegraf: true, globalTags: { env: 'prod' } });
    dog.timing('checkout', 10, { region: 'eu' });
    telegraf.timing('checkout', 30, { region: 'eu' });
    dog.histogram('checkout', 20, { region: 'eu' });
    dog.distribution('checkout', 40, ['region:eu']);
    dog.timing('checkout', 5); // global tag only: another metric
    await eventually(() => statsd.stats().samples === 5);

    const tagged = await t.client.GET('/metrics/{id}', {
      params: { path: { id: 'checkout{env=prod,region=eu}' } },
    });
    expect(tagged.data).toMatchObject({ Count: 4, P50: 20e6, P99: 40e6 });
    const envOnly = await t.client.GET('/metrics/{id}', {
      params: { path: { id: 'checkout{env=prod}' } },
    });
    expect(envOnly.data).toMatchObject({ Count: 1, P50: 5e6 });
    expect(statsd.stats().malformed).toBe(0);
  });

  it('counters, gauges, sets, events and service checks are unsupported, by type', async () => {
    const statsd = t.app.get(StatsdListener);
    const before = statsd.stats();
    const dog = client({});
    dog.increment('hits');
    dog.gauge('queue', 3);
    dog.set('users', 'u1');
    dog.event('deployed', 'version 1.2.3', { alert_type: 'info' });
    dog.check('db.up', dog.CHECKS.OK);
    await eventually(() => statsd.stats().datagrams === before.datagrams + 5);
    const after = statsd.stats();
    expect(after.unsupported).toEqual({
      counter: before.unsupported.counter + 1,
      gauge: before.unsupported.gauge + 1,
      set: before.unsupported.set + 1,
      event: before.unsupported.event + 1,
      serviceCheck: before.unsupported.serviceCheck + 1,
    });
    expect(after.malformed).toBe(before.malformed);
    expect(after.samples).toBe(before.samples);
  });
});
