import { nearestRankIndex } from '../common/percentile';
import { ApiMetricRecord, METHOD_NAMES, MethodName } from './api-metric';
import { ApiMetricsStore, BatchRejectedError, StoreInfo } from './api-metrics.store';

export const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

export function rec(
  timeMs: number,
  route = '/a',
  method: MethodName = 'GET',
  rt = 1,
  status = 200,
): ApiMetricRecord {
  return { timeMs, route, method, statusCode: status, responseTimeMs: rt };
}

function rng(seed: number) {
  return () => (seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff;
}

export interface Engine {
  /** A store on the engine's one database; several may be opened one after another. */
  store: () => ApiMetricsStore;
  cleanup: () => Promise<void>;
}

/**
 * What every ApiMetricsStore must do, on whatever engine keeps the rows. `make` returns an
 * engine with an empty database; each test starts from an empty table.
 */
export function apiMetricsStoreContract(
  name: string,
  expectedEngine: StoreInfo['engine'],
  make: () => Promise<Engine>,
): void {
  describe(`${name} (ApiMetricsStore contract)`, () => {
    let engine: Engine;
    let store: ApiMetricsStore;

    beforeAll(async () => {
      engine = await make();
    }, 60_000);
    afterAll(() => engine.cleanup());

    beforeEach(async () => {
      store = engine.store();
      await store.open();
      await store.pruneOlderThan(Number.MAX_SAFE_INTEGER / 2);
    }, 60_000);
    afterEach(() => store.close());

    it('migrates idempotently and keeps rows across reopen', async () => {
      const info = await store.open();
      expect(info.engine).toBe(expectedEngine);
      // TimescaleDB is not installable on the machines this runs on: the plain path is taken.
      expect(info.timescale).toBe(false);
      await store.append([rec(T0)]);
      await store.close();
      store = engine.store();
      await store.open();
      expect((await store.recent(0, 10)).records).toEqual([rec(T0)]);
    }, 60_000);

    it('keeps every record, including many with the same timestamp', async () => {
      const same = Array.from({ length: 1000 }, (_, i) => rec(T0, '/same', 'POST', i, 201));
      await store.append(same);
      const { records, truncated } = await store.recent(0, 5000);
      expect(truncated).toBe(false);
      expect(records).toHaveLength(1000);
      expect(records.map((r) => r.responseTimeMs).sort((a, b) => a - b)).toEqual(
        same.map((r) => r.responseTimeMs),
      );
    });

    it('round-trips routes with quotes, commas, braces, backslashes, NULL and Unicode', async () => {
      const routes = [
        '/a"b',
        '/a,b',
        '/{x}',
        '/back\\slash',
        'NULL',
        '/café/☃',
        "/it's",
        ' /space ',
      ];
      await store.append(routes.map((r, i) => rec(T0 + i, r)));
      const got = (await store.recent(0, 100)).records.map((r) => r.route).reverse();
      expect(got).toEqual(routes);
    });

    it('keeps millisecond timestamps exact', async () => {
      const times = [T0 + 1, T0 + 999, T0 + 123_456_789, 1_000_000_000_123];
      await store.append(times.map((t) => rec(t)));
      const got = (await store.recent(0, 10)).records.map((r) => r.timeMs);
      expect(got).toEqual([...times].sort((a, b) => b - a));
    });

    it('answers a window newest first, with a limit that says it truncated', async () => {
      await store.append(Array.from({ length: 50 }, (_, i) => rec(T0 + i * 1000)));
      const window = await store.recent(T0 + 20_000, 100);
      expect(window.records.map((r) => r.timeMs)).toEqual(
        Array.from({ length: 30 }, (_, i) => T0 + (49 - i) * 1000),
      );
      expect(window.truncated).toBe(false);
      const limited = await store.recent(T0 + 20_000, 10);
      expect(limited.truncated).toBe(true);
      expect(limited.records[0].timeMs).toBe(T0 + 49_000);
      expect(limited.records).toHaveLength(10);
      expect((await store.recent(T0 + 20_000, 30)).truncated).toBe(false);
    });

    it('picks the slowest record per route, method and second, like a brute-force scan', async () => {
      const r = rng(3);
      const all: ApiMetricRecord[] = [];
      for (let i = 0; i < 3000; i++) {
        all.push(
          rec(
            T0 + Math.floor(r() * 120_000),
            ['/a', '/b', '/c'][Math.floor(r() * 3)],
            (['GET', 'POST'] as const)[Math.floor(r() * 2)],
            Math.round(r() * 1e6) / 1000,
            [200, 404, 500][Math.floor(r() * 3)],
          ),
        );
      }
      await store.append(all);
      const from = T0 + 30_000;
      const to = T0 + 90_000;
      const cells = await store.slowestPerSecond(from, to, 1_000_000);
      const best = new Map<string, ApiMetricRecord>();
      for (const x of all) {
        if (x.timeMs < from || x.timeMs >= to) continue;
        const key = `${x.route}|${x.method}|${Math.floor(x.timeMs / 1000)}`;
        const cur = best.get(key);
        if (!cur || x.responseTimeMs > cur.responseTimeMs) best.set(key, x);
      }
      const expected = [...best.entries()]
        .sort(([a], [b]) => {
          const [ra, ma, sa] = a.split('|');
          const [rb, mb, sb] = b.split('|');
          return ra.localeCompare(rb) || ma.localeCompare(mb) || Number(sa) - Number(sb);
        })
        .map(([key, x]) => ({
          route: x.route,
          method: x.method,
          second: Number(key.split('|')[2]),
          responseTimeMs: x.responseTimeMs,
          statusCode: x.statusCode,
        }));
      expect(cells).toEqual(expected);
      expect(await store.slowestPerSecond(from, to, 5)).toEqual(expected.slice(0, 5));
    });

    it('computes nearest-rank percentiles in SQL exactly like the shared definition', async () => {
      const r = rng(11);
      const all: ApiMetricRecord[] = [];
      for (let i = 0; i < 4000; i++) {
        all.push(
          rec(
            T0 + i,
            ['/x', '/y'][Math.floor(r() * 2)],
            METHOD_NAMES[Math.floor(r() * 3)],
            Math.floor(r() * 500) / 4, // ties on purpose
          ),
        );
      }
      await store.append(all);
      const fractions = [0.5, 0.95, 0.99];
      const cases: { sinceMs: number; route?: string; method?: MethodName }[] = [
        { sinceMs: 0 },
        { sinceMs: T0 + 1234 },
        { sinceMs: T0, route: '/x' },
        { sinceMs: T0 + 3999, route: '/y', method: 'GET' },
        { sinceMs: T0 + 100, method: 'PUT' },
      ];
      for (const q of cases) {
        const sorted = all
          .filter(
            (x) =>
              x.timeMs >= q.sinceMs &&
              (!q.route || x.route === q.route) &&
              (!q.method || x.method === q.method),
          )
          .map((x) => x.responseTimeMs)
          .sort((a, b) => a - b);
        const got = await store.percentiles(q, fractions);
        expect(got.count).toBe(sorted.length);
        expect(got.values).toEqual(
          fractions.map((f) =>
            sorted.length ? sorted[nearestRankIndex(f * 100, sorted.length)] : null,
          ),
        );
      }
      expect(await store.percentiles({ sinceMs: 0, route: '/none' }, fractions)).toEqual({
        count: 0,
        values: [null, null, null],
      });
    });

    it('prunes exactly the rows older than the cutoff', async () => {
      await store.append(Array.from({ length: 10 }, (_, i) => rec(T0 + i)));
      expect(await store.pruneOlderThan(T0 + 4)).toBe(4);
      expect((await store.recent(0, 100)).records.map((r) => r.timeMs).at(-1)).toBe(T0 + 4);
      expect(await store.pruneOlderThan(T0 + 4)).toBe(0);
    });

    it('lands every row of concurrent appends', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, k) =>
          store.append(Array.from({ length: 250 }, (_, i) => rec(T0 + k * 1000 + i, `/c${k}`))),
        ),
      );
      expect((await store.percentiles({ sinceMs: 0 }, [0.5])).count).toBe(5000);
    });

    it('refuses a batch the database cannot hold as data, and writes none of it', async () => {
      // PostgreSQL text cannot hold NUL: the listener filters it, so only a bug gets here.
      const err = await store
        .append([rec(T0, '/ok'), rec(T0, '/nul\u0000')])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BatchRejectedError);
      expect((await store.recent(0, 10)).records).toEqual([]);
    });

    it('answers a ping once open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
