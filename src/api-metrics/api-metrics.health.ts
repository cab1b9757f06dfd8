import { ApiMetricsSettings } from './api-metrics.settings';
import { Injectable } from '@nestjs/common';
import { HealthIndicator, ModuleHealth, healthy, shown } from '../common/health';
import { ApiMetricsService } from './api-metrics.service';
import { Compat002Server } from './compat-002.server';
import { LiveFeed } from './live-feed';
import { LiveRelay } from './live-relay';
import { MetricsUdpListener } from './metrics-udp.listener';

/**
 * Down, and not ready, while the database does not answer: queries fail with 503 then.
 * Ingest goes on meanwhile (records queue up to API_METRICS_QUEUE_MAX and drain when the
 * database returns), which `queued` and `droppedQueueFull` show.
 */
@Injectable()
export class ApiMetricsHealthIndicator extends HealthIndicator {
  readonly key = 'apiMetrics';

  constructor(
    private readonly metrics: ApiMetricsService,
    private readonly udp: MetricsUdpListener,
    private readonly live: LiveFeed,
    private readonly relay: LiveRelay,
    private readonly compat: Compat002Server,
    private readonly config: ApiMetricsSettings,
  ) {
    super();
  }

  async check(detailed: boolean): Promise<ModuleHealth> {
    if (!this.metrics.enabled) return healthy({ enabled: false });
    const unreachable = await this.metrics.probe();
    const stats = this.metrics.stats();
    return {
      problems: [],
      unreachable: unreachable === null ? [] : [`database: ${shown(unreachable, detailed)}`],
      details: {
        enabled: true,
        ...stats,
        lastError: shown(stats.lastError, detailed),
        // The queue is full: new records are dropped (counted in droppedQueueFull).
        atLimit: stats.queued >= this.config.API_METRICS_QUEUE_MAX,
        udp: this.udp.stats(),
        websocket: { ...this.live.stats(), relay: this.relay.stats() },
        compat002: { port: this.compat.port },
      },
    };
  }
}
