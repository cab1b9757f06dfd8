/**
 * Jest global set-up and tear-down for the database suites. TEST_DATABASE_URL decides:
 * - a postgres:// URL: that server (CI passes the machine's);
 * - unset: the machine's server at 127.0.0.1:5432 when one answers there, else an embedded
 *   real PostgreSQL started here for the run (so a bare machine with only Node passes);
 * - `embedded`: always the embedded one.
 * The choice reaches the tests through process.env, which jest's workers inherit.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  EmbeddedPostgres,
  startEmbeddedPostgres,
} from '../../src/infra/postgres/embedded-postgres';
import { LOCAL_DATABASE_URL } from '../helpers/postgres';
import { tempDir } from '../helpers/temp-dir';
import { answers, freePort } from './net';

interface Started {
  server: EmbeddedPostgres;
  dir: string;
}
const KEY = '__beaconTestPostgres';
type WithServer = typeof globalThis & { [KEY]?: Started };

export async function setup(): Promise<void> {
  const wanted = process.env.TEST_DATABASE_URL;
  if (wanted && wanted !== 'embedded') return;
  if (wanted !== 'embedded' && (await answers('127.0.0.1', 5432))) {
    process.env.TEST_DATABASE_URL = LOCAL_DATABASE_URL;
    return;
  }
  const dir = tempDir('beacon-test-pg-');
  const server = await startEmbeddedPostgres({
    dir: join(dir, 'cluster'),
    tcpPort: await freePort(),
    database: 'test',
  });
  (globalThis as WithServer)[KEY] = { server, dir };
  process.env.TEST_DATABASE_URL = server.url;
  process.stderr.write(
    `\ndatabase suites: embedded PostgreSQL at ${server.url} (started in ${Math.round(server.startMs)} ms)\n`,
  );
}

export async function teardown(): Promise<void> {
  const started = (globalThis as WithServer)[KEY];
  if (!started) return;
  await started.server.stop();
  rmSync(started.dir, { recursive: true, force: true });
}
