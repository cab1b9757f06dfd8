import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../common/clock';
import { NotFoundError } from '../common/domain-errors';
import { ShutdownReport } from '../common/shutdown-report';
import { Periodic } from '../jobs/periodic';
import { RequestCounterSettings } from './request-counter.settings';
import { CounterStoreStats, RequestCounterStore } from './request-counter.store';

export interface CounterReading {
  count: number;
  windowSeconds: number;
}

@Injectable()
export class RequestCounterService implements OnApplicationShutdown {
  readonly enabled: boolean;
  readonly windowSeconds: number;

  constructor(
    private readonly store: RequestCounterStore,
    private readonly clock: Clock,
    config: RequestCounterSettings,
    private readonly shutdown: ShutdownReport,
  ) {
    this.enabled = config.COUNTER_ENABLED;
    this.windowSeconds = config.COUNTER_WINDOW_SECONDS;
  }

  /** Called for every HTTP request, before routing. */
  hit(): void {
    this.store.record(this.clock.now());
  }

  read(): CounterReading {
    if (!this.enabled) {
      throw new NotFoundError('The request counter is disabled (COUNTER_ENABLED=false)');
    }
    return { count: this.store.count(this.clock.now()), windowSeconds: this.windowSeconds };
  }

  /** The flush job's work: append what arrived since the last flush. */
  @Periodic({
    name: 'request-counter-flush',
    settings: RequestCounterSettings,
    every: 'COUNTER_FLUSH_MS',
    enabledWhen: (s) => s.COUNTER_ENABLED,
  })
  flush(): Promise<void> {
    return this.store.flush();
  }

  stats(): CounterStoreStats {
    return this.store.stats();
  }

  /** Runs after the HTTP server has closed, so no request arrives after the final flush. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    if (!this.enabled) return;
    const { file, lastError } = this.store.stats();
    this.shutdown.add('requestCounter', {
      countFlushed: this.store.count(this.clock.now()),
      file,
      ...(lastError === null ? {} : { lastError }),
    });
  }
}
