/**
 * HTTP_ADAPTER=fastify against express, in alternating rounds, with the server pinned to
 * core 1 and the load generators (wrk, and this process's autocannon) to core 0, the
 * server's CPU read from /proc: single-sample POST at a fixed 2,000/s and saturated,
 * POST /messages saturated, GET /metrics/{id} of 10,000 samples saturated. Then
 * STATE_BACKEND=redis WORKERS=2 on fastify against one express instance, unpinned.
 * The Go seed's figure for the same single-sample POST, measured the same way on this
 * machine (issue 24): 19–25 µs of CPU a request.
 */
import { execFileSync } from 'node:child_process';
import { postJson } from '../lib/http';
import {
  LoadResult,
  USE_WRK,
  cpuPerRequest,
  randomBatchBody,
  randomLatencyBody,
  wrkLoad,
} from '../lib/load';
import { cpuSeconds, treeCpuSeconds } from '../lib/proc';
import { redisEnv, withPrefix } from '../lib/redis';
import { BenchContext, Row, Scenario, figure, loadRow } from '../lib/scenario';
import type { Server } from '../lib/server';
import { median } from '../lib/stats';

const SERVER_CPU = '1';
const LOAD_CPU = '0';
const FIXED_RATE = 2000;

/** One measured run: its load result and the server's CPU µs per answered request. */
interface Measured {
  run: LoadResult;
  usPerRequest: number;
}

const SINGLE_BODY = `'{"latency_ns": ' .. math.random(1, 1000000000) .. '}'`;

/** Fresh in-order rocket messages over 1,000 rockets (every POST a real `applied`). */
const messagesPrelude = (prefix: string) => `
counter = 0
message = function()
  counter = counter + 1
  local r = (counter - 1) % 1000
  local n = math.floor((counter - 1) / 1000) + 1
  local t = os.date("!%Y-%m-%dT%H:%M:%SZ")
  if n == 1 then
    return '{"metadata":{"channel":"${prefix}-' .. r .. '","messageNumber":1,"messageTime":"' .. t .. '","messageType":"RocketLaunched"},"message":{"type":"Falcon-9","launchSpeed":500,"mission":"ARTEMIS"}}'
  end
  return '{"metadata":{"channel":"${prefix}-' .. r .. '","messageNumber":' .. n .. ',"messageTime":"' .. t .. '","messageType":"RocketSpeedIncreased"},"message":{"by":1}}'
end`;

/** A saturated wrk run on core 0, and the server's CPU per request over it. */
async function saturated(
  ctx: BenchContext,
  server: Server,
  req: { path: string; method?: string; body?: string; prelude?: string },
  cpu: (pid: number) => number = cpuSeconds,
): Promise<Measured> {
  const before = cpu(server.child.pid!);
  const run = await wrkLoad({
    url: server.url + req.path,
    method: req.method,
    body: req.body,
    prelude: req.prelude,
    connections: ctx.connections,
    threads: 1,
    duration: ctx.duration,
    cpus: LOAD_CPU,
  });
  const used = cpu(server.child.pid!) - before;
  return { run, usPerRequest: (used * 1e6) / run.total };
}

async function fixedRateSingle(ctx: BenchContext, server: Server): Promise<Measured> {
  const { result, usPerRequest } = await cpuPerRequest(server, FIXED_RATE, ctx.duration, {
    url: `${server.url}/metrics/adapters/latency`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: randomLatencyBody() }) }],
  });
  return { run: result, usPerRequest };
}

/** Pins this process (autocannon runs in it) and all its threads to `cpus`. */
function pinSelf(cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
}

