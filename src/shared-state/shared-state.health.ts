import { Injectable } from '@nestjs/common';
import { HealthIndicator, ModuleHealth, healthy } from '../common/health';
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

  async check(): Promise<ModuleHealth> {
    if (!this.shared.enabled) return healthy({ backend: 'memory' });
    const problem = await this.shared.unreachable();
    return {
      problems: [],
      unreachable: problem === null ? [] : [`redis: ${problem}`],
      details: {
        backend: 'redis',
        instanceId: this.shared.instanceId,
        staleSince: this.shared.staleSince(),
        logs: this.shared.statuses(),
      },
    };
  }
}
