import { Client } from 'pg';

/** The PostgreSQL server the database tests use; CI starts it when it is down. */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  /** DATABASE_URL whose connections use the schema (search_path), so tests never collide. */
  url: string;
  /** Runs SQL in the schema, outside Beacon. */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A new, empty schema on the test server. Fails loudly when the server is not running. */
export async function freshSchema(prefix: string): Promise<TestSchema> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`.toLowerCase();
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `database tests need PostgreSQL at ${TEST_DATABASE_URL} (start it, or set TEST_DATABASE_URL): ${String(err)}`,
    );
  }
  await client.query(`CREATE SCHEMA ${name}`);
  await client.query(`SET search_path TO ${name}`);
  const sep = TEST_DATABASE_URL.includes('?') ? '&' : '?';
  return {
    url: `${TEST_DATABASE_URL}${sep}options=${encodeURIComponent(`-c search_path=${name}`)}`,
    query: async <T>(sql: string, params?: unknown[]) =>
      (await client.query(sql, params)).rows as T[],
    drop: async () => {
      await client.query(`DROP SCHEMA ${name} CASCADE`);
      await client.end();
    },
  };
}
