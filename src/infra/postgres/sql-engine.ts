import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, PoolConfig } from 'pg';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

/**
 * The little the store needs from PostgreSQL, so that one set of SQL runs on the embedded
 * server and on a server of the user's alike.
 */
export interface SqlEngine {
  readonly name: 'embedded' | 'postgresql';
  /** A read, on the readers' connections, cancelled by the server past `readTimeoutMs`. */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * A write (or the health probe), on the writer's own connection: however many heavy
   * reads run, they cannot take it, so ingest and probes never queue behind them.
   */
  write<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters, in one round trip (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

const CLOSE_WAIT_MS = 5000;

/** The embedded server's cluster lives in its own folder under DATA_DIR. */
export const EMBEDDED_DIR = 'api-metrics.pg';

export interface EngineEvents {
  /** An idle pooled connection failed (the server went away between queries). */
  onIdleError?: (err: Error) => void;
  /** A line the embedded server logged at WARNING or worse. */
  onServerLog?: (line: string) => void;
  /** The embedded server is up: how long it took, and whether the cluster was created. */
  onServerStarted?: (server: EmbeddedPostgres) => void;
}

export interface EngineOptions extends EngineEvents {
  /** The readers' `statement_timeout`: a read running longer is cancelled (SQLSTATE 57014). */
  readTimeoutMs?: number;
}

/** SQLSTATE of a statement the server cancelled (statement_timeout). */
export const QUERY_CANCELED = '57014';

/** Starts the embedded PostgreSQL under `dataDir` and opens a pool on it; close() stops both. */
export async function openEmbedded(
  dataDir: string,
  events: EngineOptions = {},
): Promise<SqlEngine> {
  const server = await startEmbeddedPostgres({
    dir: join(dataDir, EMBEDDED_DIR),
    onLog: events.onServerLog,
  });
  events.onServerStarted?.(server);
  const engine = poolEngine('embedded', { ...server.connection }, events);
  return {
    ...engine,
    close: async () => {
      await engine.close();
      await server.stop();
    },
  };
}

export function openPostgres(url: string, events: EngineOptions = {}): SqlEngine {
  return poolEngine('postgresql', { connectionString: url }, events);
}

/** Connections for reads; the writer has two of its own (batches, and the probe or prune). */
const READERS = 3;
const WRITERS = 2;

/**
 * Every reader connection is taken and this read waited its turn past the connect
 * timeout: the database is busy, not down.
 */
export class ReadersBusyError extends Error {
  readonly code = 'BEACON_READERS_BUSY';
}

function poolEngine(
  name: SqlEngine['name'],
  config: PoolConfig,
  options: EngineOptions,
): SqlEngine {
  const base: PoolConfig = {
    ...config,
    // A database that stops answering must fail the call, not hang the writer forever.
    connectionTimeoutMillis: 5000,
    query_timeout: 30_000,
    idleTimeoutMillis: 10_000,
  };
  const readTimeoutMs = options.readTimeoutMs ?? 10_000;
  const readers = new Pool({
    ...base,
    max: READERS,
    application_name: 'beacon-reader',
    statement_timeout: readTimeoutMs,
    // The server cancels at statement_timeout; the client gives up a little later.
    query_timeout: readTimeoutMs + 5000,
  });
  const writer = new Pool({ ...base, max: WRITERS, application_name: 'beacon-writer' });
  // pool.end() resolves once it has asked every connection to end, not once they have;
  // closing waits for the last one, so a server stopped right after sees no live session.
  let open = 0;
  let allGone: (() => void) | null = null;
  for (const pool of [readers, writer]) {
    // Without a listener an idle connection dropped by the server would crash the process.
    pool.on('error', (err) => options.onIdleError?.(err));
    pool.on('connect', () => open++);
    pool.on('remove', () => {
      if (--open === 0) allGone?.();
    });
  }
  return {
    name,
    query: async <T>(sql: string, params?: unknown[]) => {
      try {
        return (await readers.query(sql, params)).rows as T[];
      } catch (err) {
        // pg-pool's own timeout while all readers were in use: queued, not unreachable.
        const queued =
          readers.totalCount >= READERS &&
          /timeout exceeded when trying to connect/.test((err as Error).message);
        if (queued) throw new ReadersBusyError(`all ${READERS} reader connections stayed busy`);
        throw err;
      }
    },
    write: async <T>(sql: string, params?: unknown[]) =>
      (await writer.query(sql, params)).rows as T[],
    exec: async (sql) => {
      // A dedicated connection: a failed multi-statement string leaves its session in an
      // aborted transaction, and such a connection must be destroyed, not reused.
      const client = await writer.connect();
      try {
        await client.query(sql);
        client.release();
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
    },
    close: async () => {
      const gone = open === 0 ? Promise.resolve() : new Promise<void>((r) => (allGone = r));
      await Promise.all([readers.end(), writer.end()]);
      // Bounded, so a connection that never says goodbye cannot hold shutdown.
      await Promise.race([gone, sleep(CLOSE_WAIT_MS, undefined, { ref: false })]);
    },
  };
}
