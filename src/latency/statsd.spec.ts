import { metricId, parseStatsd } from './statsd';

describe('parseStatsd', () => {
  it('reads ms, h and d timers as nanoseconds, several lines per datagram', () => {
    const b = parseStatsd('api.get:12.5|ms\napi.get:3|h\r\ndb.query:0.25|d\n');
    expect(b.timers).toEqual(
      new Map([
        ['api.get', [12_500_000, 3_000_000]],
        ['db.query', [250_000]],
      ]),
    );
    expect(b).toMatchObject({ samples: 3, unsupported: { counter: 0 }, malformed: 0 });
  });

  it('tolerates sample rates, container ids, timestamps, and reads multi-value lines', () => {
    const b = parseStatsd('a:1|ms|@0.1\na:4:5:6|ms\na:7|ms|c:abc123\na:8|ms|T1656581400|e:x');
    expect(b.timers.get('a')).toEqual([1, 4, 5, 6, 7, 8].map((v) => v * 1e6));
    expect(b.malformed).toBe(0);
  });

  it('puts tags in the metric id, one canonical form for DogStatsD and Telegraf', () => {
    const b = parseStatsd(
      [
        'checkout:5|ms|#region:eu,env:prod',
        'checkout,env=prod,region=eu:6|ms',
        'checkout:7|ms|@0.5|#env:prod|#region:eu',
        'checkout,region=eu:8|ms|#env:prod',
        'checkout:9|ms|#canary,env:prod',
        'checkout:10|ms',
      ].join('\n'),
    );
    expect([...b.timers.keys()]).toEqual([
      'checkout{env=prod,region=eu}',
      'checkout{canary,env=prod}',
      'checkout',
    ]);
    expect(b.timers.get('checkout{env=prod,region=eu}')).toEqual([5e6, 6e6, 7e6, 8e6]);
    expect(metricId('x', [])).toBe('x');
    expect(metricId('x', ['b=2', 'a', 'a=1'])).toBe('x{a,a=1,b=2}');
  });

  it('counts counters, gauges, sets, events and service checks as unsupported, by kind', () => {
    const b = parseStatsd(
      [
        'hits:1|c',
        'hits:1|c|@0.5|#env:prod',
        'queue:42|g',
        'queue:-3|g',
        'users:7|s',
        'users:u1|s',
        '_e{5,4}:title|text|p:low|#env:prod',
        '_sc|db.up|0|m:fine',
        't:1|ms',
      ].join('\n'),
    );
    expect(b).toMatchObject({
      unsupported: { counter: 2, gauge: 2, set: 2, event: 1, serviceCheck: 1 },
      malformed: 0,
      samples: 1,
    });
  });

  it('turns a 0 ms timing into 1 ns (the latency module counts positive nanoseconds)', () => {
    expect(parseStatsd('fast:0|ms').timers.get('fast')).toEqual([1]);
  });

  it.each([
    ['no value', 'a|ms'],
    ['no type', 'a:1'],
    ['empty name', ':1|ms'],
    ['unknown type', 'a:1|kg'],
    ['not a number', 'a:fast|ms'],
    ['negative timer', 'a:-1|ms'],
    ['hex', 'a:0x10|ms'],
    ['rate above 1', 'a:1|ms|@2'],
    ['rate 0', 'a:1|ms|@0'],
    ['rate not a number', 'a:1|ms|@x'],
    ['unknown section', 'a:1|ms|zzz'],
    ['timer beyond exact nanoseconds', 'a:1e13|ms'],
    ['a counter that is not a number', 'hits:lots|c'],
    ['an empty Telegraf tag', 'a,,env=prod:1|ms'],
    ['an event whose lengths lie', '_e{50,4}:title|text'],
    ['a service check without a status', '_sc|db.up'],
  ])('counts a malformed line and keeps the others: %s', (_name, bad) => {
    const b = parseStatsd(`ok:1|ms\n${bad}\nok:2|ms`);
    expect(b.malformed).toBe(1);
    expect(b.timers.get('ok')).toEqual([1e6, 2e6]);
  });

  it('counts, apart, a timer whose id would be longer than a metric id may be', () => {
    const b = parseStatsd(`${'n'.repeat(201)}:1|ms\nn:1|ms|#${'t'.repeat(200)}\nok:1|ms`);
    expect(b).toMatchObject({ nameTooLong: 2, malformed: 0, samples: 1 });
  });

  it('ignores empty lines', () => {
    expect(parseStatsd('\n\n\r\n')).toMatchObject({ samples: 0, malformed: 0 });
  });

  it('counts a Telegraf line whose tag value holds a colon as malformed, not as bogus samples', () => {
    // `host=db:5432` with timing 12, or `host=db` with timings 5432 and 12: no way to tell.
    const b = parseStatsd(
      ['api.latency,host=db:5432:12|ms', 'api.latency,host=a:b:12|ms', 'x,k=v:1:2|ms'].join('\n'),
    );
    expect(b).toMatchObject({ malformed: 3, samples: 0 });
    expect(b.timers.size).toBe(0);
  });

  it('reads a DogStatsD tag whose value holds colons: the key ends at the first one', () => {
    const b = parseStatsd('api.latency:12|ms|#host:db:5432,url:http://x:80/a');
    expect(b.malformed).toBe(0);
    expect([...b.timers]).toEqual([['api.latency{host=db:5432,url=http://x:80/a}', [12e6]]]);
  });
});
