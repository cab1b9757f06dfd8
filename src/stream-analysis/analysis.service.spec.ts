import { FakeClock } from '../../test/helpers/fake-clock';
import { settingsOf } from '../config/load-settings';
import { StreamSettings } from './stream-analysis.settings';
import { AnalysisService, RETENTION_MS } from './analysis.service';
import { InMemoryPostStore } from './in-memory-post.store';
import { DIMENSION_INDEX, parsePost } from './post';

const post = (json: string) => {
  const r = parsePost(json);
  if (!r.ok) throw new Error(r.reason);
  return r.post;
};

describe('AnalysisService', () => {
  let clock: FakeClock;
  let service: AnalysisService;
  beforeEach(() => {
    clock = new FakeClock();
    service = new AnalysisService(
      new InMemoryPostStore(5000, 1_000_000),
      clock,
      settingsOf(StreamSettings),
    );
  });

  it('windows by arrival on the injected clock, percentiles over posts carrying the field', async () => {
    await service.ingest(post('{"tweet": {"timestamp": 100, "favorites": 10}}'));
    clock.advance(10_000);
    await service.ingest(post('{"tweet": {"timestamp": 50, "favorites": 30}}'));
    await service.ingest(post('{"pin": {"timestamp": 70, "likes": 4}}'));
    const now = clock.now();
    const likes = DIMENSION_INDEX.likes;
    const favorites = DIMENSION_INDEX.favorites;
    expect(await service.query(now - 60_000, now, [favorites])).toEqual({
      totalPosts: 3,
      minTimestamp: 50,
      maxTimestamp: 100,
      newestArrival: now,
      fields: [{ count: 2, percentiles: [10, 30, 30] }],
    });
    // The first post arrived exactly 10 s ago: outside (now − 10 s, now].
    expect(await service.query(now - 10_000, now, [favorites])).toMatchObject({
      totalPosts: 2,
      fields: [{ percentiles: [30, 30, 30] }],
    });
    expect(await service.query(now - 10_000, now, [likes])).toMatchObject({
      fields: [{ percentiles: [4, 4, 4] }],
    });
    expect(await service.query(now - 10_000, now, [DIMENSION_INDEX.views])).toMatchObject({
      totalPosts: 2,
      fields: [{ count: 0, percentiles: [null, null, null] }],
    });
    // Several dimensions in one pass: each as it would be alone.
    expect(
      await service.query(now - 60_000, now, [likes, favorites, DIMENSION_INDEX.views], [50, 99]),
    ).toMatchObject({
      totalPosts: 3,
      fields: [
        { count: 1, percentiles: [4, 4] },
        { count: 2, percentiles: [10, 30] },
        { count: 0, percentiles: [null, null] },
      ],
    });
  });

  it('the prune job drops what arrived more than 24 h ago, and only that', async () => {
    await service.ingest(post('{"tweet": {"timestamp": 1, "favorites": 1}}'));
    clock.advance(RETENTION_MS / 2);
    await service.ingest(post('{"tweet": {"timestamp": 2, "favorites": 2}}'));
    clock.advance(RETENTION_MS / 2 + 5000);
    expect(await service.prune()).toBe(1);
    expect((await service.usage()).postsRetained).toBe(1);
    clock.advance(RETENTION_MS);
    expect(await service.prune()).toBe(1);
    expect(await service.usage()).toMatchObject({ postsRetained: 0, oldestRetainedArrival: null });
  });

  it('concurrent ingest and queries never see a half-added post', async () => {
    const adds = Array.from({ length: 2000 }, (_, i) =>
      service.ingest(post(`{"tweet": {"timestamp": ${i + 1}, "favorites": ${i}}}`)),
    );
    const now = clock.now();
    const queries = Array.from({ length: 20 }, () =>
      service.query(now - 60_000, now, [DIMENSION_INDEX.favorites]),
    );
    await Promise.all(adds);
    for (const q of await Promise.all(queries)) expect(q.totalPosts).toBe(q.fields[0].count);
    const all = await service.query(now - 60_000, now, [DIMENSION_INDEX.favorites]);
    expect(all.fields[0].percentiles[0]).toBe(999);
  });
});
