/**
 * What issue 16's checks cost the hot path: all off, helmet's headers alone, the Host and
 * API-key checks alone (a key sent and checked), and all three, in alternating rounds.
 * Every side gets the same request, Authorization included. Saturated req/s, and the
 * server's own CPU per request at a fixed 2,000/s (saturated throughput includes the load
 * generator parsing the extra headers on the same two cores).
 */
import { JSON_HEADERS } from '../lib/http';
import { LoadResult, cpuPerRequest, postSingle, randomLatencyBody } from '../lib/load';
import { Scenario, comparedRows, roundedList } from '../lib/scenario';
import type { Server } from '../lib/server';
import { median } from '../lib/stats';

export const hardening: Scenario = {
  name: 'hardening',
  run: async (ctx) => {
    const key = 'bench-key-0123456789abcdef';
    const keyed = { ...JSON_HEADERS, authorization: `Bearer ${key}` };
    const sides: { name: string; env: Record<string, string> }[] = [
      {
        name: 'no helmet, any Host, no keys',
        env: { SECURITY_HEADERS: 'false', ALLOWED_HOSTS: '*' },
      },
      { name: "helmet's headers only", env: { ALLOWED_HOSTS: '*' } },
      { name: 'Host check + API key only', env: { SECURITY_HEADERS: 'false', API_KEYS: key } },
      { name: 'helmet + Host check + API key', env: { API_KEYS: key } },
    ];
    const servers = await Promise.all(sides.map((x) => ctx.startBeacon(x.env)));
    const post = (server: Server) => postSingle(ctx, server, '/metrics/bench/latency', keyed);
    const cpu = async (server: Server) =>
      (
        await cpuPerRequest(server, 2000, ctx.duration, {
          url: `${server.url}/metrics/bench/latency`,
          method: 'POST',
          headers: keyed,
          requests: [{ setupRequest: (req) => ({ ...req, body: randomLatencyBody() }) }],
        })
      ).usPerRequest;
    // Per round: every side's throughput, then every side's CPU.
    const runs = sides.map(() => [] as LoadResult[]);
    const cpus = sides.map(() => [] as number[]);
    for (let round = 0; round < ctx.rounds; round++) {
      for (let k = 0; k < servers.length; k++) runs[k].push(await post(servers[k]));
      for (let k = 0; k < servers.length; k++) cpus[k].push(await cpu(servers[k]));
    }
    const rows = comparedRows(
      ctx.rounds,
      'all off',
      sides.map((side, k) => ({
        scenario: `POST /metrics/{id}/latency, ${side.name}`,
        runs: runs[k],
        rssMb: servers[k].rssMb(),
        vs: `; CPU ${((100 * median(cpus[k])) / median(cpus[0])).toFixed(1)}%`,
        note: `; server CPU ${median(cpus[k]).toFixed(1)} µs/request at 2,000/s (${roundedList(cpus[k])})`,
      })),
    );
    await Promise.all(servers.map((x) => x.stop()));
    return rows;
  },
};
