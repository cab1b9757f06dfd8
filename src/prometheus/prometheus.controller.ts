import { Controller, Get, Header } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import cluster from 'node:cluster';
import { jsonErrorResponse } from '../common/error-response.dto';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { NotFoundError, UnavailableError } from '../common/domain-errors';
import { PrometheusRegistry } from '../common/prometheus';
import { CoreSettings } from '../config/core.settings';
import { PrometheusSettings } from './prometheus.settings';
import { ClusterScrapeClient } from './cluster-scrape';

const EXAMPLE = [
  '# HELP beacon_latency_seconds P50, P95 and P99 of each metric over its sliding window, in seconds.',
  '# TYPE beacon_latency_seconds summary',
  'beacon_latency_seconds{metric="checkout",quantile="0.5"} 0.012',
  'beacon_latency_seconds{metric="checkout",quantile="0.95"} 0.041',
  'beacon_latency_seconds{metric="checkout",quantile="0.99"} 0.097',
  'beacon_latency_seconds_count{metric="checkout"} 1200',
].join('\n');

@ApiTags('operations')
@Controller('prometheus')
export class PrometheusController {
  /** WORKERS > 1: scrapes go through the cluster's primary, which combines every worker. */
  private readonly cluster: ClusterScrapeClient | null = null;

  constructor(
    private readonly prometheus: PrometheusRegistry,
    private readonly config: PrometheusSettings,
    core: CoreSettings,
  ) {
    // Process and Node runtime series (CPU, memory, event loop lag, GC, handles).
    if (!config.PROMETHEUS_ENABLED) return;
    collectDefaultMetrics({ register: prometheus.registry });
    // Gauges named like counters, which `promtool check metrics` rejects; the same
    // figures by type (`nodejs_active_handles{type=…}` …) stay, and sum to these.
    for (const name of ['handles', 'requests', 'resources']) {
      prometheus.registry.removeSingleMetric(`nodejs_active_${name}_total`);
    }
    if (!cluster.isWorker || core.WORKERS < 2) return;
    // Combined over the workers: the newest start (when the summed counters last went
    // back), and one process's fd limit, not their sums. prom-client would omit the first.
    for (const name of ['process_start_time_seconds', 'process_max_fds']) {
      const metric = prometheus.registry.getSingleMetric(name) as
        { aggregator?: string } | undefined;
      if (metric) metric.aggregator = 'max';
    }
    this.cluster = new ClusterScrapeClient(prometheus.registry);
  }

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/plain')
  @ApiOperation({
    summary: 'Prometheus exposition of every module',
    description:
      'The Prometheus text format (version 0.0.4): process and Node runtime series, ' +
      '`beacon_http_request_duration_seconds` by route template and status, and each ' +
      "module's figures (latency percentiles as a summary per metric, for the first " +
      'PROMETHEUS_MAX_LATENCY_METRICS metrics by id). With WORKERS > 1, one scrape covers ' +
      'every worker: counters summed, figures of the shared state taken once. ' +
      'docs/operations.md lists every series and has a scrape config. 404 with ' +
      'PROMETHEUS_ENABLED=false.',
  })
  @ApiOkResponse({
    description: 'The exposition, read from the modules at the moment of the scrape.',
    content: { 'text/plain': { schema: { type: 'string' }, example: EXAMPLE } },
  })
  @ApiNotFoundResponse(
    jsonErrorResponse(
      404,
      'The exposition is off (PROMETHEUS_ENABLED=false).',
      'The Prometheus exposition is off (PROMETHEUS_ENABLED=false)',
    ),
  )
  @ApiServiceUnavailableResponse(
    jsonErrorResponse(
      503,
      'WORKERS > 1: a worker did not hand its figures over in time (it is starting or ' +
        'stopping); no partial exposition is given. Scrape again.',
      'The cluster exposition is unavailable: 1 worker(s) did not answer in time',
    ),
  )
  async scrape(): Promise<string> {
    if (!this.config.PROMETHEUS_ENABLED) {
      throw new NotFoundError('The Prometheus exposition is off (PROMETHEUS_ENABLED=false)');
    }
    if (!this.cluster) return this.prometheus.registry.metrics();
    try {
      return await this.cluster.scrape();
    } catch (err) {
      throw new UnavailableError(
        `The cluster exposition is unavailable: ${err instanceof Error ? err.message : String(err)}`,
        1,
      );
    }
  }
}
