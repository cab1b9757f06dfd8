import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { addIntervalJob, removeIntervalJobs } from '../common/interval-job';
import { CoreSettings } from '../config/core.settings';
import { StreamSettings } from './stream-analysis.settings';
import { AnalysisService } from './analysis.service';

const JOB = 'stream-prune';

/** Drops posts that arrived more than 24 h ago. */
@Injectable()
export class AnalysisScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AnalysisScheduler');

  constructor(
    private readonly analysis: AnalysisService,
    private readonly registry: SchedulerRegistry,
    private readonly coreConfig: CoreSettings,
    private readonly config: StreamSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.coreConfig.JOBS_ENABLED) return;
    addIntervalJob(
      this.registry,
      JOB,
      this.config.STREAM_PRUNE_INTERVAL_MS,
      () => this.analysis.prune(),
      this.logger,
    );
  }

  onModuleDestroy(): void {
    removeIntervalJobs(this.registry, [JOB]);
  }
}
