/**
 * api-metrics' rows/s persisted through `append` (one unnest INSERT per 5,000) against one
 * INSERT per row (the seed's way), on the embedded PostgreSQL and on the machine's server.
 */
import { rmSync } from 'node:fs';
import { ApiMetricRecord } from '../../src/api-metrics/api-metric';
import { SqlApiMetricsStore } from '../../src/api-metrics/sql-api-metrics.store';
import { SqlEngine, openEmbedded, openPostgres } from '../../src/infra/postgres/sql-engine';
import { freshSchema } from '../../test/helpers/postgres';
import { tempDir } from '../../test/helpers/temp-dir';
import { Row, Scenario, figure } from '../lib/scenario';

export const rows: Scenario = {
  name: 'rows',
  run: async () => {
    const out: Row[] = [];
    for (const engine of ['embedded', 'postgresql'] as const) {
      const r = await rowsPerSecond(engine);
      out.push(
        figure({
          scenario: `api-metrics: rows/s persisted on ${engine} (5,000 per unnest INSERT)`,
          rps: r.batched,
          vs: `${(r.batched / r.perRow).toFixed(0)}× one INSERT per row (${Math.round(r.perRow).toLocaleString('en-US')}/s, the seed's way)`,
        }),
      );
    }
    return out;
  },
};

async function rowsPerSecond(
  engine: 'embedded' | 'postgresql',
): Promise<{ batched: number; perRow: number }> {
  const dir = tempDir('beacon-bench-db-');
  const schema = engine === 'postgresql' ? await freshSchema('beacon_bench_rows') : null;
  let sql: SqlEngine | null = null;
  const connect = async () => (sql = schema ? openPostgres(schema.url) : await openEmbedded(dir));
  const store = new SqlApiMetricsStore(connect, 7 * 86_400_000);
  try {
    await store.open();
    const now = Date.now();
    const rec = (i: number): ApiMetricRecord => ({
      timeMs: now - (i % 600_000),
      route: `/api/route-${i % 50}`,
      method: 'GET',
      statusCode: 200,
      responseTimeMs: (i % 1000) / 10,
    });
    const total = 200_000;
    let t = performance.now();
    for (let i = 0; i < total; i += 5000) {
      await store.append(Array.from({ length: 5000 }, (_, k) => rec(i + k)));
    }
    const batched = total / ((performance.now() - t) / 1000);
    const single = 5000;
    t = performance.now();
    for (let i = 0; i < single; i++) {
      const r = rec(i);
      await sql!.query(
        'INSERT INTO api_metrics (time, route, method, status_code, response_time_ms) VALUES (to_timestamp($1::float8 / 1000), $2, $3, $4, $5)',
        [r.timeMs, r.route, r.method, r.statusCode, r.responseTimeMs],
      );
    }
    const perRow = single / ((performance.now() - t) / 1000);
    return { batched, perRow };
  } finally {
    await store.close();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
