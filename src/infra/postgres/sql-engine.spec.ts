import { freshSchema, TestSchema } from '../../../test/helpers/postgres';
import { QUERY_CANCELED, SqlEngine, openPostgres } from './sql-engine';

describe('SqlEngine on a PostgreSQL server', () => {
  let schema: TestSchema;
  let engine: SqlEngine;
  beforeAll(async () => {
    schema = await freshSchema('beacon_engine');
    engine = openPostgres(schema.url, { readTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await engine.close();
    await schema.drop();
  });

  it('cancels a read past readTimeoutMs with SQLSTATE 57014, fast', async () => {
    const started = performance.now();
    await expect(engine.query('SELECT pg_sleep(10)')).rejects.toMatchObject({
      code: QUERY_CANCELED,
    });
    expect(performance.now() - started).toBeLessThan(9000);
  });

  it('gives writes no statement timeout', async () => {
    await expect(engine.write('SELECT pg_sleep(0.4)')).resolves.toHaveLength(1);
  });

  it('keeps the writer free while reads take every reader connection and queue behind', async () => {
    // Six reads of 1 s on three reader connections: on a shared pool the write would wait
    // for one of them to end. On its own connection it is done before any read is.
    let readsDone = 0;
    const reads = Array.from({ length: 6 }, () =>
      engine.query('SELECT pg_sleep(1)').then(() => readsDone++),
    );
    await new Promise((r) => setTimeout(r, 50)); // the reads hold their connections
    await engine.write('SELECT 1');
    expect(readsDone).toBe(0);
    const readers = await schema.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'beacon-reader'`,
    );
    expect(readers[0].n).toBe(3);
    await Promise.all(reads);
  });
});
