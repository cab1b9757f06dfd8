/**
 * What counting requests costs: the same build with the request counter on and off, both
 * up, in alternating rounds: throughput of a cheap GET at saturation, then server CPU per
 * request at a fixed 2,000 req/s; and counting one request in-process.
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { MonotonicClock } from '../../src/common/clock';
import { MillisecondWindow } from '../../src/request-counter/ms-window';
import { tempDir } from '../../test/helpers/temp-dir';
import { LoadResult, cpuPerRequest, load } from '../lib/load';
import { Scenario, comparedRows, figure, roundedList } from '../lib/scenario';
import type { Server } from '../lib/server';
import { median } from '../lib/stats';

export const counter: Scenario = {
  name: 'counter',
  run: async (ctx) => {
    const offDir = tempDir('beacon-bench-off-');
    const off = await ctx.startBeacon({ COUNTER_ENABLED: 'false', DATA_DIR: offDir });
    const on = await ctx.startBeacon();
    const offRuns: LoadResult[] = [];
    const onRuns: LoadResult[] = [];
    const offCpu: number[] = [];
    const onCpu: number[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      offRuns.push(await cheapGets(off, ctx.duration, ctx.connections));
      onRuns.push(await cheapGets(on, ctx.duration, ctx.connections));
      offCpu.push((await cpuPerRequest(off, 2000, ctx.duration)).usPerRequest);
      onCpu.push((await cpuPerRequest(on, 2000, ctx.duration)).usPerRequest);
    }
    const cpuNote = (us: number[]) =>
      `; CPU at 2,000 req/s: ${median(us).toFixed(1)} µs/req (${roundedList(us)})`;
    const rows = comparedRows(ctx.rounds, 'off', [
      {
        scenario: 'GET /metrics, request counter off',
        runs: offRuns,
        rssMb: off.rssMb(),
        note: cpuNote(offCpu),
      },
      {
        scenario: 'GET /metrics, request counter on',
        runs: onRuns,
        rssMb: on.rssMb(),
        vs: `; CPU ${((100 * median(onCpu)) / median(offCpu)).toFixed(1)}% of off`,
        note: cpuNote(onCpu),
      },
    ]);
    await Promise.all([off.stop(), on.stop()]);
    rmSync(offDir, { recursive: true, force: true });
    const ns = recordCostNs();
    return [
      ...rows,
      figure({
        scenario: 'counting one request in-process (clock read + ring)',
        vs: `${ns.toFixed(0)} ns`,
        note: `${((100 * ns) / (median(offCpu) * 1000)).toFixed(3)}% of the CPU a cheap request costs`,
      }),
    ];
  },
};

/** A cheap route, so that what counting costs is not hidden behind the handler's work. */
function cheapGets(server: Server, duration: number, connections: number) {
  return load({ url: `${server.url}/metrics`, connections, duration });
}

/** In-process cost of counting one request (clock read + ring update), in ns: the median of 3. */
function recordCostNs(): number {
  const clock = new MonotonicClock();
  const window = new MillisecondWindow(60_000, clock.now());
  const n = 5_000_000;
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) window.record(clock.now());
    runs.push(((performance.now() - t) * 1e6) / n);
  }
  return median(runs);
}
