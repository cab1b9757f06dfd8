import { Injectable } from '@nestjs/common';
import { HealthIndicator, ModuleHealth } from '../common/health';
import { LatencySettings } from './latency.settings';
import { LatencyService } from './latency.service';
import { StatsdListener } from './statsd.listener';

/**
 * Down while the module refuses new metrics (409): LATENCY_MAX_METRICS reached, or too
 * little of LATENCY_MAX_TOTAL_SAMPLES left for a metric of the default size. Existing
 * metrics keep taking samples, so this never fails readiness: pulling the instance out of
 * its load balancer would stop those too.
 */
@Injectable()
export class LatencyHealthIndicator extends HealthIndicator {
  readonly key = 'latency';

  constructor(
    private readonly latency: LatencyService,
    private readonly config: LatencySettings,
    private readonly statsd: StatsdListener,
  ) {
    super();
  }

  async check(): Promise<ModuleHealth> {
    const usage = await this.latency.usage();
    const { LATENCY_MAX_METRICS: maxMetrics, LATENCY_MAX_TOTAL_SAMPLES: budget } = this.config;
    const atMetricLimit = usage.metrics >= maxMetrics;
    const atSampleBudget = usage.reservedSamples + this.config.LATENCY_MAX_SAMPLES > budget;
    const problems: string[] = [];
    if (atMetricLimit) {
      problems.push(`${usage.metrics} metrics, the LATENCY_MAX_METRICS limit: new metrics get 409`);
    }
    if (atSampleBudget) {
      problems.push(
        `${usage.reservedSamples} of ${budget} samples reserved (LATENCY_MAX_TOTAL_SAMPLES): ` +
          'new metrics of the default size get 409',
      );
    }
    return {
      problems,
      unreachable: [],
      details: {
        metrics: usage.metrics,
        maxMetrics,
        atMetricLimit,
        atLimit: atMetricLimit || atSampleBudget,
        samples: usage.samples,
        reservedSamples: usage.reservedSamples,
        bytes: usage.bytes,
        expiredIdle: usage.expiredIdle,
        refusedAtLimit: usage.refusedAtLimit,
        statsd: this.config.STATSD_ENABLED ? this.statsd.stats() : { enabled: false },
      },
    };
  }
}
