/** Single-sample POST throughput against the bare-Nest baseline's trivial handler. */
import { postSingle } from '../lib/load';
import { Scenario, compareInRounds } from '../lib/scenario';

export const post: Scenario = {
  name: 'post',
  run: (ctx) =>
    compareInRounds(ctx, 'baseline', [
      {
        scenario: 'baseline: bare Nest POST (trivial handler)',
        start: ctx.startBaseline,
        measure: (base) => postSingle(ctx, base, '/trivial/metrics/x/latency'),
      },
      {
        scenario: 'POST /metrics/{id}/latency (1 sample)',
        start: () => ctx.startBeacon(),
        measure: (beacon) => postSingle(ctx, beacon, '/metrics/bench/latency'),
        samplesPerSec: true,
      },
    ]),
};
