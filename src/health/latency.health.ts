import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Environment } from '../config/environment';
import { LatencyService } from '../latency/latency.service';

/** Ready while the latency store answers and has room for at least one more metric. */
@Injectable()
export class LatencyHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly latency: LatencyService,
    private readonly env: Environment,
  ) {}

  async check(key = 'latency'): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    const usage = await this.latency.usage();
    const details = {
      metrics: usage.metrics,
      maxMetrics: this.env.LATENCY_MAX_METRICS,
      samples: usage.samples,
      bytes: usage.bytes,
    };
    return usage.metrics < this.env.LATENCY_MAX_METRICS
      ? indicator.up(details)
      : indicator.down({ ...details, reason: 'metric limit reached' });
  }
}
