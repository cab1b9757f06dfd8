/**
 * Compression's cost and gain: server CPU per request (at a fixed rate, from /proc) and
 * bytes on the wire for GET /rockets with 10,000 rockets and for /swagger-json, asked
 * with no Accept-Encoding, with gzip and with br, in alternating rounds on one Beacon.
 */
import { request } from 'node:http';
import { alternatingRounds, cpuPerRequest } from '../lib/load';
import { launchRockets } from '../lib/rocket-messages';
import { Row, Scenario, figure, roundedList, withBeacon } from '../lib/scenario';
import type { Server } from '../lib/server';
import { medianBy } from '../lib/stats';

const ENCODINGS = ['identity', 'gzip', 'br'] as const;

export const compression: Scenario = {
  name: 'compression',
  run: (ctx) =>
    withBeacon(ctx, async (beacon) => {
      await launchRockets(beacon, 10_000, 'zip', 11);
      const rows: Row[] = [];
      for (const [path, rate] of [
        ['/rockets', 50],
        ['/swagger-json', 200],
      ] as const) {
        const bytes = await Promise.all(ENCODINGS.map((e) => bytesOf(beacon, path, e)));
        const runs = await alternatingRounds(
          ctx.rounds,
          ENCODINGS.map(
            (e) => () =>
              cpuPerRequest(beacon, rate, ctx.duration, {
                url: beacon.url + path,
                headers: e === 'identity' ? {} : { 'accept-encoding': e },
              }).then((r) => r.usPerRequest),
          ),
        );
        const us = runs.map((r) => medianBy(r, (x) => x));
        ENCODINGS.forEach((e, k) =>
          rows.push(
            figure({
              scenario: `GET ${path}${path === '/rockets' ? ' (10,000 rockets)' : ''}, Accept-Encoding: ${e}, ${rate}/s`,
              rps: rate,
              vs:
                `${us[k].toFixed(0)} µs CPU/request (${(us[k] / us[0]).toFixed(2)}× identity), ` +
                `${bytes[k].toLocaleString('en-US')} B (${((100 * bytes[k]) / bytes[0]).toFixed(1)}%)`,
              note: `µs per round: ${roundedList(runs[k])}`,
            }),
          ),
        );
      }
      return rows;
    }),
};

/** Bytes of one answer as sent (not decoded). */
function bytesOf(server: Server, path: string, encoding: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      server.url + path,
      { headers: encoding === 'identity' ? {} : { 'accept-encoding': encoding } },
      (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
