import type { PGlite } from '@electric-sql/pglite';
import { join } from 'node:path';
import { Pool } from 'pg';

/**
 * The little the store needs from a PostgreSQL engine, so that one set of SQL runs on
 * embedded PGlite and on a PostgreSQL server alike.
 */
export interface SqlEngine {
  readonly name: 'pglite' | 'postgresql';
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters, in one round trip (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** PGlite's files live in their own folder under DATA_DIR. */
export const PGLITE_DIR = 'api-metrics.pglite';

export async function openPglite(dataDir: string): Promise<SqlEngine> {
  // PGlite is an ES module with a CommonJS build; loading it lazily keeps its WASM out
  // of processes that use a PostgreSQL server or have the module off.
  const { PGlite: Engine } = await import('@electric-sql/pglite');
  const db: PGlite = await Engine.create(join(dataDir, PGLITE_DIR));
  return {
    name: 'pglite',
    query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    exec: async (sql) => void (await db.exec(sql)),
    close: () => db.close(),
  };
}

export function openPostgres(url: string, onIdleError: (err: Error) => void): SqlEngine {
  const pool = new Pool({
    connectionString: url,
    max: 4,
    // A database that stops answering must fail the call, not hang the writer forever.
    connectionTimeoutMillis: 5000,
    query_timeout: 30_000,
    idleTimeoutMillis: 10_000,
    application_name: 'beacon',
  });
  // Without a listener an idle connection dropped by the server would crash the process.
  pool.on('error', onIdleError);
  return {
    name: 'postgresql',
    query: async <T>(sql: string, params?: unknown[]) =>
      (await pool.query(sql, params)).rows as T[],
    exec: async (sql) => {
      // A dedicated connection: a failed multi-statement string leaves its session in an
      // aborted transaction, and such a connection must be destroyed, not reused.
      const client = await pool.connect();
      try {
        await client.query(sql);
        client.release();
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
    },
    close: () => pool.end(),
  };
}
