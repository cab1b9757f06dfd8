import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { addIntervalJob, removeIntervalJobs } from '../common/interval-job';
import { ApiMetricsSettings } from './api-metrics.settings';
import { CoreSettings } from '../config/core.settings';
import { ApiMetricsService } from './api-metrics.service';
import { WriteQueue } from './write-queue';

const JOBS = ['api-metrics-flush', 'api-metrics-prune'] as const;

/** Writes queued records every API_METRICS_FLUSH_MS; deletes expired rows every prune interval. */
@Injectable()
export class ApiMetricsScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ApiMetricsScheduler');

  constructor(
    private readonly metrics: ApiMetricsService,
    private readonly queue: WriteQueue,
    private readonly registry: SchedulerRegistry,
    private readonly config: ApiMetricsSettings,
    private readonly coreConfig: CoreSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.coreConfig.JOBS_ENABLED || !this.config.API_METRICS_ENABLED) return;
    const [flush, prune] = JOBS;
    addIntervalJob(
      this.registry,
      flush,
      this.config.API_METRICS_FLUSH_MS,
      () => this.queue.flush(),
      this.logger,
    );
    addIntervalJob(
      this.registry,
      prune,
      this.config.API_METRICS_PRUNE_INTERVAL_MS,
      () => this.metrics.prune(),
      this.logger,
    );
  }

  onModuleDestroy(): void {
    removeIntervalJobs(this.registry, JOBS);
  }
}
