/**
 * npm run bench — builds Beacon, starts it and the bare-Nest baseline as separate
 * processes on free loopback ports, drives each scenario with autocannon and prints
 * one table. Every figure is set against a baseline measured in the same run, because
 * the machine is shared and noisy: compare ratios, not absolute numbers.
 *
 * BENCH_DURATION (s, default 10) and BENCH_CONNECTIONS (default 50) tune the runs;
 * BENCH_ROUNDS (default 3) alternating rounds for baseline comparisons;
 * BENCH_ONLY=name,name,… runs only those (the names are in bench/registry.ts, one
 * scenario a file in bench/scenarios/).
 */
import { execSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ISOLATED_ENV } from '../test/helpers/isolated-env';
import { LOCAL_DATABASE_URL } from '../test/helpers/postgres';
import { tempDir } from '../test/helpers/temp-dir';
import { BenchContext, Row } from './lib/scenario';
import { startServer } from './lib/server';
import { SCENARIOS } from './registry';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ONLY = process.env.BENCH_ONLY?.split(',');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function main(): Promise<void> {
  // The api-metrics scenarios use the machine's PostgreSQL server, as the tests do.
  process.env.TEST_DATABASE_URL ??= LOCAL_DATABASE_URL;
  execSync('npx nest build', { stdio: 'inherit' });
  const dataDir = tempDir('beacon-bench-');
  const beaconEnv = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ...ISOLATED_ENV,
  };
  // Each Beacon gets a DATA_DIR of its own: two at once on one directory would append to
  // one request-counter file, and each would load and compact the other's counts.
  let started = 0;
  const ctx: BenchContext = {
    duration: DURATION,
    connections: CONNECTIONS,
    rounds: ROUNDS,
    startBeacon: (env = {}, placement = {}) => {
      const own = join(dataDir, String(started++));
      mkdirSync(own);
      return startServer(
        ['dist/main.js'],
        { ...beaconEnv, DATA_DIR: own, ...env },
        '/health/live',
        placement,
      );
    },
    startBaseline: () =>
      startServer(['-r', 'ts-node/register/transpile-only', 'bench/baseline-app.ts'], {
        TS_NODE_PROJECT: 'tsconfig.json',
      }),
    freshDir: (name) => {
      const dir = join(dataDir, `${name}-${started++}`);
      mkdirSync(dir);
      return dir;
    },
  };
  const rows: Row[] = [];
  try {
    for (const scenario of SCENARIOS) {
      if (!ONLY || ONLY.includes(scenario.name)) rows.push(...(await scenario.run(ctx)));
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  print(rows);
}

function print(rows: Row[]): void {
  const fmt = (n: number | undefined, digits = 0) =>
    n === undefined || Number.isNaN(n)
      ? ''
      : n.toLocaleString('en-US', { maximumFractionDigits: digits });
  const table = rows.map((r) => ({
    scenario: r.scenario,
    'req/s': fmt(r.rps),
    'samples/s': fmt(r.samplesPerSec),
    'p50 ms': fmt(r.p50, 1),
    'p99 ms': fmt(r.p99, 1),
    'RSS MB': fmt(r.rssMb),
    'vs baseline': r.vs ?? '',
    note: r.note ?? '',
  }));
  const cols = Object.keys(table[0] ?? {}) as (keyof (typeof table)[number])[];
  const width = cols.map((c) => Math.max(c.length, ...table.map((t) => t[c].length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => c.padEnd(width[i])).join(' | ') + ' |';
  process.stdout.write(
    [
      `\nBeacon bench — ${DURATION}s per run, ${CONNECTIONS} connections, node ${process.version}\n`,
      line(cols),
      line(width.map((w) => '-'.repeat(w))),
      ...table.map((t) => line(cols.map((c) => t[c]))),
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