export const adapters: Scenario = {
  name: 'adapters',
  run: async (ctx) => {
    if (!USE_WRK) return [figure({ scenario: 'adapters: needs wrk (apt-get install wrk)' })];
    const sides = ['express', 'fastify'] as const;
    const servers: Server[] = [];
    for (const adapter of sides) {
      servers.push(await ctx.startBeacon({ HTTP_ADAPTER: adapter }, { cpus: SERVER_CPU }));
    }
    const cases: {
      name: string;
      measure: (s: Server, round: number, side: number) => Promise<Measured>;
    }[] = [
      {
        name: `POST /metrics/{id}/latency, 1 sample, fixed ${FIXED_RATE}/s`,
        measure: (s) => fixedRateSingle(ctx, s),
      },
      {
        name: 'POST /metrics/{id}/latency, 1 sample, saturated',
        measure: (s) =>
          saturated(ctx, s, {
            path: '/metrics/adapters/latency',
            method: 'POST',
            body: SINGLE_BODY,
          }),
      },
      {
        name: 'POST /messages, saturated',
        measure: (s, round, side) =>
          saturated(ctx, s, {
            path: '/messages',
            method: 'POST',
            prelude: messagesPrelude(`r${round}s${side}`),
            body: 'message()',
          }),
      },
      {
        name: 'GET /metrics/{id}, 10,000 samples, saturated',
        measure: async (s) => {
          // Refilled every round: samples leave the 60 s window.
          await postJson(`${s.url}/metrics/adapters-read/latencies`, randomBatchBody(10_000));
          return saturated(ctx, s, { path: '/metrics/adapters-read' });
        },
      },
    ];
    pinSelf(LOAD_CPU);
    const results = cases.map(() => sides.map(() => [] as Measured[]));
    try {
      for (let round = 0; round < ctx.rounds; round++) {
        for (let c = 0; c < cases.length; c++) {
          for (let k = 0; k < sides.length; k++) {
            results[c][k].push(await cases[c].measure(servers[k], round, k));
          }
        }
      }
    } finally {
      pinSelf('0,1');
    }
    const rows: Row[] = [];
    for (let c = 0; c < cases.length; c++) {
      rows.push(...comparedSides(cases[c].name, ctx.rounds, results[c], servers));
    }
    await Promise.all(servers.map((s) => s.stop()));
    rows.push(...(await redisCluster(ctx)));
    return rows;
  },
};

/** express's row, then fastify's as ratios of it: CPU per request and req/s. */
function comparedSides(name: string, rounds: number, runs: Measured[][], servers: Server[]): Row[] {
  const cpu = runs.map((r) => median(r.map((m) => m.usPerRequest)));
  const rps = runs.map((r) => median(r.map((m) => m.run.rps)));
  const mid = runs.map((r) => r.slice().sort((a, b) => a.run.rps - b.run.rps)[r.length >> 1].run);
  const each = (r: Measured[]) =>
    r.map((m) => `${Math.round(m.run.rps)} req/s ${m.usPerRequest.toFixed(0)} µs`).join('; ');
  return ['express', 'fastify'].map((adapter, k) =>
    loadRow(`${adapter}: ${name}`, mid[k], servers[k].rssMb(), {
      vs:
        k === 0
          ? `${cpu[0].toFixed(1)} µs CPU/request`
          : `CPU/request ${(cpu[1] / cpu[0]).toFixed(2)}× express (${cpu[1].toFixed(1)} µs; Go seed 19–25 µs: ${(cpu[1] / 22).toFixed(1)}×); req/s ${(rps[1] / rps[0]).toFixed(2)}×`,
      note: `medians of ${rounds}: ${each(runs[k])}`,
    }),
  );
}

/** STATE_BACKEND=redis: fastify with WORKERS=2 against one express instance, unpinned. */
async function redisCluster(ctx: BenchContext): Promise<Row[]> {
  return withPrefix('adapters', async (prefix) => {
    const express = await ctx.startBeacon({ ...redisEnv(`${prefix}-e`), HTTP_ADAPTER: 'express' });
    const fastify = await ctx.startBeacon({
      ...redisEnv(`${prefix}-f`),
      HTTP_ADAPTER: 'fastify',
      WORKERS: '2',
    });
    const sides = [express, fastify];
    const runs = sides.map(() => [] as Measured[]);
    for (let round = 0; round < ctx.rounds; round++) {
      for (let k = 0; k < sides.length; k++) {
        runs[k].push(
          await saturated(
            ctx,
            sides[k],
            { path: '/metrics/adapters/latency', method: 'POST', body: SINGLE_BODY },
            treeCpuSeconds,
          ),
        );
      }
    }
    const rps = runs.map((r) => median(r.map((m) => m.run.rps)));
    const cpu = runs.map((r) => median(r.map((m) => m.usPerRequest)));
    const mid = runs.map((r) => r.slice().sort((a, b) => a.run.rps - b.run.rps)[r.length >> 1].run);
    const each = (r: Measured[]) => r.map((m) => Math.round(m.run.rps)).join(', ');
    const rows = [
      loadRow('redis mode, express, 1 instance: POST 1 sample, saturated', mid[0], NaN, {
        vs: `${cpu[0].toFixed(1)} µs CPU/request`,
        note: `median of ${ctx.rounds}: ${each(runs[0])}`,
      }),
      loadRow('redis mode, fastify, WORKERS=2: POST 1 sample, saturated', mid[1], NaN, {
        vs: `req/s ${(rps[1] / rps[0]).toFixed(2)}× one express instance; CPU/request ${(cpu[1] / cpu[0]).toFixed(2)}× (${cpu[1].toFixed(1)} µs, all processes)`,
        note: `median of ${ctx.rounds}: ${each(runs[1])}`,
      }),
    ];
    await Promise.all(sides.map((s) => s.stop()));
    return rows;
  });
}
