/** StatsD datagrams of 50 timer lines at 1,000, 2,000 and 4,000/s for 5 s: samples recorded vs sent. */
import { setTimeout as sleep } from 'node:timers/promises';
import { Scenario, figure } from '../lib/scenario';
import type { StartBeacon } from '../lib/server';
import { blast, udpHealth } from '../lib/udp';

export const statsd: Scenario = {
  name: 'statsd',
  run: async (ctx) =>
    (await statsdIngest(ctx.startBeacon, [1000, 2000, 4000], 5)).map((r) =>
      figure({
        scenario: `StatsD: ${r.rate.toLocaleString('en-US')} datagrams/s × 50 timer lines`,
        rps: r.rate,
        samplesPerSec: r.recorded / 5,
        vs: `${((100 * r.recorded) / r.sentSamples).toFixed(2)}% of ${r.sentSamples.toLocaleString('en-US')} samples recorded`,
      }),
    ),
};

async function statsdIngest(
  startBeacon: StartBeacon,
  datagramRates: number[],
  seconds: number,
): Promise<{ rate: number; sentSamples: number; recorded: number }[]> {
  const beacon = await startBeacon({ STATSD_ENABLED: 'true' });
  const out: { rate: number; sentSamples: number; recorded: number }[] = [];
  try {
    const bodies = Array.from({ length: 16 }, (_, k) =>
      Buffer.from(
        Array.from(
          { length: 50 },
          (_, i) => `svc.timer${(k + i) % 10}:${((i * 37 + k) % 500) / 10}|ms|#env:bench`,
        ).join('\n'),
      ),
    );
    for (const rate of datagramRates) {
      const s0 = (await udpHealth(beacon)).latency.statsd;
      const sent = await blast(s0.port, rate, seconds, (i) => bodies[i % 16]);
      await sleep(1000);
      const s1 = (await udpHealth(beacon)).latency.statsd;
      out.push({ rate, sentSamples: sent * 50, recorded: s1.samples - s0.samples });
    }
  } finally {
    await beacon.stop();
  }
  return out;
}
