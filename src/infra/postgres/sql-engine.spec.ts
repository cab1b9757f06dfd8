import { eventually } from '../../../test/helpers/eventually';
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

  it('cancels a read past readTimeoutMs with SQLSTATE 57014', async () => {
    // The server's cancel, not the client giving up later (that error has no SQLSTATE); a
    // read left to run its 10 s would outlast the test's timeout.
    await expect(engine.query('SELECT pg_sleep(10)')).rejects.toMatchObject({
      code: QUERY_CANCELED,
      message: expect.stringMatching(/statement timeout/),
    });
  });

  it('gives writes no statement timeout', async () => {
    // A write twice as long as this engine's read timeout: a read would be cancelled.
    const short = openPostgres(schema.url, { readTimeoutMs: 200 });
    try {
      await expect(short.query('SELECT pg_sleep(0.4)')).rejects.toMatchObject({
        code: QUERY_CANCELED,
      });
      await expect(short.write('SELECT pg_sleep(0.4)')).resolves.toHaveLength(1);
    } finally {
      await short.close();
    }
  });

  it('keeps the writer free while reads take every reader connection and queue behind', async () => {
    // Six reads of 1 s on three reader connections: on a shared pool the write would wait
    // for one of them to end. On its own connection it is done before any read is.
    // The reads are told apart from any other run's on the same server by their text.
    const read = `SELECT pg_sleep(1) AS held_by_${process.pid}`;
    const running = async () =>
      (
        await schema.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE application_name = 'beacon-reader' AND state = 'active' AND query = $1`,
          [read],
        )
      )[0].n;
    let readsDone = 0;
    const reads = Array.from({ length: 6 }, () => engine.query(read).then(() => readsDone++));
    await eventually(async () => (await running()) === 3); // the reads hold their connections
    await engine.write('SELECT 1');
    expect(readsDone).toBe(0);
    expect(await running()).toBe(3);
    await Promise.all(reads);
  });
});
