/** Batches of 10,000 samples over 8 connections, spread over 100 metrics. */
import { JSON_HEADERS } from '../lib/http';
import { load, randomBatchBody } from '../lib/load';
import { Scenario, loadRow, withBeacon } from '../lib/scenario';

export const batch: Scenario = {
  name: 'batch',
  run: (ctx) =>
    withBeacon(ctx, async (beacon) => {
      const bodies = Array.from({ length: 8 }, () => randomBatchBody(10_000));
      let n = 0;
      const r = await load({
        url: beacon.url,
        method: 'POST',
        headers: JSON_HEADERS,
        connections: 8,
        duration: ctx.duration,
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              path: `/metrics/batch-${n % 100}/latencies`,
              body: bodies[n++ % bodies.length],
            }),
          },
        ],
      });
      return [
        loadRow('POST /metrics/{id}/latencies (10,000 a batch)', r, beacon.rssMb(), {
          samplesPerSec: r.rps * 10_000,
        }),
      ];
    }),
};
