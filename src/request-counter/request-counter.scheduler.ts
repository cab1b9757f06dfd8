import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Environment } from '../config/environment';
import { RequestCounterService } from './request-counter.service';

const JOB = 'request-counter-flush';

/** Appends new counts to the file every COUNTER_FLUSH_MS. Failures are logged by the store. */
@Injectable()
export class RequestCounterScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly counter: RequestCounterService,
    private readonly registry: SchedulerRegistry,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.JOBS_ENABLED || !this.env.COUNTER_ENABLED) return;
    const timer = setInterval(() => void this.counter.flush(), this.env.COUNTER_FLUSH_MS);
    timer.unref();
    this.registry.addInterval(JOB, timer);
  }

  onModuleDestroy(): void {
    if (this.registry.doesExist('interval', JOB)) this.registry.deleteInterval(JOB);
  }
}
