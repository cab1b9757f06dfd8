/** Memory per stored sample: RSS growth over 500 metrics × 10,000 samples, and the store's own count. */
import { setTimeout as sleep } from 'node:timers/promises';
import { getJson, postJson } from '../lib/http';
import { randomBatchBody } from '../lib/load';
import { Scenario, figure, withBeacon } from '../lib/scenario';

export const memory: Scenario = {
  name: 'memory',
  run: (ctx) =>
    withBeacon(ctx, async (beacon) => {
      const metrics = 500;
      const before = beacon.rssMb();
      for (let i = 0; i < metrics; i++) {
        await postJson(`${beacon.url}/metrics/mem-${i}/latencies`, randomBatchBody(10_000));
      }
      await sleep(2000);
      const after = beacon.rssMb();
      const health = await getJson<{ details: { latency: { samples: number; bytes: number } } }>(
        `${beacon.url}/health`,
      );
      const { samples, bytes } = health.details.latency;
      const perSample = ((after - before) * 1024 * 1024) / samples;
      return [
        figure({
          scenario: `memory: ${metrics} metrics × 10,000 samples`,
          rssMb: after,
          vs: `${perSample.toFixed(1)} B/sample by RSS growth`,
          note: `store's own count: ${(bytes / samples).toFixed(1)} B/sample`,
        }),
      ];
    }),
};
