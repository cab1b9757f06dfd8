import { Injectable, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock';
import { PrometheusRegistry, SHARED, perScrape } from '../common/prometheus';
import { PrometheusSettings } from '../prometheus/prometheus.settings';
import { AnalysisService } from './analysis.service';
import { StreamConsumer } from './stream-consumer';

/** The stream-analysis module's series: the upstream connection and the posts kept. */
@Injectable()
export class StreamAnalysisPrometheus implements OnModuleInit {
  constructor(
    private readonly prometheus: PrometheusRegistry,
    private readonly consumer: StreamConsumer,
    private readonly analysis: AnalysisService,
    private readonly clock: Clock,
    private readonly config: PrometheusSettings,
  ) {}

  onModuleInit(): void {
    if (!this.config.PROMETHEUS_ENABLED) return;
    const p = this.prometheus;
    const status = perScrape(() => this.consumer.status());
    const lastEvent = () => {
      const at = status().lastEventAt;
      return at === null ? null : Date.parse(at);
    };
    p.gauge(
      'beacon_stream_connected',
      '1 while this instance holds an open upstream SSE connection.',
      () => (status().state === 'connected' ? 1 : 0),
    );
    p.gauge(
      'beacon_stream_leader',
      '1 while this instance is the one that consumes the upstream (always 1 in memory mode when enabled).',
      () => (status().leader ? 1 : 0),
    );
    p.counter('beacon_stream_events_total', 'SSE events received.', () => status().eventsReceived);
    p.counter(
      'beacon_stream_posts_total',
      'Posts parsed from the events.',
      () => status().postsReceived,
    );
    p.counter(
      'beacon_stream_parse_errors_total',
      'Events that were not a post Beacon could read.',
      () => status().parseErrors,
    );
    p.counter(
      'beacon_stream_reconnects_total',
      'Upstream reconnections.',
      () => status().reconnects,
    );
    p.gauge(
      'beacon_stream_last_event_timestamp_seconds',
      'When the last upstream event arrived (Unix seconds); absent before the first.',
      () => {
        const at = lastEvent();
        return at === null ? null : at / 1000;
      },
      'max', // in a cluster: the latest any worker saw
    );
    p.gauge(
      'beacon_stream_lag_seconds',
      'Seconds since the last upstream event arrived; absent before the first.',
      () => {
        const at = lastEvent();
        return at === null ? null : Math.max(0, this.clock.now() - at) / 1000;
      },
      'min',
    );
    const usage = perScrape(() => this.analysis.usage());
    p.gauge(
      'beacon_stream_posts_retained',
      'Posts kept for the 24 h window.',
      async () => (await usage()).postsRetained,
      SHARED, // every instance folds every post
    );
    p.counter(
      'beacon_stream_posts_evicted_total',
      'Posts dropped early because STREAM_MAX_POSTS was reached.',
      async () => (await usage()).evictedForMemory,
      SHARED,
    );
    p.gauge(
      'beacon_stream_memory_bytes',
      'Memory the kept posts hold.',
      async () => (await usage()).bytes,
    );
  }
}
