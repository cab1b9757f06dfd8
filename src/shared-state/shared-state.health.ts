import { Injectable } from '@nestjs/common';
import { HealthIndicator, ModuleHealth, healthy, shown } from '../common/health';
import { SharedState } from './shared-state';

/**
 * Redis mode: down, and not ready, while Redis does not answer. Reads still answer from
 * the local state then (flagged with the Beacon-Stale header), and writes answer 503.
 */
@Injectable()
export class SharedStateHealthIndicator extends HealthIndicator {
  readonly key = 'sharedState';

  constructor(private readonly shared: SharedState) {
    super();
  }

  async check(detailed: boolean): Promise<ModuleHealth> {
    if (!this.shared.enabled) return healthy({ backend: 'memory' });
    const problem = await this.shared.unreachable();
    // A log whose snapshots fail is never trimmed: Redis grows until they work again.
    const logs = this.shared
      .statuses()
      .map((l) => ({ ...l, lastSnapshotError: shown(l.lastSnapshotError, detailed) }));
    const snapshotting = logs
      .filter((l) => l.lastSnapshotError !== null)
      .map((l) => `${l.name}: snapshots fail, so its log is not trimmed: ${l.lastSnapshotError}`);
    return {
      problems: snapshotting,
      unreachable: problem === null ? [] : [`redis: ${shown(problem, detailed)}`],
      details: {
        backend: 'redis',
        instanceId: this.shared.instanceId,
        staleSince: this.shared.staleSince(),
        logs,
      },
    };
  }
}
