import { rmSync } from 'node:fs';
import { tempDir } from '../../test/helpers/temp-dir';
import { freshSchema, TestSchema } from '../../test/helpers/postgres';
import { apiMetricsStoreContract } from './api-metrics.store.contract';
import { SqlApiMetricsStore } from './sql-api-metrics.store';
import { openEmbedded, openPostgres } from '../infra/postgres/sql-engine';

const WEEK = 7 * 86_400_000;

// The default: Beacon's own embedded PostgreSQL, started under a fresh DATA_DIR.
apiMetricsStoreContract('SqlApiMetricsStore on the embedded PostgreSQL', 'embedded', async () => {
  const dir = tempDir('beacon-store-');
  return {
    store: () => new SqlApiMetricsStore(() => openEmbedded(dir), WEEK),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

// DATABASE_URL: the test server (the machine's PostgreSQL, or one the test set-up started).
apiMetricsStoreContract('SqlApiMetricsStore on a PostgreSQL server', 'postgresql', async () => {
  const schema: TestSchema = await freshSchema('beacon_store');
  return {
    store: () => new SqlApiMetricsStore(async () => openPostgres(schema.url), WEEK),
    cleanup: () => schema.drop(),
  };
});

describe('SqlApiMetricsStore without a database', () => {
  it('rejects ping and open while nothing answers', async () => {
    const store = new SqlApiMetricsStore(
      async () => openPostgres('postgres://postgres@127.0.0.1:9/none'),
      WEEK,
    );
    await expect(store.ping()).rejects.toThrow();
    await expect(store.open()).rejects.toThrow();
    await store.close();
  });
});
