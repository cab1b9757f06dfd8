import { OnApplicationShutdown } from '@nestjs/common';
import { SharedLog } from '../shared-state/shared-log';
import { SharedState } from '../shared-state/shared-state';
import { InMemoryRocketsStore } from './in-memory-rockets.store';
import { Outcome, RocketState } from './rocket-channel';
import { RocketMessage } from './rocket-message';
import { RocketsOp, decodeRocketsOps, encodeRocketsOps, isMessage } from './rocket-ops';
import { RocketsStats, RocketsStore } from './rockets.store';

type RocketsOutcome = Outcome | boolean | number;

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
    private readonly log: SharedLog<RocketsOp, RocketsOutcome>,
  ) {
    super();
  }

  static async open(local: InMemoryRocketsStore, shared: SharedState, snapshotEveryMs: number) {
    const log = await shared.open<RocketsOp, RocketsOutcome>(
      'rockets',
      {
        apply: (op) => {
          // An entry written before arrival times were logged counts as arriving at 0.
          if (isMessage(op)) {
            const { at, ...message } = op;
            return local.acceptNow(message, at ?? 0);
          }
          return op.k === 'remove' ? local.remove(op.id) : local.expirePending(op.at, op.idle);
        },
        snapshot: () => local.toSnapshot(),
        restore: (data) => local.restoreSnapshot(data),
        encode: encodeRocketsOps,
        decode: decodeRocketsOps,
      },
      { snapshotEveryMs },
    );
    return new SharedRocketsStore(local, log);
  }

  async accept(message: RocketMessage, at: number): Promise<Outcome> {
    return (await this.log.append({ ...message, at })) as Outcome;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.log.append({ k: 'remove', id })) as boolean;
  }

  /** Through the log, like latency's idle expiry, and appended only when there is work. */
  async expirePending(at: number, idleMs: number): Promise<number> {
    if (this.local.pendingIds(at, idleMs).length === 0) return 0;
    return (await this.log.append({ k: 'expire', at, idle: idleMs })) as number;
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
