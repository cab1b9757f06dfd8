import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { addIntervalJob, removeIntervalJobs } from '../common/interval-job';
import { CoreSettings } from '../config/core.settings';
import { RocketsSettings } from './rockets.settings';
import { RocketsService } from './rockets.service';

const JOB = 'rockets-expire-pending';

/**
 * Drops rockets that never launched and went silent (ROCKETS_PENDING_EXPIRY_MS), so a
 * flood of one-message rockets frees ROCKETS_MAX_CHANNELS by itself.
 */
@Injectable()
export class RocketsScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RocketsScheduler.name);

  constructor(
    private readonly rockets: RocketsService,
    private readonly registry: SchedulerRegistry,
    private readonly coreConfig: CoreSettings,
    private readonly config: RocketsSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.coreConfig.JOBS_ENABLED || this.config.ROCKETS_PENDING_EXPIRY_MS === 0) return;
    addIntervalJob(
      this.registry,
      JOB,
      this.config.ROCKETS_EXPIRY_INTERVAL_MS,
      () => this.rockets.expirePending(),
      this.logger,
    );
  }

  onModuleDestroy(): void {
    removeIntervalJobs(this.registry, [JOB]);
  }
}
