import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Environment } from '../config/environment';
import { AnalysisService } from './analysis.service';

const JOB = 'stream-prune';

/** Drops posts that arrived more than 24 h ago. */
@Injectable()
export class AnalysisScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly analysis: AnalysisService,
    private readonly registry: SchedulerRegistry,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.JOBS_ENABLED) return;
    const timer = setInterval(() => void this.analysis.prune(), this.env.STREAM_PRUNE_INTERVAL_MS);
    timer.unref();
    this.registry.addInterval(JOB, timer);
  }

  onModuleDestroy(): void {
    if (this.registry.doesExist('interval', JOB)) this.registry.deleteInterval(JOB);
  }
}
