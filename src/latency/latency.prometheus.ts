import { Injectable, OnModuleInit } from '@nestjs/common';
import { PrometheusRegistry, SHARED, perScrape } from '../common/prometheus';
import { LatencySettings } from './latency.settings';
import { PrometheusSettings } from '../prometheus/prometheus.settings';
import { UNSUPPORTED_KINDS } from './statsd';
import { LatencyService } from './latency.service';
import { StatsdListener } from './statsd.listener';

const NS_PER_S = 1e9;

/**
 * The latency module's series. Each metric's P50/P95/P99 go out as a summary in seconds,
 * for the first PROMETHEUS_MAX_LATENCY_METRICS metrics by id (a scrape must stay small
 * and cheap however many metrics exist); how many were left out is its own gauge.
 */
@Injectable()
export class LatencyPrometheus implements OnModuleInit {
  constructor(
    private readonly prometheus: PrometheusRegistry,
    private readonly latency: LatencyService,
    private readonly statsd: StatsdListener,
    private readonly config: LatencySettings,
    private readonly promConfig: PrometheusSettings,
  ) {}

  onModuleInit(): void {
    if (!this.promConfig.PROMETHEUS_ENABLED) return;
    const p = this.prometheus;
    const usage = perScrape(() => this.latency.usage());
    const max = this.promConfig.PROMETHEUS_MAX_LATENCY_METRICS;
    // Every figure but memory is the shared state's, the same in every worker of a cluster.
    p.gauge(
      'beacon_latency_metrics',
      'Latency metrics that exist.',
      async () => (await usage()).metrics,
      SHARED,
    );
    p.gauge(
      'beacon_latency_samples',
      'Samples inside the metrics windows.',
      async () => (await usage()).samples,
      SHARED,
    );
    p.gauge(
      'beacon_latency_reserved_samples',
      'Sum of every metric max_samples, bounded by LATENCY_MAX_TOTAL_SAMPLES.',
      async () => (await usage()).reservedSamples,
      SHARED,
    );
    p.gauge(
      'beacon_latency_memory_bytes',
      'Memory the metrics windows hold.',
      async () => (await usage()).bytes,
    );
    p.gauge(
      'beacon_latency_metrics_unexported',
      'Metrics whose percentiles are not exported here (past PROMETHEUS_MAX_LATENCY_METRICS).',
      async () => Math.max(0, (await usage()).metrics - max),
      SHARED,
    );
    p.counter(
      'beacon_latency_metrics_expired_total',
      'Metrics created by samples and removed after LATENCY_IDLE_EXPIRY_MS without one.',
      async () => (await usage()).expiredIdle,
      SHARED,
    );
    p.counter(
      'beacon_latency_samples_refused_total',
      'Samples refused because their metric could not be created (LATENCY_MAX_METRICS or LATENCY_MAX_TOTAL_SAMPLES).',
      async () => (await usage()).refusedAtLimit,
      SHARED,
    );
    p.summary(
      'beacon_latency_seconds',
      'P50, P95 and P99 of each metric over its sliding window, in seconds; _count is the samples in the window.',
      async () =>
        (max === 0 ? [] : await this.latency.list([], max)).map((m) => ({
          labels: { metric: m.id },
          quantiles: [
            [0.5, m.p50 === null ? null : m.p50 / NS_PER_S],
            [0.95, m.p95 === null ? null : m.p95 / NS_PER_S],
            [0.99, m.p99 === null ? null : m.p99 / NS_PER_S],
          ],
          count: m.count,
        })),
      SHARED,
    );
    if (!this.config.STATSD_ENABLED) return;
    const stats = perScrape(() => this.statsd.stats());
    p.counter(
      'beacon_statsd_datagrams_received_total',
      'StatsD datagrams received.',
      () => stats().datagrams,
    );
    p.counter(
      'beacon_statsd_samples_total',
      'StatsD timings recorded as latency samples.',
      () => stats().samples,
    );
    p.counters(
      'beacon_statsd_lines_unsupported_total',
      'Valid StatsD lines of a type Beacon does not aggregate, by type.',
      ['type'],
      () => UNSUPPORTED_KINDS.map((type) => [{ type }, stats().unsupported[type]]),
    );
    p.counters(
      'beacon_statsd_lines_rejected_total',
      'StatsD lines dropped: not StatsD at all (malformed), or a metric id with its tags over 200 characters (name_too_long).',
      ['reason'],
      () => [
        [{ reason: 'malformed' }, stats().malformed],
        [{ reason: 'name_too_long' }, stats().nameTooLong],
      ],
    );
    p.counter(
      'beacon_statsd_samples_refused_total',
      'StatsD timings the latency module refused (a cap reached).',
      () => stats().refused,
    );
  }
}
