/**
 * How long Beacon takes to start on the largest request-counter file a 60 s window leaves
 * at 10,000 requests/s.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAGIC, encodeFrame } from '../../src/request-counter/counter-log';
import { COUNTER_FILE } from '../../src/request-counter/file-request-counter.store';
import { tempDir } from '../../test/helpers/temp-dir';
import { counterStats } from '../lib/counter-stats';
import { getJson } from '../lib/http';
import { Scenario, figure, withBeacon } from '../lib/scenario';

export const counterLoad: Scenario = {
  name: 'counter-load',
  run: async (ctx) => {
    const loadDir = tempDir('beacon-bench-load-');
    const bytes = writeFullWindowState(loadDir);
    const started = Date.now();
    const rows = await withBeacon(
      ctx,
      async (beacon) => {
        const startMs = Date.now() - started;
        const stats = await counterStats(beacon);
        const { count } = await getJson<{ count: number }>(`${beacon.url}/counter`);
        return [
          figure({
            scenario: 'start-up on a full window (60 s at 10,000 req/s)',
            rssMb: beacon.rssMb(),
            vs: `${stats.loadMs.toFixed(1)} ms to load and compact`,
            note: `${(bytes / 1024).toFixed(0)} KiB file, count ${count}; whole process ready in ${startMs} ms`,
          }),
        ];
      },
      { DATA_DIR: loadDir },
    );
    rmSync(loadDir, { recursive: true, force: true });
    return rows;
  },
};

/**
 * A compacted snapshot of a full window (10 requests in every millisecond) followed by a
 * window's worth of 250 ms delta frames, just before the next compaction.
 */
function writeFullWindowState(dir: string, now = Date.now()): number {
  const windowMs = 60_000;
  const frames: Buffer[] = [MAGIC];
  const snapshotStart = now - 2 * windowMs + 1;
  const ms = Array.from({ length: windowMs }, (_, i) => snapshotStart + i);
  frames.push(encodeFrame({ ms, count: ms.map(() => 10) }));
  for (let t = snapshotStart + windowMs; t <= now; t += 250) {
    const slice = Array.from({ length: Math.min(250, now - t + 1) }, (_, i) => t + i);
    frames.push(encodeFrame({ ms: slice, count: slice.map(() => 10) }));
  }
  const data = Buffer.concat(frames);
  writeFileSync(join(dir, COUNTER_FILE), data);
  return data.length;
}
