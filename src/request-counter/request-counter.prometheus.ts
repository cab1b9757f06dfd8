import { Injectable, OnModuleInit } from '@nestjs/common';
import { ALL, PrometheusRegistry, SHARED, perScrape } from '../common/prometheus';
import { PrometheusSettings } from '../prometheus/prometheus.settings';
import { RequestCounterSettings } from './request-counter.settings';
import { RequestCounterService } from './request-counter.service';

/** The request counter's series: its answer, and how its persistence is doing. */
@Injectable()
export class RequestCounterPrometheus implements OnModuleInit {
  constructor(
    private readonly prometheus: PrometheusRegistry,
    private readonly counter: RequestCounterService,
    private readonly promConfig: PrometheusSettings,
    private readonly config: RequestCounterSettings,
  ) {}

  onModuleInit(): void {
    if (!this.promConfig.PROMETHEUS_ENABLED || !this.config.COUNTER_ENABLED) return;
    const p = this.prometheus;
    const stats = perScrape(() => this.counter.stats());
    p.gauge(
      'beacon_recent_requests',
      `Requests received in the last COUNTER_WINDOW_SECONDS (${this.config.COUNTER_WINDOW_SECONDS} s), what GET /counter answers.`,
      () => this.counter.read().count,
      SHARED, // every instance's requests, in redis mode: the same answer on each
    );
    p.counter(
      'beacon_recent_requests_flushes_total',
      'Successful writes of new counts.',
      () => stats().flushes,
    );
    p.counter(
      'beacon_recent_requests_flush_errors_total',
      'Writes of counts that failed (counting goes on in memory).',
      () => stats().flushErrors,
    );
    p.counter(
      'beacon_recent_requests_written_bytes_total',
      'Bytes written to persist the counts.',
      () => stats().bytesWritten,
    );
    p.gauge(
      'beacon_recent_requests_persisting',
      '1 while the last write of counts succeeded.',
      () => (stats().lastError === null ? 1 : 0),
      ALL,
    );
  }
}
