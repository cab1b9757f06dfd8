/**
 * Redis mode: a window of 1,000,000 samples (one metric, batches of 10,000) and 20 rockets
 * of 10,000 messages each, written through one instance; Redis's memory measured before,
 * after the samples and after the messages; then a snapshot, and a fresh instance started
 * and timed until it serves.
 */
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { JSON_HEADERS, getJson, postJson } from '../lib/http';
import { REDIS_URL, redisEnv, usedMemory, withPrefix } from '../lib/redis';
import { inOrderMessage } from '../lib/rocket-messages';
import { Scenario, figure } from '../lib/scenario';
import { Server, StartBeacon, timedStart } from '../lib/server';

export const sharedCatchup: Scenario = {
  name: 'shared-catchup',
  run: async (ctx) => {
    const c = await withPrefix('bench-catchup', (prefix) =>
      catchUp(ctx.startBeacon, prefix, 1_000_000, 20, 10_000),
    );
    return [
      figure({
        scenario: `redis mode: fresh instance catching up on ${c.samples.toLocaleString('en-US')} samples + ${c.messages.toLocaleString('en-US')} rocket messages`,
        vs: `ready in ${(c.readyMs / 1000).toFixed(2)} s (target ≤ 5 s)`,
        note: c.logs
          .map(
            (l) =>
              `${l.name}: ${Math.round(l.catchUpMs)} ms, ${l.snapshotsLoaded} snapshot, ${l.entriesApplied} entries`,
          )
          .join('; '),
      }),
      figure({
        scenario: 'redis mode: Redis memory (INFO used_memory) per stored latency sample',
        vs: `${c.redisBytesPerSample.toFixed(1)} B/sample`,
        note: 'batches of 10,000; the snapshot plus log entries still inside the 60 s trim grace',
      }),
      figure({
        scenario: 'redis mode: Redis memory per rocket message',
        vs: `${c.redisBytesPerMessage.toFixed(1)} B/message`,
        note: 'one message per entry, still inside the 60 s trim grace, plus the snapshot (20 rockets)',
      }),
    ];
  },
};

interface CatchUp {
  samples: number;
  messages: number;
  /** From spawning the fresh instance to it answering /health/live. */
  readyMs: number;
  logs: { name: string; catchUpMs: number; snapshotsLoaded: number; entriesApplied: number }[];
  redisBytesPerSample: number;
  redisBytesPerMessage: number;
}

async function catchUp(
  startBeacon: StartBeacon,
  prefix: string,
  samples: number,
  rockets: number,
  perRocket: number,
): Promise<CatchUp> {
  const redis = new Redis(REDIS_URL);
  const env = redisEnv(prefix, {
    SHARED_SNAPSHOT_INTERVAL_MS: '2000',
    LATENCY_MAX_SAMPLES_LIMIT: String(Math.max(1_000_000, samples)),
    ROCKETS_MAX_BUFFERED_PER_CHANNEL: String(perRocket),
    ROCKETS_DEDUP_HISTORY: String(perRocket),
  });
  const writer = await startBeacon(env);
  let fresh: Server | null = null;
  try {
    const m0 = await usedMemory(redis);
    await fetch(`${writer.url}/metrics/big`, {
      method: 'PUT',
      headers: JSON_HEADERS,
      body: JSON.stringify({ window_ms: 3_600_000, max_samples: samples }),
    });
    for (let i = 0; i < samples; i += 10_000) {
      const batch = Array.from(
        { length: Math.min(10_000, samples - i) },
        (_, k) => 1 + ((i + k) % 997_001),
      );
      const res = await postJson(
        `${writer.url}/metrics/big/latencies`,
        JSON.stringify({ latencies_ns: batch }),
      );
      if (res.status !== 202) throw new Error(`batch refused: ${res.status} ${await res.text()}`);
    }
    await sleep(3000); // a snapshot, and the log before it trimmed (past the grace)
    const m1 = await usedMemory(redis);
    // Launch, then speed increases only: every message changes the rocket.
    const histories = Array.from({ length: rockets }, (_, r) =>
      Array.from({ length: perRocket }, (_, k) =>
        inOrderMessage(`catchup-${r}`, k + 1, new Date(Date.UTC(2026, 0, 1) + k).toISOString()),
      ),
    );
    const messages = histories.flat();
    // In order per rocket, many in flight at once: every message applied.
    for (let n = 0; n < perRocket; n += 25) {
      await Promise.all(
        histories.flatMap((h) =>
          h
            .slice(n, n + 25)
            .map((m) =>
              postJson(`${writer.url}/messages`, JSON.stringify(m)).then((r) => r.arrayBuffer()),
            ),
        ),
      );
    }
    await sleep(3000);
    const m2 = await usedMemory(redis);
    const start = await timedStart(startBeacon, env);
    fresh = start.server;
    const health = await getJson<{ details: { sharedState: { logs: CatchUp['logs'] } } }>(
      `${fresh.url}/health`,
    );
    const big = await getJson<{ Count: number }>(`${fresh.url}/metrics/big`);
    if (big.Count !== samples) throw new Error(`fresh instance has ${big.Count} samples`);
    return {
      samples,
      messages: messages.length,
      readyMs: start.ms,
      logs: health.details.sharedState.logs.map(
        ({ name, catchUpMs, snapshotsLoaded, entriesApplied }) => ({
          name,
          catchUpMs,
          snapshotsLoaded,
          entriesApplied,
        }),
      ),
      redisBytesPerSample: (m1 - m0) / samples,
      redisBytesPerMessage: (m2 - m1) / messages.length,
    };
  } finally {
    await Promise.all([writer.stop(), fresh?.stop()]);
    redis.disconnect();
  }
}
