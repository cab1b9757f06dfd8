/**
 * Tracing's cost on the hot path: the same single-sample POST on a Beacon without
 * OTEL_EXPORTER_OTLP_ENDPOINT (no SDK loaded), on one exporting every request's span over
 * OTLP (the SDK's defaults: http/protobuf, a batch every 5 s or 512 spans) and on one
 * sampling a tenth of the requests (OTEL_TRACES_SAMPLER), in alternating rounds. Each traced
 * Beacon exports to a receiver of its own in this process, which counts and discards.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postSingle } from '../lib/load';
import { Scenario, compareInRounds } from '../lib/scenario';

async function startReceiver() {
  const seen = { exports: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (seen.bytes += chunk.length));
    req.on('end', () => {
      seen.exports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    note: () => `; ${seen.exports} exports, ${(seen.bytes / 1e6).toFixed(1)} MB`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

export const tracing: Scenario = {
  name: 'tracing',
  run: async (ctx) => {
    const all = await startReceiver();
    const sampled = await startReceiver();
    try {
      return await compareInRounds(ctx, 'tracing off', [
        {
          scenario: 'POST /metrics/{id}/latency, OTEL_EXPORTER_OTLP_ENDPOINT unset',
          start: () => ctx.startBeacon(),
          measure: (off) => postSingle(ctx, off, '/metrics/bench/latency'),
        },
        {
          scenario: 'the same, every request traced and exported over OTLP',
          start: () => ctx.startBeacon({ OTEL_EXPORTER_OTLP_ENDPOINT: all.endpoint }),
          measure: (on) => postSingle(ctx, on, '/metrics/bench/latency'),
          note: all.note,
        },
        {
          scenario: 'the same, OTEL_TRACES_SAMPLER=parentbased_traceidratio, ARG 0.1',
          start: () =>
            ctx.startBeacon({
              OTEL_EXPORTER_OTLP_ENDPOINT: sampled.endpoint,
              OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
              OTEL_TRACES_SAMPLER_ARG: '0.1',
            }),
          measure: (on) => postSingle(ctx, on, '/metrics/bench/latency'),
          note: sampled.note,
        },
      ]);
    } finally {
      all.close();
      sampled.close();
    }
  },
};
