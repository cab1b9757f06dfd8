import { FakeClock } from '../../test/helpers/fake-clock';
import { closedAfterEach, localStateFor } from '../../test/helpers/local-state';
import { settingsOf } from '../config/load-settings';
import { StateSettings } from '../shared-state/state.settings';
import { StreamSettings } from './stream-analysis.settings';
import { InMemoryPostStore } from './in-memory-post.store';
import { DIMENSIONS } from './post';
import { postStoreContract } from './post.store.contract';
import { SharedPostStore } from './shared-post.store';
import { StreamLeadership } from './stream-leadership';

const keep = closedAfterEach<SharedPostStore>((s) => s.close());

async function openLocal(
  bucketMs: number,
  maxPosts: number,
  clock = new FakeClock(),
  dataDir?: string,
): Promise<SharedPostStore> {
  const state = localStateFor(clock, { dataDir });
  const leadership = new StreamLeadership(
    settingsOf(StateSettings),
    settingsOf(StreamSettings),
    state.state,
  );
  const store = await SharedPostStore.open(
    new InMemoryPostStore(bucketMs, maxPosts),
    state.state,
    leadership,
    1000,
  );
  return keep(state, store);
}

postStoreContract('SharedPostStore on local files', (bucketMs, maxPosts) =>
  openLocal(bucketMs, maxPosts),
);

describe('SharedPostStore on local files', () => {
  it('keeps the window and the last upstream event id across a restart', async () => {
    const clock = new FakeClock();
    const first = localStateFor(clock);
    const store = await SharedPostStore.open(
      new InMemoryPostStore(5000, 1e6),
      first.state,
      new StreamLeadership(settingsOf(StateSettings), settingsOf(StreamSettings), first.state),
      1000,
    );
    const values = new Float64Array(DIMENSIONS.length).fill(NaN);
    for (let i = 0; i < 50; i++) {
      values[0] = i;
      await store.add(
        { type: 'tweet', timestamp: 1_700_000_000 + i, values },
        clock.now(),
        `ev-${i}`,
      );
      clock.advance(100);
    }
    const before = await store.window(0, clock.now(), [0]);
    await store.close();
    await first.close();

    // The second on the first's DATA_DIR (deleted after the test with the second).
    const second = await openLocal(5000, 1e6, clock, first.dataDir);
    expect(second.lastEventId()).toBe('ev-49');
    const after = await second.window(0, clock.now(), [0]);
    expect(after.stats).toEqual(before.stats);
    expect(after.fields[0].runs.flatMap((r) => [...r]).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});
