/**
 * Issue 16's "one client alternating POST and GET /rockets": 90,000 rockets (below
 * ROCKETS_MAX_CHANNELS, 100,000, so every churner POST is a new rocket), then other clients
 * reading one rocket each (10 connections), first alone, then while one client posts a new
 * rocket and lists them all, over and over (each list follows a change, so it is built
 * anew). Compares the others' latency in the two phases.
 */
import { performance } from 'node:perf_hooks';
import { postJson } from '../lib/http';
import { LoadResult, load } from '../lib/load';
import { launchMessage } from '../lib/rocket-messages';
import { Scenario, loadRow, withBeacon } from '../lib/scenario';
import type { Server } from '../lib/server';
import { median } from '../lib/stats';

export const rocketsChurn: Scenario = {
  name: 'rockets-churn',
  run: (ctx) =>
    withBeacon(ctx, async (beacon) => {
      const c = await listChurn(beacon, 90_000, ctx.duration);
      return [
        loadRow(
          'GET /rockets/{id} (10 conns), 90,000 rockets, nothing else',
          c.alone,
          beacon.rssMb(),
        ),
        loadRow(
          'the same, while one client POSTs a rocket and lists them all, again and again',
          c.churned,
          beacon.rssMb(),
          {
            vs: `p50 ${(c.churned.p50 / Math.max(c.alone.p50, 0.5)).toFixed(1)}×, p99 ${(c.churned.p99 / Math.max(c.alone.p99, 0.5)).toFixed(1)}× of alone`,
            note: `${c.lists} full lists, each ${median(c.listMs)?.toFixed(0)} ms (median) for the lister`,
          },
        ),
      ];
    }),
};

async function listChurn(
  server: Server,
  rockets: number,
  duration: number,
): Promise<{ alone: LoadResult; churned: LoadResult; lists: number; listMs: number[] }> {
  const post = (channel: string, speed: number) =>
    postJson(`${server.url}/messages`, JSON.stringify(launchMessage(channel, speed)));
  for (let i = 0; i < rockets; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, rockets - i) }, (_, k) => post(`churn-${i + k}`, i + k)),
    );
  }
  const others = () =>
    load({ url: `${server.url}/rockets/churn-7`, connections: 10, duration, warmup: 1 });
  const alone = await others();
  let stop = false;
  const listMs: number[] = [];
  const churner = (async () => {
    for (let n = 0; !stop && n < 100_000; n++) {
      const res = await post(`churn-new-${n}`, n);
      if (res.status !== 202) throw new Error(`churner POST answered ${res.status}`);
      const started = performance.now();
      await (await fetch(`${server.url}/rockets?sort=speed&order=desc`)).arrayBuffer();
      listMs.push(performance.now() - started);
    }
  })();
  const churned = await others();
  stop = true;
  await churner;
  return { alone, churned, lists: listMs.length, listMs };
}
