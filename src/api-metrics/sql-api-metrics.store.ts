import { ApiMetricRecord, MethodName } from './api-metric';
import {
  ApiMetricsStore,
  BatchRejectedError,
  PercentileQuery,
  PercentileResult,
  RecentRecords,
  SecondCell,
  StoreInfo,
} from './api-metrics.store';
import { ReadersBusyError, SqlEngine } from '../infra/postgres/sql-engine';

// One key for every Beacon instance that migrates this database at the same moment.
const MIGRATION_LOCK = 0x6265_6163; // "beac"

/**
 * Every record is a row: no key, so records with equal timestamps are all kept (the seed's
 * primary key on a second-resolution time dropped them). The (route, method, time) index
 * serves the per-route queries; the time index serves windows and retention.
 */
const SCHEMA = `
  BEGIN;
  SELECT pg_advisory_xact_lock(${MIGRATION_LOCK});
  CREATE TABLE IF NOT EXISTS api_metrics (
    time timestamptz NOT NULL,
    route text NOT NULL,
    method text NOT NULL,
    status_code integer NOT NULL,
    response_time_ms double precision NOT NULL
  );
  CREATE INDEX IF NOT EXISTS api_metrics_time_idx ON api_metrics (time);
  CREATE INDEX IF NOT EXISTS api_metrics_route_method_time_idx ON api_metrics (route, method, time);
  COMMIT;
`;

// Epoch milliseconds travel as float8 both ways: no Date objects, no text timestamps.
const TIME_MS = '(extract(epoch from time) * 1000)::float8';
const AT = (param: string) => `to_timestamp(${param}::float8 / 1000)`;

interface Row {
  t: number;
  route: string;
  method: MethodName;
  status_code: number;
  response_time_ms: number;
}

export class SqlApiMetricsStore extends ApiMetricsStore {
  private engine: SqlEngine | null = null;
  private info: StoreInfo | null = null;
  private state: 'up' | 'down' | 'opening' = 'opening';

  /**
   * @param connect opens the engine (the embedded server or a pool); called again after a failed open
   * @param retentionMs the TimescaleDB retention policy, when the extension exists
   */
  constructor(
    private readonly connect: () => Promise<SqlEngine>,
    private readonly retentionMs: number,
  ) {
    super();
  }

  async open(): Promise<StoreInfo> {
    if (this.info) return this.info;
    this.info = await this.reach(async () => {
      const engine = (this.engine ??= await this.connect());
      await engine.exec(SCHEMA);
      const timescale = await this.enableTimescale(engine);
      return { engine: engine.name, timescale };
    });
    return this.info;
  }

  async ping(): Promise<void> {
    await this.open();
    await this.write('SELECT 1');
  }

  connection(): 'up' | 'down' | 'opening' {
    return this.state;
  }

