import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { ApiMetricsService } from '../api-metrics/api-metrics.service';
import { LiveFeed } from '../api-metrics/live-feed';
import { MetricsUdpListener } from '../api-metrics/metrics-udp.listener';

/**
 * Up while records can be taken: a database outage shows as `database: "down"` with the
 * queue filling, not as "down" for the instance, because ingest keeps working and the
 * queue drains when the database returns.
 */
@Injectable()
export class ApiMetricsHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly metrics: ApiMetricsService,
    private readonly udp: MetricsUdpListener,
    private readonly live: LiveFeed,
  ) {}

  check(key = 'apiMetrics'): HealthIndicatorResult {
    if (!this.metrics.enabled) return this.indicators.check(key).up({ enabled: false });
    return this.indicators.check(key).up({
      enabled: true,
      ...this.metrics.stats(),
      udp: this.udp.stats(),
      websocket: this.live.stats(),
    });
  }
}
