import { parseStatsd } from './statsd';

describe('parseStatsd', () => {
  it('reads ms, h and d timers as nanoseconds, several lines per datagram', () => {
    const b = parseStatsd('api.get:12.5|ms\napi.get:3|h\r\ndb.query:0.25|d\n');
    expect(b.timers).toEqual(
      new Map([
        ['api.get', [12_500_000, 3_000_000]],
        ['db.query', [250_000]],
      ]),
    );
    expect(b).toMatchObject({ samples: 3, unsupported: 0, malformed: 0 });
  });

  it('tolerates sample rates and DogStatsD tags, and reads multi-value lines', () => {
    const b = parseStatsd(
      'a:1|ms|@0.1\na:2|ms|#env:prod,region:eu\na:3|ms|@0.5|#x\na:4:5:6|ms\na:7|ms|c:abc123',
    );
    expect(b.timers.get('a')).toEqual([1, 2, 3, 4, 5, 6, 7].map((v) => v * 1e6));
    expect(b.malformed).toBe(0);
  });

  it('counts counters, gauges and sets as unsupported, not as errors', () => {
    const b = parseStatsd('hits:1|c\nhits:1|c|@0.5\nqueue:42|g\nqueue:-3|g\nusers:7|s\nt:1|ms');
    expect(b).toMatchObject({ unsupported: 5, malformed: 0, samples: 1 });
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
    ['name over 200 characters', 'n'.repeat(201) + ':1|ms'],
  ])('counts a malformed line and keeps the others: %s', (_name, bad) => {
    const b = parseStatsd(`ok:1|ms\n${bad}\nok:2|ms`);
    expect(b.malformed).toBe(1);
    expect(b.timers.get('ok')).toEqual([1e6, 2e6]);
  });

  it('ignores empty lines', () => {
    expect(parseStatsd('\n\n\r\n')).toMatchObject({ samples: 0, malformed: 0 });
  });
});
