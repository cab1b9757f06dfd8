/** 10,000 launched rockets with random speeds, then GET /rockets?sort=speed under load. */
import { rng } from '../../test/helpers/random';
import { postJson } from '../lib/http';
import { LoadResult, load } from '../lib/load';
import { launchMessage } from '../lib/rocket-messages';
import { Scenario, loadRow, withBeacon } from '../lib/scenario';
import type { Server } from '../lib/server';

export const rocketsList: Scenario = {
  name: 'rockets-list',
  run: (ctx) =>
    withBeacon(ctx, async (beacon) => {
      const r = await listTenThousand(beacon, ctx.duration, 10);
      return [
        loadRow('GET /rockets?sort=speed&order=desc, 10,000 rockets, 10 conns', r, beacon.rssMb()),
      ];
    }),
};

async function listTenThousand(
  server: Server,
  duration: number,
  connections: number,
): Promise<LoadResult> {
  const random = rng(10);
  for (let i = 0; i < 10_000; i += 200) {
    await Promise.all(
      Array.from({ length: 200 }, (_, k) =>
        postJson(
          `${server.url}/messages`,
          JSON.stringify(launchMessage(`list-${i + k}`, Math.floor(random() * 1e6))),
        ),
      ),
    );
  }
  return load({ url: `${server.url}/rockets?sort=speed&order=desc`, connections, duration });
}
