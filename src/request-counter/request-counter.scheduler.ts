import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { addIntervalJob, removeIntervalJobs } from '../common/interval-job';
import { CoreSettings } from '../config/core.settings';
import { RequestCounterSettings } from './request-counter.settings';
import { RequestCounterService } from './request-counter.service';

const JOB = 'request-counter-flush';

/** Appends new counts to the file every COUNTER_FLUSH_MS. Failures are logged by the store. */
@Injectable()
export class RequestCounterScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RequestCounterScheduler');

  constructor(
    private readonly counter: RequestCounterService,
    private readonly registry: SchedulerRegistry,
    private readonly coreConfig: CoreSettings,
    private readonly config: RequestCounterSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.coreConfig.JOBS_ENABLED || !this.config.COUNTER_ENABLED) return;
    addIntervalJob(
      this.registry,
      JOB,
      this.config.COUNTER_FLUSH_MS,
      () => this.counter.flush(),
      this.logger,
    );
  }

  onModuleDestroy(): void {
    removeIntervalJobs(this.registry, [JOB]);
  }
}
