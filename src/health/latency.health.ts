import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Environment } from '../config/environment';
import { LatencyService } from '../latency/latency.service';
import { StatsdListener } from '../latency/statsd.listener';

/**
 * The latency module is in memory: up whenever the store answers. Reaching the metric
 * limit is reported, not treated as "down": existing metrics still take samples, and a
 * failing readiness probe would pull the whole instance out of its load balancer.
 */
@Injectable()
export class LatencyHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly latency: LatencyService,
    private readonly env: Environment,
    private readonly statsd: StatsdListener,
  ) {}

  async check(key = 'latency'): Promise<HealthIndicatorResult> {
    const usage = await this.latency.usage();
    return this.indicators.check(key).up({
      metrics: usage.metrics,
      maxMetrics: this.env.LATENCY_MAX_METRICS,
      atMetricLimit: usage.metrics >= this.env.LATENCY_MAX_METRICS,
      samples: usage.samples,
      bytes: usage.bytes,
      statsd: this.env.STATSD_ENABLED ? this.statsd.stats() : { enabled: false },
    });
  }
}
