import { Controller, Get, Header } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { jsonErrorResponse } from '../common/error-response.dto';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { NotFoundError } from '../common/domain-errors';
import { PrometheusRegistry } from '../common/prometheus';
import { PrometheusSettings } from './prometheus.settings';

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
  constructor(
    private readonly prometheus: PrometheusRegistry,
    private readonly config: PrometheusSettings,
  ) {
    // Process and Node runtime series (CPU, memory, event loop lag, GC, handles).
    if (!config.PROMETHEUS_ENABLED) return;
    collectDefaultMetrics({ register: prometheus.registry });
    // Gauges named like counters, which `promtool check metrics` rejects; the same
    // figures by type (`nodejs_active_handles{type=…}` …) stay, and sum to these.
    for (const name of ['handles', 'requests', 'resources']) {
      prometheus.registry.removeSingleMetric(`nodejs_active_${name}_total`);
    }
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
      'PROMETHEUS_MAX_LATENCY_METRICS metrics by id). docs/operations.md lists every series ' +
      'and has a scrape config. 404 with PROMETHEUS_ENABLED=false.',
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
  async scrape(): Promise<string> {
    if (!this.config.PROMETHEUS_ENABLED) {
      throw new NotFoundError('The Prometheus exposition is off (PROMETHEUS_ENABLED=false)');
    }
    return this.prometheus.registry.metrics();
  }
}
