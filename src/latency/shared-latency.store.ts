import { OnApplicationShutdown } from '@nestjs/common';
import { SharedLog } from '../shared-state/shared-log';
import { SharedState } from '../shared-state/shared-state';
import { InMemoryLatencyStore } from './in-memory-latency.store';
import { LatencyOp, decodeLatencyOps, encodeLatencyOps } from './latency-ops';
import { LatencyStore, LatencyUsage, MetricConfig, MetricState } from './latency.store';

type Outcome = void | { created: boolean } | boolean | number;

/**
 * Local and redis mode: every write (a sample or a batch, a PUT, a DELETE) is an entry of
 * the latency log (samples in binary, `latency-ops.ts`), and the state is this instance's fold of it: an
 * `InMemoryLatencyStore` that every instance builds the same way. A write resolves once
 * this instance has applied it, with the fold's answer (a 409 at the limits is the same
 * everywhere); reads are local.
 */
export class SharedLatencyStore extends LatencyStore implements OnApplicationShutdown {
  private constructor(
    private readonly local: InMemoryLatencyStore,
    private readonly log: SharedLog<LatencyOp, Outcome>,
  ) {
    super();
  }

  static async open(local: InMemoryLatencyStore, shared: SharedState, snapshotEveryMs: number) {
    const log = await shared.open<LatencyOp, Outcome>(
      'latency',
      {
        apply: (op) => {
          switch (op.k) {
            case 'record':
              return local.recordNow(op.id, op.v, op.at);
            case 'configure':
              return local.configure(op.id, op.c, op.at);
            case 'remove':
              return local.remove(op.id);
            case 'expire':
              return local.expireIdle(op.at, op.idle);
          }
        },
        snapshot: () => local.toSnapshot(),
        restore: (data) => local.restoreSnapshot(data),
        encode: encodeLatencyOps,
        decode: decodeLatencyOps,
      },
      { snapshotEveryMs },
    );
    return new SharedLatencyStore(local, log);
  }

  async record(id: string, latenciesNs: ArrayLike<number>, at: number): Promise<void> {
    await this.log.append({ k: 'record', id, v: Array.from(latenciesNs), at });
  }

  async configure(
    id: string,
    changes: Partial<MetricConfig>,
    at: number,
  ): Promise<{ created: boolean }> {
    return (await this.log.append({ k: 'configure', id, c: changes, at })) as { created: boolean };
  }

  async remove(id: string): Promise<boolean> {
    return (await this.log.append({ k: 'remove', id })) as boolean;
  }

  snapshot(
    id: string,
    at: number,
    percentiles: readonly number[],
  ): Promise<MetricState | undefined> {
    return this.local.snapshot(id, at, percentiles);
  }

  snapshotAll(at: number, percentiles: readonly number[], limit?: number): Promise<MetricState[]> {
    return this.local.snapshotAll(at, percentiles, limit);
  }

  /**
   * Through the log, so every instance removes the same metrics at the same point (a
   * sample appended before the expiry keeps its metric everywhere, one after re-creates
   * it everywhere). Appended only when this instance's fold has something to expire, so
   * an idle deployment writes nothing; several instances doing so at once is harmless.
   */
  async expireIdle(at: number, idleMs: number): Promise<number> {
    if (this.local.idleIds(at, idleMs).length === 0) return 0;
    return (await this.log.append({ k: 'expire', at, idle: idleMs })) as number;
  }

  /** Local: eviction changes no answer, so each instance frees its memory on its own. */
  pruneExpired(at: number): Promise<number> {
    return this.local.pruneExpired(at);
  }

  usage(): Promise<LatencyUsage> {
    return this.local.usage();
  }

  onApplicationShutdown(): Promise<void> {
    return this.log.stop();
  }
}
