import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { RequestCounterService } from '../request-counter/request-counter.service';

/**
 * The counter always counts (memory holds the truth); a failing disk only puts
 * durability at risk, so it is reported in the details, not as "down".
 */
@Injectable()
export class CounterHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly counter: RequestCounterService,
  ) {}

  check(key = 'requestCounter'): HealthIndicatorResult {
    const s = this.counter.stats();
    return this.indicators.check(key).up({
      enabled: this.counter.enabled,
      file: s.file,
      persisting: s.lastError === null,
      lastError: s.lastError,
      lastFlushAt: s.lastFlushAt === null ? null : new Date(s.lastFlushAt).toISOString(),
      bytesWritten: s.bytesWritten,
      flushes: s.flushes,
      compactions: s.compactions,
      loadMs: Math.round(s.loadMs * 100) / 100,
    });
  }
}
