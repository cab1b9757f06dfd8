import type { HttpAdapterHost } from '@nestjs/core';
import { rmSync } from 'node:fs';
import { Clock } from '../../src/common/clock';
import { CoreSettings } from '../../src/config/core.settings';
import { loadSettings } from '../../src/config/load-settings';
import { StateSettings } from '../../src/shared-state/state.settings';
import { FileIo, NodeFileIo } from '../../src/shared-state/file-log';
import { ShutdownReport } from '../../src/common/shutdown-report';
import { SharedState } from '../../src/shared-state/shared-state';
import { tempDir } from './temp-dir';

/**
 * The local-state settings of one Beacon on a DATA_DIR of its own (or the given one, for a
 * restart), as STATE_BACKEND=local has them. `close` lets go of the directory, `cleanup`
 * deletes it.
 */
export function localStateFor(
  clock: Clock,
  options: { dataDir?: string; syncMs?: number; io?: FileIo } = {},
) {
  const dataDir = options.dataDir ?? tempDir('beacon-local-state-');
  const settings = loadSettings({
    STATE_BACKEND: 'local',
    DATA_DIR: dataDir,
    STATE_SYNC_MS: String(options.syncMs ?? 1000),
  });
  const state = new SharedState(
    settings.get(CoreSettings),
    settings.get(StateSettings),
    clock,
    {} as HttpAdapterHost,
    options.io ?? new NodeFileIo(),
    new ShutdownReport(),
  );
  return {
    state,
    dataDir,
    close: () => state.onApplicationShutdown(),
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

export type LocalState = ReturnType<typeof localStateFor>;

/**
 * For a test file: stores opened on local states are closed after each test, then their
 * directories let go of and deleted. Returns `keep(state, store)`, which registers a pair
 * and returns the store.
 */
export function closedAfterEach<S>(closeStore: (store: S) => Promise<void>) {
  const open: { store: S; state: LocalState }[] = [];
  afterEach(async () => {
    for (const { store, state } of open.splice(0)) {
      await closeStore(store);
      await state.close();
      state.cleanup();
    }
  });
  return (state: LocalState, store: S): S => {
    open.push({ store, state });
    return store;
  };
}
