/** The scenario contract, and the rows of the one table scenarios produce. */
import { LoadResult, alternatingRounds, medianRun } from './load';
import type { Server, StartBeacon } from './server';

export interface Row {
  scenario: string;
  rps: number;
  samplesPerSec?: number;
  p50: number;
  p99: number;
  rssMb: number;
  vs?: string;
  note?: string;
}

/** What bench/run.ts hands every scenario: the run's settings and how to start servers. */
export interface BenchContext {
  /** BENCH_DURATION: seconds per load run. */
  duration: number;
  /** BENCH_CONNECTIONS: connections per load run. */
  connections: number;
  /** BENCH_ROUNDS: alternating rounds for comparisons. */
  rounds: number;
  startBeacon: StartBeacon;
  /** The bare-Nest baseline (bench/baseline-app.ts). */
  startBaseline: () => Promise<Server>;
  /** A new, empty directory `<name>-<n>` under the run's DATA_DIR, removed after the run. */
  freshDir: (name: string) => string;
}

/** One BENCH_ONLY name: what it measures, as rows of the table, in the order printed. */
export interface Scenario {
  name: string;
  run: (ctx: BenchContext) => Promise<Row[]>;
}

/** A row for a load run; errors or non-2xx answers replace the note. */
export function loadRow(
  scenario: string,
  r: LoadResult,
  rss: number,
  extra: Partial<Row> = {},
): Row {
  if (r.errors > 0 || r.non2xx > 0) {
    extra.note = `${r.errors} errors, ${r.non2xx} non-2xx of ${r.total}`;
  }
  return { scenario, rps: r.rps, p50: r.p50, p99: r.p99, rssMb: rss, ...extra };
}

/** A row that is a measured figure rather than a load run: unset columns stay blank. */
export function figure(r: Partial<Row> & { scenario: string }): Row {
  return { rps: NaN, p50: NaN, p99: NaN, rssMb: NaN, ...r };
}

/** Each run's requests/s, rounded: "1957, 1827, 1202". */
export function rpsList(runs: LoadResult[]): string {
  return runs.map((x) => Math.round(x.rps)).join(', ');
}

/** Each value rounded: "254, 301, 265" (µs of CPU per request, say). */
export function roundedList(xs: number[]): string {
  return xs.map((x) => x.toFixed(0)).join(', ');
}

/** One side of a comparison measured in alternating rounds. */
export interface ComparedSide {
  scenario: string;
  runs: LoadResult[];
  rssMb: number;
  /** After "N% of <reference>" in the vs column (not on the reference's row). */
  vs?: string;
  /** After "median of <rounds>: <each run's req/s>" in the note. */
  note?: string;
  /** Its requests/s in the samples/s column too: one sample a request. */
  samplesPerSec?: boolean;
}

/**
 * A row per side with its median run: the first side is the reference, and every other
 * one is also given as a percentage of the reference's requests/s, "N% of `of`".
 */
export function comparedRows(rounds: number, of: string, sides: ComparedSide[]): Row[] {
  const base = medianRun(sides[0].runs);
  return sides.map((side, k) => {
    const r = medianRun(side.runs);
    return loadRow(side.scenario, r, side.rssMb, {
      samplesPerSec: side.samplesPerSec ? r.rps : undefined,
      vs:
        k === 0 ? undefined : `${((100 * r.rps) / base.rps).toFixed(1)}% of ${of}${side.vs ?? ''}`,
      note: `median of ${rounds}: ${rpsList(side.runs)}${side.note ?? ''}`,
    });
  });
}

/** Runs `measure` on a Beacon of its own, stopped once the rows (RSS included) are taken. */
export async function withBeacon(
  ctx: BenchContext,
  measure: (beacon: Server) => Promise<Row[]>,
  env?: Record<string, string>,
): Promise<Row[]> {
  const beacon = await ctx.startBeacon(env);
  const rows = await measure(beacon);
  await beacon.stop();
  return rows;
}

/** One side of `compareInRounds`: its server, and one load run on it. */
export interface Contender {
  scenario: string;
  start: () => Promise<Server>;
  measure: (server: Server, round: number) => Promise<LoadResult>;
  /** After the runs in the note, read once every round is done. */
  note?: () => string;
  samplesPerSec?: boolean;
}

/**
 * Starts every contender's server, one after another, measures them in alternating rounds
 * and gives `comparedRows` (the first contender the reference) before stopping them.
 */
export async function compareInRounds(
  ctx: BenchContext,
  of: string,
  contenders: Contender[],
): Promise<Row[]> {
  const servers: Server[] = [];
  for (const c of contenders) servers.push(await c.start());
  const runs = await alternatingRounds(
    ctx.rounds,
    contenders.map((c, k) => (round: number) => c.measure(servers[k], round)),
  );
  const rows = comparedRows(
    ctx.rounds,
    of,
    contenders.map((c, k) => ({
      scenario: c.scenario,
      runs: runs[k],
      rssMb: servers[k].rssMb(),
      note: c.note?.(),
      samplesPerSec: c.samplesPerSec,
    })),
  );
  await Promise.all(servers.map((s) => s.stop()));
  return rows;
}
