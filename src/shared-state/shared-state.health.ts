import { Injectable } from '@nestjs/common';
import { HealthIndicator, ModuleHealth, healthy, shown } from '../common/health';
import { SharedState } from './shared-state';

/**
 * Where module state lives. Not ready while writes cannot succeed: Redis does not answer,
 * refuses writes, or this instance waits for a re-seed after Redis lost its data (redis
 * mode; reads still answer from the local state, flagged Beacon-Stale), or the disk
 * refuses a module's log (local mode; that module's writes answer 503). Down, not unready,
 * while snapshots fail (the log grows), and while Redis lost a log's data and no instance
 * has re-seeded it yet. What start-up found damaged and dropped (a torn
 * tail after kill -9 is the common case) is shown in each log's `damage`, not an alarm.
 */
@Injectable()
export class SharedStateHealthIndicator extends HealthIndicator {
  readonly key = 'sharedState';

  constructor(private readonly shared: SharedState) {
    super();
  }

  async check(detailed: boolean): Promise<ModuleHealth> {
    if (!this.shared.logged) return healthy({ backend: 'memory', volatile: true });
    const logs = this.shared.statuses().map((l) => ({
      ...l,
      lastSnapshotError: shown(l.lastSnapshotError, detailed),
      writeError: shown(l.writeError, detailed),
      damage: detailed ? l.damage : l.damage.map(() => shown('damage', false)),
    }));
    // A log whose snapshots fail is never trimmed: the disk (or Redis) grows until they work again.
    const problems = logs
      .filter((l) => l.lastSnapshotError !== null)
      .map((l) => `${l.name}: snapshots fail, so its log is not trimmed: ${l.lastSnapshotError}`)
      // Redis lost a log's data: this instance still holds it, new ones may not yet.
      .concat(logs.filter((l) => l.dataLoss !== null).map((l) => `${l.name}: ${l.dataLoss}`));
    const unreachable: string[] = [];
    if (this.shared.shared) {
      const problem = await this.shared.problem();
      if (problem !== null) unreachable.push(`redis: ${shown(problem, detailed)}`);
    } else {
      for (const l of logs) {
        if (l.writeError !== null) unreachable.push(`${l.name}: ${l.writeError}`);
      }
    }
    return {
      problems,
      unreachable,
      details: {
        backend: this.shared.backend,
        instanceId: this.shared.instanceId,
        staleSince: this.shared.staleSince(),
        logs,
      },
    };
  }
}
