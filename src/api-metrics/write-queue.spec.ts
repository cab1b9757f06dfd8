import { FakeClock } from '../../test/helpers/fake-clock';
import { ApiMetricRecord } from './api-metric';
import { BatchRejectedError } from './api-metrics.store';
import { WriteQueue } from './write-queue';

const rec = (i: number): ApiMetricRecord => ({
  timeMs: 1_700_000_000_000 + i,
  route: `/r${i}`,
  method: 'GET',
  statusCode: 200,
  responseTimeMs: i,
});

/** A database stand-in: keeps what it is given, or fails the way it is told to. */
class Sink {
  rows: ApiMetricRecord[] = [];
  batches: number[] = [];
  mode: 'up' | 'down' | 'reject' = 'up';
  private release: (() => void) | null = null;
  /** While set, writes wait for `open()` before landing. */
  gate: Promise<void> | null = null;

  write = async (batch: readonly ApiMetricRecord[]): Promise<void> => {
    if (this.gate) await this.gate;
    if (this.mode === 'down') throw new Error('connect ECONNREFUSED');
    if (this.mode === 'reject') throw new BatchRejectedError('invalid byte sequence');
    this.batches.push(batch.length);
    this.rows.push(...batch);
  };

  hold(): void {
    this.gate = new Promise((r) => (this.release = r));
  }

  open(): void {
    this.gate = null;
    this.release?.();
  }
}

describe('WriteQueue', () => {
  let clock: FakeClock;
  let sink: Sink;
  const make = (over: Partial<ConstructorParameters<typeof WriteQueue>[2]> = {}) =>
    new WriteQueue(sink.write, clock, {
      batchMax: 100,
      queueMax: 1000,
      backoffMaxMs: 10_000,
      ...over,
    });
  beforeEach(() => {
    clock = new FakeClock();
    sink = new Sink();
  });

  it('writes in batches of at most batchMax, in arrival order', async () => {
    const q = make();
    for (let i = 0; i < 250; i++) q.offer(rec(i));
    // The 100th record started a write on its own; let it land, then flush the rest.
    await new Promise((r) => setImmediate(r));
    await q.flush();
    expect(sink.batches).toEqual([100, 100, 50]);
    expect(sink.rows.map((r) => r.responseTimeMs)).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
    expect(q.stats()).toMatchObject({ accepted: 250, written: 250, queued: 0, flushes: 3 });
  });

  it('refuses and counts what does not fit, and never loses what it took', async () => {
    const q = make({ queueMax: 10 });
    sink.mode = 'down';
    const taken = Array.from({ length: 15 }, (_, i) => q.offer(rec(i)));
    expect(taken.filter(Boolean)).toHaveLength(10);
    expect(await q.flush()).toBe(0);
    expect(q.stats()).toMatchObject({
      queued: 10,
      droppedQueueFull: 5,
      lastError: 'connect ECONNREFUSED',
    });
    sink.mode = 'up';
    clock.advance(60_000);
    expect(await q.flush()).toBe(10);
    expect(sink.rows.map((r) => r.responseTimeMs)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('backs off with equal jitter on the clock, doubling per failure up to the maximum', async () => {
    const q = make({ backoffMaxMs: 1000 });
    q.offer(rec(1));
    sink.mode = 'down';
    const gaps: number[] = [];
    for (let failure = 1; failure <= 6; failure++) {
      const at = clock.now();
      expect(await q.flush()).toBe(0);
      expect(q.stats().failedWrites).toBe(failure);
      // Step 10 ms at a time until the writer tries again: that is the wait it chose.
      for (;;) {
        clock.advance(10);
        const before = q.stats().failedWrites;
        await q.flush();
        if (q.stats().failedWrites > before) break;
      }
      gaps.push(clock.now() - at);
    }
    // Failure n waits in [cap/2, cap], cap = min(1000, 200·2^(n−1)): 200, 400, 800, 1000, …
    const caps = [200, 400, 800, 1000, 1000, 1000];
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(caps[i] / 2);
      expect(g).toBeLessThanOrEqual(caps[i] + 10);
    });
    sink.mode = 'up';
    clock.advance(1000);
    expect(await q.flush()).toBe(1);
    expect(q.stats()).toMatchObject({ lastError: null, written: 1 });
  });

  it('drops a batch the database refuses as data, counts it, and carries on', async () => {
    const q = make({ batchMax: 5 });
    for (let i = 0; i < 3; i++) q.offer(rec(i));
    sink.mode = 'reject';
    expect(await q.flush()).toBe(0);
    expect(q.stats()).toMatchObject({ rejectedByDatabase: 3, queued: 0, lastError: null });
    sink.mode = 'up';
    q.offer(rec(9));
    expect(await q.flush()).toBe(1);
  });

  it('runs one writer at a time: a flush while one is writing returns at once', async () => {
    const q = make();
    q.offer(rec(1));
    sink.hold();
    const first = q.flush();
    expect(await q.flush()).toBe(0);
    q.offer(rec(2));
    sink.open();
    expect(await first).toBe(2);
  });

  it('drains at shutdown: waits for the writer, retries on the clock, and says what was lost', async () => {
    const q = make();
    for (let i = 0; i < 5; i++) q.offer(rec(i));
    sink.mode = 'down';
    const draining = q.drain(2000);
    // It retries every 500 ms of the clock while the database is down.
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setImmediate(r));
      expect(clock.sleeping).toBe(1);
      clock.advance(500);
    }
    sink.mode = 'up';
    await new Promise((r) => setImmediate(r));
    clock.advance(500);
    expect(await draining).toEqual({ written: 5, lost: 0 });

    const q2 = make();
    q2.offer(rec(1));
    sink.mode = 'down';
    const giving = q2.drain(1000);
    for (let i = 0; i < 4 && clock.sleeping === 0; i++) await new Promise((r) => setImmediate(r));
    clock.advance(500);
    for (let i = 0; i < 4 && clock.sleeping === 0; i++) await new Promise((r) => setImmediate(r));
    clock.advance(500);
    expect(await giving).toEqual({ written: 0, lost: 1 });
  });
});
