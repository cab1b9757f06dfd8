/**
 * api-metrics' UDP listener at 25,000, 50,000 and 100,000 datagrams/s for 5 s (writing to
 * PostgreSQL): datagrams received of those sent, by Beacon and by a bare receiver.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeMetricsData } from '../../src/api-metrics/metrics-datagram';
import { freshSchema } from '../../test/helpers/postgres';
import { Scenario, figure } from '../lib/scenario';
import { StartBeacon, startSeedBaseline } from '../lib/server';
import { blast, udpHealth } from '../lib/udp';

export const udp: Scenario = {
  name: 'udp',
  run: async (ctx) => {
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    return (await udpIngest(ctx.startBeacon, [25_000, 50_000, 100_000], 5)).map((r) =>
      figure({
        scenario: `api-metrics: UDP datagrams at ${fmt(r.rate)}/s for 5 s (PostgreSQL)`,
        rps: r.rate,
        vs: `received ${((100 * r.beacon) / r.sent).toFixed(2)}% vs bare receiver ${((100 * r.baseline) / r.sent).toFixed(2)}%`,
        note: `sent ${fmt(r.sent)}; Beacon got ${fmt(r.beacon)}, baseline ${fmt(r.baseline)}`,
      }),
    );
  },
};

interface UdpRateResult {
  rate: number;
  sent: number;
  beacon: number;
  baseline: number;
}

async function udpIngest(
  startBeacon: StartBeacon,
  rates: number[],
  seconds: number,
): Promise<UdpRateResult[]> {
  const schema = await freshSchema('beacon_bench');
  const beacon = await startBeacon({ API_METRICS_ENABLED: 'true', DATABASE_URL: schema.url });
  const base = await startSeedBaseline();
  const out: UdpRateResult[] = [];
  try {
    const now = Math.floor(Date.now() / 1000);
    const packets = Array.from({ length: 64 }, (_, k) =>
      encodeMetricsData(
        { sequence: 0, timestamp: now },
        {
          route: `/api/route-${k % 16}`,
          methodByte: 1 + (k % 3),
          statusCode: 200,
          responseTimeMs: k + 0.5,
        },
      ),
    );
    const make = (i: number) => {
      const b = Buffer.from(packets[i % 64]);
      b.writeUInt32BE((i + 1) >>> 0, 2);
      return b;
    };
    for (const rate of rates) {
      const h0 = (await udpHealth(beacon)).apiMetrics.udp;
      const sent = await blast(h0.port, rate, seconds, make);
      await sleep(1000);
      const beaconGot = (await udpHealth(beacon)).apiMetrics.udp.datagrams - h0.datagrams;
      const b0 = await base.received();
      await blast(base.udpPort, rate, seconds, make);
      await sleep(1000);
      const baseGot = (await base.received()) - b0;
      out.push({ rate, sent, beacon: beaconGot, baseline: baseGot });
      // Let the writer drain before the next rate.
      for (let i = 0; i < 100 && (await udpHealth(beacon)).apiMetrics.queued > 0; i++)
        await sleep(100);
    }
  } finally {
    base.stop();
    await beacon.stop();
    await schema.drop();
  }
  return out;
}
