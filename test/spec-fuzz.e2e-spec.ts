import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkAgainstSpec } from './client/spec-check';
import { freshSchema, TestSchema } from './helpers/postgres';
import { startTestApp, TestApp } from './helpers/test-app';

interface Param {
  name: string;
  in: 'path' | 'query';
  schema?: { enum?: unknown[]; example?: unknown };
}
interface Op {
  parameters?: Param[];
  requestBody?: unknown;
}
const spec = JSON.parse(readFileSync(join(__dirname, '..', 'openapi', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Op>>;
};
const operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
);

/** Strings a stranger sends: raw (already encoded, possibly broken) URL pieces. */
const HOSTILE_RAW = ['%00', '%', '%FF', '%E0%A4%A', '%C0%AF', '..%2F..%2Fetc%2Fpasswd'];
/** Values a stranger sends, percent-encoded before they go out. */
const HOSTILE = [
  '',
  ' ',
  'a'.repeat(300),
  '-1',
  '0',
  '1e309',
  'NaN',
  'null',
  '[]',
  '{}',
  '9007199254740993',
  '😀',
  '\u202e',
  'GET /api/x',
  '24h',
  'likes',
  '99.9999',
];
const value: fc.Arbitrary<{ raw: string }> = fc.oneof(
  fc.constantFrom(...HOSTILE_RAW).map((raw) => ({ raw })),
  fc
    .oneof(
      fc.constantFrom(...HOSTILE),
      fc.string({ maxLength: 40 }),
      fc.integer().map(String),
      fc.double().map(String),
    )
    .map((v) => ({ raw: encodeURIComponent(v) })),
);
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const body: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('', '{', 'null', '"x"', '[]', deep(100), deep(5000), '{"__proto__":{"a":1}}'),
  fc
    .dictionary(
      fc.constantFrom(
        'latency_ns',
        'latencies_ns',
        'window_ms',
        'max_samples',
        'metadata',
        'message',
      ),
      fc.jsonValue({ maxDepth: 3 }),
    )
    .map((v) => JSON.stringify(v)),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-16',
  'application/json; charset=bogus',
  'text/plain',
  'application/x-www-form-urlencoded',
);

/**
 * Generated hostile requests to every operation in openapi/openapi.json: broken and NUL
 * percent-encoding, long and odd strings, wrong types, deep and malformed JSON, wrong
 * media types. Any 5xx, any status the spec does not list for the operation, and any
 * body that does not match its schema fails the test. (`npm test` runs a small number
 * per operation; FUZZ_RUNS raises it.)
 */
function fuzzEveryOperation(
  title: string,
  env: Record<string, string>,
  auth: fc.Arbitrary<Record<string, string>>,
  mustSee: number[] = [],
): void {
  describe(title, () => {
    const seen = new Set<number>();
    let t: TestApp;
    let schema: TestSchema;
    beforeAll(async () => {
      schema = await freshSchema('beacon_fuzz');
      t = await startTestApp({ API_METRICS_ENABLED: 'true', DATABASE_URL: schema.url, ...env });
    }, 60_000);
    afterAll(async () => {
      await t.close();
      await schema.drop();
    });

    it.each(operations.map((o) => [`${o.method} ${o.path}`, o] as const))(
      '%s',
      async (_name, { method, path, op }) => {
        const params = op.parameters ?? [];
        const request = fc.record({
          values: fc.tuple(...params.map(() => fc.option(value, { nil: undefined }))),
          body: body,
          contentType,
          encoding: fc.constantFrom(undefined, 'identity', 'gzip', 'deflate', 'br', 'zstd-ish'),
          auth,
        });
        await fc.assert(
          fc.asyncProperty(
            request,
            async ({ values, body: payload, contentType: type, encoding, auth: credentials }) => {
              let url = path;
              const query: string[] = [];
              params.forEach((p, i) => {
                const v = values[i]?.raw ?? 'x';
                if (p.in === 'path') url = url.replace(`{${p.name}}`, v === '' ? 'x' : v);
                // /analysis durations up to a minute would wait: history only.
                else if (values[i] !== undefined && !(p.name === 'mode'))
                  query.push(`${p.name}=${v}`);
              });
              if (path === '/analysis') query.push('mode=history');
              const full = `${t.baseUrl}${url}${query.length ? `?${query.join('&')}` : ''}`;
              const hasBody = op.requestBody !== undefined;
              const res = await fetch(full, {
                method,
                headers: {
                  ...credentials,
                  ...(hasBody
                    ? {
                        'content-type': type,
                        ...(encoding ? { 'content-encoding': encoding } : {}),
                      }
                    : {}),
                },
                body: hasBody ? payload : undefined,
              });
              const text = await res.text();
              seen.add(res.status);
              if (res.status >= 500) throw new Error(`${method} ${full} → ${res.status}: ${text}`);
              checkAgainstSpec(method, full, res.status, res.headers.get('content-type'), text);
            },
          ),
          {
            numRuns: Number(process.env.FUZZ_RUNS ?? 40),
            seed: Number(process.env.FUZZ_SEED ?? 7),
          },
        );
      },
      60_000,
    );

    if (mustSee.length > 0) {
      it(`answered ${mustSee.join(' and ')} at least once`, () => {
        for (const status of mustSee) expect([status, seen.has(status)]).toEqual([status, true]);
      });
    }
  });
}

fuzzEveryOperation('every operation against generated hostile requests (e2e)', {}, fc.constant({}));

// The same with every key and limit on: no key, a wrong one, a right one in either header,
// and a rate limit the run goes past. 401 and 429 must be documented wherever they come.
const KEY = 'fuzz-key-0123456789abcdef';
fuzzEveryOperation(
  'every operation with API keys (reads too) and a rate limit (e2e)',
  // 40 runs × 23 operations, about a third reaching a route: the limit is passed halfway.
  { API_KEYS: KEY, API_KEYS_FOR_READS: 'true', RATE_LIMIT_PER_MINUTE: '150' },
  fc.constantFrom<Record<string, string>>(
    {},
    { authorization: 'Bearer not-the-key-0123456789' },
    { authorization: 'Basic abc' },
    { authorization: `Bearer ${KEY}` },
    { 'x-api-key': KEY },
  ),
  [401, 429],
);
