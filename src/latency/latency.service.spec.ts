import { FakeClock } from '../../test/helpers/fake-clock';
import { InvalidArgumentError, NotFoundError } from '../common/domain-errors';
import { settingsOf } from '../config/load-settings';
import { LatencySettings } from './latency.settings';
import { InMemoryLatencyStore } from './in-memory-latency.store';
import { LatencyService } from './latency.service';

describe('LatencyService', () => {
  let clock: FakeClock;
  let service: LatencyService;

  beforeEach(() => {
    clock = new FakeClock(1_000_000);
    const env = settingsOf(LatencySettings, { LATENCY_MAX_WINDOW_MS: '120000' });
    const store = new InMemoryLatencyStore({
      defaults: { windowMs: env.LATENCY_WINDOW_MS, maxSamples: env.LATENCY_MAX_SAMPLES },
      maxMetrics: env.LATENCY_MAX_METRICS,
      maxTotalSamples: env.LATENCY_MAX_TOTAL_SAMPLES,
    });
    service = new LatencyService(store, clock, env);
  });

  it('reports P50/P95/P99 and extra percentiles in the order asked', async () => {
    await service.record(
      'm',
      Array.from({ length: 200 }, (_, i) => 200 - i),
    );
    const snap = await service.snapshot('m', [99.5, 10]);
    expect(snap).toMatchObject({ count: 200, p50: 100, p95: 190, p99: 198 });
    expect(snap.extra).toEqual([
      { p: 99.5, value: 199 },
      { p: 10, value: 20 },
    ]);
  });

  it('stamps samples with the clock, so they age out as it moves', async () => {
    await service.record('m', [5]);
    clock.advance(30_000);
    await service.record('m', [7]);
    clock.advance(30_000);
    expect(await service.snapshot('m')).toMatchObject({ count: 1, p50: 7 });
  });

  it('throws NotFoundError for unknown metrics', async () => {
    await expect(service.snapshot('x')).rejects.toThrow(NotFoundError);
    await expect(service.remove('x')).rejects.toThrow(NotFoundError);
  });

  it('checks configuration against the configured upper bounds', async () => {
    await expect(service.configure('m', { windowMs: 120_001 })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(service.configure('m', { maxSamples: 1_000_001 })).rejects.toThrow(
      'LATENCY_MAX_SAMPLES_LIMIT',
    );
    await expect(service.snapshot('m')).rejects.toThrow(NotFoundError);
    const { created, snapshot } = await service.configure('m', { windowMs: 120_000 });
    expect(created).toBe(true);
    expect(snapshot.windowMs).toBe(120_000);
  });

  it('loses no sample when hammered concurrently', async () => {
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) => service.record(`m${i % 4}`, [i + 1, i + 2])),
    );
    const list = await service.list();
    expect(list.map((s) => s.count)).toEqual([1000, 1000, 1000, 1000]);
  });
});
