import { OnApplicationShutdown } from '@nestjs/common';
import { SharedLog } from '../shared-state/shared-log';
import { SharedState } from '../shared-state/shared-state';
import { InMemoryRocketsStore } from './in-memory-rockets.store';
import { Outcome, RocketState } from './rocket-channel';
import { RocketMessage } from './rocket-message';
import { RocketsStats, RocketsStore } from './rockets.store';

/**
 * Redis mode: every message is an entry of the shared rockets log, and rocket state is
 * this instance's fold of it (an `InMemoryRocketsStore`). A message is answered once this
 * instance has applied its entry, so its status (`applied`, `buffered`, `duplicate`,
 * `ignored`, or 503 when full) is the one every instance computes, even when copies of one
 * message reach several instances at once: the log orders them. Snapshots bound the log.
 */
export class SharedRocketsStore extends RocketsStore implements OnApplicationShutdown {
  private constructor(
    private readonly local: InMemoryRocketsStore,
    private readonly log: SharedLog<RocketMessage, Outcome>,
  ) {
    super();
  }

  static async open(local: InMemoryRocketsStore, shared: SharedState, snapshotEveryMs: number) {
    const log = await shared.open<RocketMessage, Outcome>(
      'rockets',
      {
        apply: (message) => local.accept(message),
        snapshot: () => local.toSnapshot(),
        restore: (data) => local.restoreSnapshot(data),
      },
      { snapshotEveryMs },
    );
    return new SharedRocketsStore(local, log);
  }

  accept(message: RocketMessage): Promise<Outcome> {
    return this.log.append(message);
  }

  get(id: string): Promise<RocketState | undefined> {
    return this.local.get(id);
  }

  list(): Promise<RocketState[]> {
    return this.local.list();
  }

  version(): Promise<number> {
    return this.local.version();
  }

  stats(): Promise<RocketsStats> {
    return this.local.stats();
  }

  onApplicationShutdown(): Promise<void> {
    return this.log.stop();
  }
}