  async append(records: readonly ApiMetricRecord[]): Promise<void> {
    if (records.length === 0) return;
    const n = records.length;
    const times = new Array<number>(n);
    const routes = new Array<string>(n);
    const methods = new Array<string>(n);
    const statuses = new Array<number>(n);
    const responseTimes = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const r = records[i];
      times[i] = r.timeMs;
      routes[i] = r.route;
      methods[i] = r.method;
      statuses[i] = r.statusCode;
      responseTimes[i] = r.responseTimeMs;
    }
    try {
      await this.write(
        `INSERT INTO api_metrics (time, route, method, status_code, response_time_ms)
         SELECT ${AT('u.t')}, u.route, u.method, u.status, u.rt
         FROM unnest($1::float8[], $2::text[], $3::text[], $4::int[], $5::float8[])
           AS u(t, route, method, status, rt)`,
        [times, routes, methods, statuses, responseTimes],
      );
    } catch (err) {
      if (isDataError(err)) throw new BatchRejectedError((err as Error).message);
      throw err;
    }
  }

  async recent(sinceMs: number, limit: number): Promise<RecentRecords> {
    const rows = await this.query<Row>(
      `SELECT ${TIME_MS} AS t, route, method, status_code, response_time_ms
       FROM api_metrics WHERE time >= ${AT('$1')}
       ORDER BY time DESC LIMIT $2`,
      [sinceMs, limit + 1],
    );
    const truncated = rows.length > limit;
    if (truncated) rows.length = limit;
    return { records: rows.map(toRecord), truncated };
  }

  async slowestPerSecond(fromMs: number, toMs: number, limit: number): Promise<SecondCell[]> {
    const rows = await this.query<{
      route: string;
      method: MethodName;
      second: number;
      status_code: number;
      response_time_ms: number;
    }>(
      `SELECT DISTINCT ON (route, method, second)
         route, method, floor(extract(epoch from time))::float8 AS second,
         status_code, response_time_ms
       FROM api_metrics WHERE time >= ${AT('$1')} AND time < ${AT('$2')}
       ORDER BY route, method, second, response_time_ms DESC
       LIMIT $3`,
      [fromMs, toMs, limit],
    );
    return rows.map((r) => ({
      route: r.route,
      method: r.method,
      second: r.second,
      statusCode: r.status_code,
      responseTimeMs: r.response_time_ms,
    }));
  }

  async percentiles(q: PercentileQuery, fractions: readonly number[]): Promise<PercentileResult> {
    const [row] = await this.query<{ count: number; ps: number[] | null }>(
      `SELECT count(*)::int AS count,
         percentile_disc($4::float8[]) WITHIN GROUP (ORDER BY response_time_ms) AS ps
       FROM api_metrics
       WHERE time >= ${AT('$1')}
         AND ($2::text IS NULL OR route = $2) AND ($3::text IS NULL OR method = $3)`,
      [q.sinceMs, q.route ?? null, q.method ?? null, fractions],
    );
    return { count: row.count, values: fractions.map((_, i) => row.ps?.[i] ?? null) };
  }

  async pruneOlderThan(cutoffMs: number): Promise<number> {
    const rows = await this.write<{ n: number }>(
      `WITH gone AS (DELETE FROM api_metrics WHERE time < ${AT('$1')} RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [cutoffMs],
    );
    return rows[0].n;
  }

  async close(): Promise<void> {
    const engine = this.engine;
    this.engine = null;
    this.info = null;
    await engine?.close();
  }

  /** Turns the table into a hypertable with a retention policy when TimescaleDB is there. */
  private async enableTimescale(db: SqlEngine): Promise<boolean> {
    const [available] = await db.write<{ installed: boolean }>(
      `SELECT installed_version IS NOT NULL AS installed
       FROM pg_available_extensions WHERE name = 'timescaledb'`,
    );
    if (!available) return false;
    if (!available.installed) {
      try {
        await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
      } catch {
        // Packaged but not preloaded (shared_preload_libraries), or no privilege: the
        // scheduled delete keeps the retention instead.
        return false;
      }
    }
    await db.write(
      `SELECT create_hypertable('api_metrics', 'time', if_not_exists => TRUE, migrate_data => TRUE)`,
    );
    // Replaced each start so a changed API_METRICS_RETENTION takes effect.
    await db.write(`SELECT remove_retention_policy('api_metrics', if_exists => TRUE)`);
    await db.write(`SELECT add_retention_policy('api_metrics', $1::interval)`, [
      `${Math.round(this.retentionMs / 1000)} seconds`,
    ]);
    return true;
  }

  /**
   * Every statement after open goes through one of these two, so `connection()` follows
   * each outcome: reads on the readers' connections (with statement_timeout), writes and
   * the probe on the writer's.
   */
  private query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    const engine = this.engine;
    if (!engine || !this.info) throw new Error('api-metrics database is not open');
    return this.reach(() => engine.query<T>(sql, params));
  }

  private write<T>(sql: string, params?: unknown[]): Promise<T[]> {
    const engine = this.engine;
    if (!engine || !this.info) throw new Error('api-metrics database is not open');
    return this.reach(() => engine.write<T>(sql, params));
  }

  /** Runs `work` against the database, noting whether the database answered. */
  private async reach<T>(work: () => Promise<T>): Promise<T> {
    try {
      const out = await work();
      this.state = 'up';
      return out;
    } catch (err) {
      // A refused statement is an answer: the database is there.
      this.state = isServerError(err) ? 'up' : 'down';
      throw err;
    }
  }
}

function toRecord(r: Row): ApiMetricRecord {
  return {
    timeMs: Math.round(r.t),
    route: r.route,
    method: r.method,
    statusCode: r.status_code,
    responseTimeMs: r.response_time_ms,
  };
}

/**
 * An error the server sent (a five-character SQLSTATE), as opposed to one from the
 * connection (ECONNREFUSED, a timeout). Class 08 is the server saying the connection failed,
 * and 57P is it shutting down: neither is an answer.
 */
function isServerError(err: unknown): boolean {
  if (err instanceof ReadersBusyError) return true; // it answers, just to others first
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    /^[0-9A-Z]{5}$/.test(code) &&
    !code.startsWith('08') &&
    !code.startsWith('57P')
  );
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation). */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}
