import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Simulator, startSimulator } from '../../scripts/stream-simulator';
import { RawResponse, rawRequest } from '../client/beacon-client';
import { eventually } from './eventually';
import { FakeClock } from './fake-clock';
import { TestApp, startTestApp } from './test-app';

/** The real sample events of test/fixtures, as the simulator's script. */
export const SAMPLE = readFileSync(
  join(__dirname, '..', 'fixtures', 'upfluence-stream-sample.sse'),
  'utf8',
)
  .split('\n')
  .filter((l) => l.startsWith('data: '))
  .map((l) => l.slice(6));

/** A post of the seed's shape carrying only the given fields. */
export const tweet = (timestamp: number, fields: Record<string, number> = {}) =>
  JSON.stringify({ tweet: { timestamp, ...fields } });

export interface StreamApp {
  t: TestApp;
  sim: Simulator;
  clock: FakeClock;
  /** GET /analysis?<query>, checked against Beacon's spec. */
  get: (query: string) => Promise<RawResponse>;
  /** Resolves once the consumer has taken `n` posts in all. */
  received: (n: number) => Promise<void>;
  /**
   * Starts a live request and resolves once `waits` live requests wait on the clock; its
   * answer is `answer` (wrapped: an async function would await the promise itself).
   */
  waiting: (query: string, waits?: number) => Promise<{ answer: Promise<RawResponse> }>;
  close: () => Promise<void>;
}

/**
 * Beacon on a fake clock, fed by the local SSE simulator: the test decides when each post
 * arrives (on the clock) and moves the clock through live waits instead of sleeping.
 */
export async function startStreamApp(
  script: string[],
  env: Record<string, string> = {},
): Promise<StreamApp> {
  const sim = await startSimulator({ script, heartbeatMs: 60_000 });
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  let t: TestApp;
  try {
    t = await startTestApp({ STREAM_ENABLED: 'true', STREAM_URL: sim.url, ...env }, { clock });
  } catch (err) {
    await sim.close();
    throw err;
  }
  const get = (query: string) => rawRequest(t.baseUrl, 'GET', `/analysis?${query}`);
  return {
    t,
    sim,
    clock,
    get,
    received: (n) =>
      eventually(async () => (await t.client.GET('/analysis/status')).data!.postsReceived === n),
    waiting: async (query, waits = 1) => {
      const answer = get(query);
      await eventually(() => clock.sleeping === waits);
      return { answer };
    },
    close: async () => {
      await t.close();
      await sim.close();
    },
  };
}
