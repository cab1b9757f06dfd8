import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Environment } from '../config/environment';
import { ApiMetricsService } from './api-metrics.service';

const FLUSH = 'api-metrics-flush';
const PRUNE = 'api-metrics-prune';

/** Writes queued records every API_METRICS_FLUSH_MS; deletes expired rows every prune interval. */
@Injectable()
export class ApiMetricsScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly metrics: ApiMetricsService,
    private readonly registry: SchedulerRegistry,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.JOBS_ENABLED || !this.env.API_METRICS_ENABLED) return;
    this.add(FLUSH, () => void this.metrics.flush(), this.env.API_METRICS_FLUSH_MS);
    this.add(PRUNE, () => void this.metrics.prune(), this.env.API_METRICS_PRUNE_INTERVAL_MS);
  }

  onModuleDestroy(): void {
    for (const job of [FLUSH, PRUNE]) {
      if (this.registry.doesExist('interval', job)) this.registry.deleteInterval(job);
    }
  }

  private add(name: string, run: () => void, everyMs: number): void {
    const timer = setInterval(run, everyMs);
    timer.unref();
    this.registry.addInterval(name, timer);
  }
}
