import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { addIntervalJob, removeIntervalJobs } from '../common/interval-job';
import { CoreSettings } from '../config/core.settings';
import { LatencySettings } from './latency.settings';
import { LatencyService } from './latency.service';

const JOB = 'latency-prune';

/**
 * Evicts expired samples on a timer so idle metrics do not hold memory, and removes
 * implicit metrics idle past LATENCY_IDLE_EXPIRY_MS, so a burst of names frees itself.
 */
@Injectable()
export class LatencyScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LatencyScheduler.name);

  constructor(
    private readonly service: LatencyService,
    private readonly registry: SchedulerRegistry,
    private readonly coreConfig: CoreSettings,
    private readonly config: LatencySettings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.coreConfig.JOBS_ENABLED) return;
    addIntervalJob(
      this.registry,
      JOB,
      this.config.LATENCY_PRUNE_INTERVAL_MS,
      async () => {
        await this.service.expireIdle();
        return this.service.pruneExpired();
      },
      this.logger,
    );
  }

  onModuleDestroy(): void {
    removeIntervalJobs(this.registry, [JOB]);
  }
}
