/**
 * POST /messages over keep-alive connections, every message a fresh in-order one that is
 * applied, against the bare-Nest baseline.
 */
import { keepAliveMessages } from '../lib/rocket-messages';
import { Scenario, compareInRounds } from '../lib/scenario';

export const rocketsKeepalive: Scenario = {
  name: 'rockets-keepalive',
  run: (ctx) =>
    compareInRounds(ctx, 'baseline', [
      {
        scenario: 'baseline: bare Nest POST /messages, parse + same 202 JSON',
        start: ctx.startBaseline,
        // The do-nothing latency handler, not /trivial/messages as the row says (and as
        // 3734673 meant): every published keep-alive ratio was measured against it.
        measure: (base, round) =>
          keepAliveMessages(
            base,
            '/trivial/metrics/x/latency',
            ctx.duration,
            ctx.connections,
            `b${round}`,
          ),
      },
      {
        scenario: 'POST /messages, keep-alive, every message applied',
        start: () => ctx.startBeacon(),
        measure: (beacon, round) =>
          keepAliveMessages(beacon, '/messages', ctx.duration, ctx.connections, `r${round}`),
      },
    ]),
};
