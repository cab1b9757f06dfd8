/** 10,000 launched rockets with random speeds, then GET /rockets?sort=speed under load. */
import { LoadResult, load } from '../lib/load';
import { launchRockets } from '../lib/rocket-messages';
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
  await launchRockets(server, 10_000, 'list', 10);
  return load({ url: `${server.url}/rockets?sort=speed&order=desc`, connections, duration });
}
