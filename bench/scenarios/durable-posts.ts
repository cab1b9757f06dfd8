/**
 * Local state: a full 24 h of posts at 100/s in the stream log (as the consumer writes
 * them, a chunk of 10 an entry), then Beacon from spawn to serving. BENCH_POSTS (default
 * 8,640,000) sets how many posts.
 */
import { join } from 'node:path';
import { settingsOf } from '../../src/config/load-settings';
import { StateSettings } from '../../src/shared-state/state.settings';
import { StreamSettings } from '../../src/stream-analysis/stream-analysis.settings';
import { InMemoryPostStore } from '../../src/stream-analysis/in-memory-post.store';
import { DIMENSIONS } from '../../src/stream-analysis/post';
import { SharedPostStore } from '../../src/stream-analysis/shared-post.store';
import { StreamLeadership } from '../../src/stream-analysis/stream-leadership';
import { FakeClock } from '../../test/helpers/fake-clock';
import { localStateFor } from '../../test/helpers/local-state';
import { bytesUnder } from '../lib/disk';
import { Scenario, figure } from '../lib/scenario';
import { StartBeacon, timedStart } from '../lib/server';

export const durablePosts: Scenario = {
  name: 'durable-posts',
  run: async (ctx) => {
    const dir = ctx.freshDir('posts');
    const posts = Number(process.env.BENCH_POSTS ?? 8_640_000);
    const r = await restartWithDayOfPosts(ctx.startBeacon, dir, posts);
    return [
      figure({
        scenario: `local state: start with 24 h of posts in the log (${r.posts.toLocaleString('en-US')})`,
        p50: r.ms,
        rssMb: r.rssMb,
        vs: `${(r.ms / 1000).toFixed(2)} s spawn to serving; ${r.bytesPerPost.toFixed(1)} B on disk per post; target ≤ 15 s`,
      }),
    ];
  },
};

async function restartWithDayOfPosts(
  startBeacon: StartBeacon,
  dataDir: string,
  posts: number,
): Promise<{ posts: number; ms: number; bytesPerPost: number; rssMb: number }> {
  const dayMs = 86_400_000;
  const clock = new FakeClock(Date.now() - dayMs + 60_000);
  const state = localStateFor(clock, { dataDir });
  const store = await SharedPostStore.open(
    new InMemoryPostStore(5000, 10_000_000),
    state.state,
    new StreamLeadership(settingsOf(StateSettings), settingsOf(StreamSettings), state.state),
    1000,
  );
  const stepMs = (dayMs - 120_000) / posts;
  const values = new Float64Array(DIMENSIONS.length);
  for (let i = 0; i < posts; i += 10) {
    const batch: Promise<void>[] = [];
    for (let k = 0; k < 10 && i + k < posts; k++) {
      for (let d = 0; d < values.length; d++) values[d] = (i * 7 + k * 13 + d) % 5000;
      batch.push(
        store.add(
          { type: 'tweet', timestamp: 1_700_000_000 + i + k, values },
          clock.now(),
          String(i + k),
        ),
      );
      clock.advance(stepMs);
    }
    await Promise.all(batch);
  }
  const bytes = bytesUnder(join(dataDir, 'state', 'stream'));
  await state.close();
  const { server, ms } = await timedStart(startBeacon, { DATA_DIR: dataDir });
  const rssMb = server.rssMb();
  await server.stop();
  return { posts, ms, bytesPerPost: bytes / posts, rssMb };
}
