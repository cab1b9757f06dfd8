import { Client } from 'pg';

/** The machine's PostgreSQL server, used when it answers and TEST_DATABASE_URL is unset. */
export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The PostgreSQL server the database tests use. The jest set-up (`test/setup/postgres.ts`)
 * fills it in before any test runs: TEST_DATABASE_URL as given, the machine's server, or an
 * embedded one it started.
 */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url || url === 'embedded') {
    throw new Error('TEST_DATABASE_URL is not set: run the tests through jest (npm test)');
  }
  return url;
}

export interface TestSchema {
  /** DATABASE_URL whose connections use the schema (search_path), so tests never collide. */
  url: string;
  /** Runs SQL in the schema, outside Beacon. */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A new, empty schema on the test server. Fails loudly when the server is not running. */
export async function freshSchema(prefix: string): Promise<TestSchema> {
  const base = testDatabaseUrl();
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`.toLowerCase();
  const client = new Client({ connectionString: base });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `database tests need PostgreSQL at ${base} (start it, or set TEST_DATABASE_URL): ${String(err)}`,
    );
  }
  await client.query(`CREATE SCHEMA ${name}`);
  await client.query(`SET search_path TO ${name}`);
  const sep = base.includes('?') ? '&' : '?';
  return {
    url: `${base}${sep}options=${encodeURIComponent(`-c search_path=${name}`)}`,
    query: async <T>(sql: string, params?: unknown[]) =>
      (await client.query(sql, params)).rows as T[],
    drop: async () => {
      await client.query(`DROP SCHEMA ${name} CASCADE`);
      await client.end();
    },
  };
}
