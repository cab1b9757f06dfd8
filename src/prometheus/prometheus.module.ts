import { Module } from '@nestjs/common';
import { HttpMetricsHook } from './http-metrics.hook';
import { PrometheusController } from './prometheus.controller';

/**
 * Serves the app's Prometheus registry and times every HTTP response. The modules register
 * their own series (each has a `*.prometheus.ts`); this module knows none of them.
 */
@Module({
  controllers: [PrometheusController],
  providers: [HttpMetricsHook],
})
export class PrometheusModule {}
