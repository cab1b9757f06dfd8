/**
 * GET of a metric holding 10,000 samples while a writer keeps adding ~1,000 samples/s to
 * it, against the seed's copy-filter-sort on every read (bench/baseline-app.ts), in
 * alternating rounds.
 */
import { getJson, postJson } from '../lib/http';
import { alternatingRounds, load, medianRun, postEach, randomLatencyBody } from '../lib/load';
import { Scenario, loadRow } from '../lib/scenario';
import type { Server } from '../lib/server';

export const read: Scenario = {
  name: 'read',
  run: async (ctx) => {
    const base = await ctx.startBaseline();
    const beacon = await ctx.startBeacon();
    // Refilled every round: the writer cannot keep up against slow reads, so without
    // this the window would thin out as rounds pass and rounds would not compare.
    const [refRuns, ourRuns] = await alternatingRounds(ctx.rounds, [
      async () => readUnderWrites(ctx, base, await fillForRead(base, '/seed/metrics')),
      async () => readUnderWrites(ctx, beacon, await fillForRead(beacon, '/metrics')),
    ]);
    const ref = medianRun(refRuns.map((x) => x.reads));
    const ours = medianRun(ourRuns.map((x) => x.reads));
    const held = (runs: { count: number }[]) => runs.map((x) => x.count).join(', ');
    const rows = [
      loadRow('reference: seed copy-filter-sort GET, 10k samples', ref, base.rssMb(), {
        note: `median of ${ctx.rounds}; window held ${held(refRuns)}`,
      }),
      loadRow('GET /metrics/{id}, 10k samples, writes ongoing', ours, beacon.rssMb(), {
        vs: `${(ours.rps / ref.rps).toFixed(1)}× the seed's algorithm`,
        note: `median of ${ctx.rounds}; window held ${held(ourRuns)}`,
      }),
    ];
    await Promise.all([base.stop(), beacon.stop()]);
    return rows;
  },
};

/** Puts 10,000 samples into one metric, 500 requests at a time. */
async function fillForRead(server: Server, prefix: string): Promise<string> {
  const path = `${prefix}/read-bench`;
  const fill = Array.from({ length: 10_000 }, () => randomLatencyBody());
  for (let i = 0; i < fill.length; i += 500) {
    await Promise.all(
      fill.slice(i, i + 500).map((body) => postJson(`${server.url}${path}/latency`, body)),
    );
  }
  return path;
}

/** GETs the filled metric while a writer keeps adding ~1,000 samples/s to it. */
async function readUnderWrites(
  run: { connections: number; duration: number },
  server: Server,
  path: string,
) {
  const writer = postEach(`${server.url}${path}/latency`, randomLatencyBody, {
    connections: 2,
    overallRate: 1000,
    duration: run.duration + 2,
    warmup: 0,
  });
  const reads = await load({
    url: server.url + path,
    connections: run.connections,
    duration: run.duration,
  });
  await writer;
  const check = await getJson<{ Count: number }>(server.url + path);
  return { reads, count: check.Count };
}
