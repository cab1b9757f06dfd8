import { FakeClock } from '../../test/helpers/fake-clock';
import { localStateFor } from '../../test/helpers/local-state';
import { loadEnvironment } from '../config/environment';
import { InMemoryPostStore } from './in-memory-post.store';
import { DIMENSIONS } from './post';
import { postStoreContract } from './post.store.contract';
import { SharedPostStore } from './shared-post.store';
import { StreamLeadership } from './stream-leadership';

const opened: { store: SharedPostStore; state: ReturnType<typeof localStateFor> }[] = [];
afterEach(async () => {
  for (const { store, state } of opened.splice(0)) {
    await store.close();
    await state.close();
    state.cleanup();
  }
});

async function openLocal(
  bucketMs: number,
  maxPosts: number,
  clock = new FakeClock(),
  dataDir?: string,
): Promise<SharedPostStore> {
  const state = localStateFor(clock, { dataDir });
  const leadership = new StreamLeadership(loadEnvironment({}), state.state);
  const store = await SharedPostStore.open(
    new InMemoryPostStore(bucketMs, maxPosts),
    state.state,
    leadership,
    1000,
  );
  opened.push({ store, state });
  return store;
}

postStoreContract('SharedPostStore on local files', (bucketMs, maxPosts) =>
  openLocal(bucketMs, maxPosts),
);

describe('SharedPostStore on local files', () => {
  it('keeps the window and the last upstream event id across a restart', async () => {
    const clock = new FakeClock();
    const first = await openLocal(5000, 1e6, clock);
    const values = new Float64Array(DIMENSIONS.length).fill(NaN);
    for (let i = 0; i < 50; i++) {
      values[0] = i;
      await first.add(
        { type: 'tweet', timestamp: 1_700_000_000 + i, values },
        clock.now(),
        `ev-${i}`,
      );
      clock.advance(100);
    }
    const before = await first.window(0, clock.now(), 0);
    const { state } = opened[0];
    await first.close();
    await state.close();
    opened.length = 0;

    const second = await openLocal(5000, 1e6, clock, state.dataDir);
    expect(second.lastEventId()).toBe('ev-49');
    const after = await second.window(0, clock.now(), 0);
    expect(after.stats).toEqual(before.stats);
    expect(after.runs.flatMap((r) => [...r]).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    state.cleanup();
  });
});
