import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Environment } from '../config/environment';
import { LatencyService } from './latency.service';

const JOB = 'latency-prune';

/** Evicts expired samples on a timer so idle metrics do not hold memory. */
@Injectable()
export class LatencyScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LatencyScheduler.name);

  constructor(
    private readonly service: LatencyService,
    private readonly registry: SchedulerRegistry,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.JOBS_ENABLED) return;
    const timer = setInterval(() => void this.prune(), this.env.LATENCY_PRUNE_INTERVAL_MS);
    timer.unref();
    this.registry.addInterval(JOB, timer);
  }

  onModuleDestroy(): void {
    if (this.registry.doesExist('interval', JOB)) this.registry.deleteInterval(JOB);
  }

  private async prune(): Promise<void> {
    try {
      const evicted = await this.service.pruneExpired();
      if (evicted > 0) this.logger.debug({ evicted }, 'pruned expired latency samples');
    } catch (err) {
      this.logger.error(err, 'latency prune failed');
    }
  }
}
