/**
 * Local state: 1,000,000 latency samples and 200,000 rocket messages written into a
 * DATA_DIR's logs through the stores themselves (the same entries HTTP writes make, 10 ops
 * to an entry, as concurrent requests batch them), left as kill -9 would (no snapshot);
 * then Beacon timed from spawn to serving on it, stopped gracefully, and timed again.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InMemoryLatencyStore } from '../../src/latency/in-memory-latency.store';
import { SharedLatencyStore } from '../../src/latency/shared-latency.store';
import { InMemoryRocketsStore } from '../../src/rockets/in-memory-rockets.store';
import { SharedRocketsStore } from '../../src/rockets/shared-rockets.store';
import { FakeClock } from '../../test/helpers/fake-clock';
import { localStateFor } from '../../test/helpers/local-state';
import { bytesUnder } from '../lib/disk';
import { Scenario, figure } from '../lib/scenario';
import { StartBeacon, timedStart } from '../lib/server';

export const durableRestart: Scenario = {
  name: 'durable-restart',
  run: async (ctx) => {
    const r = await restartFromLog(ctx.startBeacon, ctx.freshDir('restart'));
    return [
      figure({
        scenario: `local state: start after kill -9 on ${r.samples.toLocaleString('en-US')} samples + ${r.messages.toLocaleString('en-US')} rocket messages in the log (${r.entries.toLocaleString('en-US')} entries)`,
        p50: r.fromLogMs,
        rssMb: r.rssMb,
        vs: `${(r.fromLogMs / 1000).toFixed(2)} s spawn to serving (p50 column, ms); target ≤ 2 s; ${(r.emptyMs / 1000).toFixed(2)} s on an empty DATA_DIR`,
      }),
      figure({
        scenario: 'local state: start after a graceful stop on the same state (final snapshot)',
        p50: r.afterStopMs,
        vs: `${(r.afterStopMs / 1000).toFixed(2)} s spawn to serving; target ≤ 1 s`,
      }),
      figure({
        scenario:
          'local state: bytes on disk per latency sample / per rocket message (log, 10 ops an entry)',
        vs: `${r.bytesPerSample.toFixed(1)} B per sample, ${r.bytesPerMessage.toFixed(1)} B per message`,
      }),
    ];
  },
};

interface Restart {
  /** The same start on an empty DATA_DIR: boot alone, the baseline. */
  emptyMs: number;
  samples: number;
  messages: number;
  entries: number;
  /** kill -9, then start: everything replayed from the log. */
  fromLogMs: number;
  /** After a graceful stop (a final snapshot): the same state. */
  afterStopMs: number;
  bytesPerSample: number;
  bytesPerMessage: number;
  rssMb: number;
}

async function restartFromLog(
  startBeacon: StartBeacon,
  dataDir: string,
  samples = 1_000_000,
  messages = 200_000,
  perEntry = 10,
): Promise<Restart> {
  mkdirSync(join(dataDir, 'empty'));
  const empty = await timedStart(startBeacon, { DATA_DIR: join(dataDir, 'empty') });
  await empty.server.stop();
  const clock = new FakeClock(Date.now());
  const state = localStateFor(clock, { dataDir });
  const latency = await SharedLatencyStore.open(
    new InMemoryLatencyStore({
      defaults: { windowMs: 3_600_000, maxSamples: 10_000 },
      maxMetrics: 10_000,
      maxTotalSamples: 100_000_000,
    }),
    state.state,
    3_600_000,
  );
  for (let i = 0; i < samples; i += perEntry) {
    await Promise.all(
      Array.from({ length: perEntry }, (_, k) =>
        latency.record(`m-${(i + k) % 1000}`, [1 + ((i + k) % 1e6)], clock.now()),
      ),
    );
  }
  const latencyBytes = bytesUnder(join(dataDir, 'state', 'latency'));
  const rockets = await SharedRocketsStore.open(
    new InMemoryRocketsStore({
      maxChannels: 100_000,
      maxBufferedPerChannel: 1000,
      maxBuffered: 1_000_000,
      dedupHistory: 1000,
    }),
    state.state,
    3_600_000,
  );
  const perRocket = 100;
  for (let i = 0; i < messages; i += perEntry) {
    await Promise.all(
      Array.from({ length: perEntry }, (_, k) => {
        const m = i + k;
        const channel = `r-${Math.floor(m / perRocket)}`;
        const n = (m % perRocket) + 1;
        return rockets.accept(
          n === 1
            ? {
                channel,
                number: n,
                time: new Date(clock.now()).toISOString(),
                type: 'RocketLaunched',
                payload: { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' },
              }
            : {
                channel,
                number: n,
                time: new Date(clock.now()).toISOString(),
                type: 'RocketSpeedIncreased',
                payload: { by: 1 },
              },
          clock.now(),
        );
      }),
    );
  }
  const rocketBytes = bytesUnder(join(dataDir, 'state', 'rockets'));
  // As kill -9 leaves it: the logs written, no snapshot; only the directory let go.
  await state.close();

  const first = await timedStart(startBeacon, { DATA_DIR: dataDir });
  const rssMb = first.server.rssMb();
  await first.server.stop();
  const second = await timedStart(startBeacon, { DATA_DIR: dataDir });
  await second.server.stop();
  return {
    emptyMs: empty.ms,
    fromLogMs: first.ms,
    afterStopMs: second.ms,
    samples,
    messages,
    entries: (samples + messages) / perEntry,
    bytesPerSample: latencyBytes / samples,
    bytesPerMessage: rocketBytes / messages,
    rssMb,
  };
}
