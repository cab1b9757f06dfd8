import { Injectable, OnModuleInit } from '@nestjs/common';
import { ALL, PrometheusRegistry, perScrape } from '../common/prometheus';
import { PrometheusSettings } from '../prometheus/prometheus.settings';
import { StateSettings } from '../shared-state/state.settings';
import { ApiMetricsService } from './api-metrics.service';
import { LiveFeed } from './live-feed';
import { LiveRelay } from './live-relay';
import { MALFORMED_REASONS } from './metrics-datagram';
import { MetricsUdpListener } from './metrics-udp.listener';

/**
 * The api-metrics module's series: UDP ingest, the write queue and the database, and the
 * live WebSocket feed (Beacon's `/ws` and the seed-002 listener's share it).
 */
@Injectable()
export class ApiMetricsPrometheus implements OnModuleInit {
  constructor(
    private readonly prometheus: PrometheusRegistry,
    private readonly metrics: ApiMetricsService,
    private readonly udp: MetricsUdpListener,
    private readonly live: LiveFeed,
    private readonly relay: LiveRelay,
    private readonly promConfig: PrometheusSettings,
    private readonly stateConfig: StateSettings,
  ) {}

  onModuleInit(): void {
    if (!this.promConfig.PROMETHEUS_ENABLED || !this.metrics.enabled) return;
    const p = this.prometheus;
    const udp = perScrape(() => this.udp.stats());
    const db = perScrape(() => this.metrics.stats());
    p.counter(
      'beacon_api_metrics_datagrams_received_total',
      'UDP datagrams received.',
      () => udp().datagrams,
    );
    p.counter(
      'beacon_api_metrics_records_received_total',
      'MetricsData records decoded.',
      () => udp().records,
    );
    p.counters(
      'beacon_api_metrics_datagrams_malformed_total',
      'Datagrams dropped as malformed, by reason.',
      ['reason'],
      () => MALFORMED_REASONS.map((reason) => [{ reason }, udp().malformed[reason] ?? 0]),
    );
    p.counters(
      'beacon_api_metrics_sequence_total',
      'Per-sender sequence accounting: lost (gaps), duplicates (dropped), late, restarts.',
      ['kind'],
      () => {
        const s = udp().sequence;
        return [
          [{ kind: 'lost' }, s.lost],
          [{ kind: 'duplicate' }, s.duplicates],
          [{ kind: 'late' }, s.late],
          [{ kind: 'restart' }, s.restarts],
        ];
      },
    );
    p.gauge(
      'beacon_api_metrics_queue_records',
      'Records waiting to be written.',
      () => db().queued,
    );
    p.counters(
      'beacon_api_metrics_records_dropped_total',
      'Records not stored: queue_full (API_METRICS_QUEUE_MAX), out_of_range (timestamp), rejected (the database refused their batch as invalid).',
      ['reason'],
      () => {
        const s = db();
        return [
          [{ reason: 'queue_full' }, s.droppedQueueFull],
          [{ reason: 'out_of_range' }, s.outOfRange],
          [{ reason: 'rejected' }, s.rejectedByDatabase],
        ];
      },
    );
    p.counter(
      'beacon_api_metrics_rows_written_total',
      'Rows written to the database.',
      () => db().written,
    );
    p.counter(
      'beacon_api_metrics_write_errors_total',
      'Batch writes that failed (retried with backoff).',
      () => db().failedWrites,
    );
    p.gauge(
      'beacon_api_metrics_database_up',
      '1 while the database answers.',
      () => (db().database === 'up' ? 1 : 0),
      ALL,
    );
    p.counter(
      'beacon_api_metrics_rows_pruned_total',
      'Rows deleted past the retention.',
      () => db().pruned,
    );

    const ws = perScrape(() => this.live.stats());
    p.gauge('beacon_websocket_clients', 'WebSocket clients of the live feed.', () => ws().clients);
    p.counter(
      'beacon_websocket_messages_sent_total',
      'WebSocket messages sent, over all clients (one may carry several records).',
      () => ws().messages,
    );
    p.counter(
      'beacon_websocket_records_sent_total',
      'Records delivered, over all clients.',
      () => ws().delivered,
    );
    p.counter(
      'beacon_websocket_records_dropped_total',
      'Records a slow client lost (it is told with a dropped notice).',
      () => ws().dropped,
    );
    p.counters(
      'beacon_websocket_clients_closed_total',
      'Clients closed by Beacon: lag (behind for WS_MAX_LAG_MS), dead (no pong), full (WS_MAX_CLIENTS reached at connect).',
      ['reason'],
      () => {
        const s = ws();
        return [
          [{ reason: 'lag' }, s.closedSlow],
          [{ reason: 'dead' }, s.closedDead],
          [{ reason: 'full' }, s.refusedFull],
        ];
      },
    );
    if (this.stateConfig.STATE_BACKEND !== 'redis') return;
    p.counters(
      'beacon_websocket_relay_records_total',
      'Redis mode: live records relayed to other instances (sent), from them (received), lost to a Redis outage (dropped).',
      ['direction'],
      () => {
        const s = this.relay.stats();
        return [
          [{ direction: 'sent' }, s.sent],
          [{ direction: 'received' }, s.received],
          [{ direction: 'dropped' }, s.dropped],
        ];
      },
    );
  }
}
