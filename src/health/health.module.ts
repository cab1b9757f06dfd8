import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ApiMetricsHealthIndicator } from '../api-metrics/api-metrics.health';
import { ApiMetricsModule } from '../api-metrics/api-metrics.module';
import { HealthIndicator } from '../common/health';
import { LatencyHealthIndicator } from '../latency/latency.health';
import { LatencyModule } from '../latency/latency.module';
import { RequestCounterHealthIndicator } from '../request-counter/request-counter.health';
import { RequestCounterModule } from '../request-counter/request-counter.module';
import { RocketsHealthIndicator } from '../rockets/rockets.health';
import { RocketsModule } from '../rockets/rockets.module';
import { StreamAnalysisHealthIndicator } from '../stream-analysis/stream-analysis.health';
import { StreamAnalysisModule } from '../stream-analysis/stream-analysis.module';
import { SharedStateHealthIndicator } from '../shared-state/shared-state.health';
import { HEALTH_INDICATORS, HealthController } from './health.controller';

const INDICATORS = [
  SharedStateHealthIndicator,
  LatencyHealthIndicator,
  ApiMetricsHealthIndicator,
  StreamAnalysisHealthIndicator,
  RocketsHealthIndicator,
  RequestCounterHealthIndicator,
];

/** Assembles the indicators every module exports; it knows nothing else about them. */
@Module({
  imports: [
    TerminusModule.forRoot({ logger: false }),
    LatencyModule,
    ApiMetricsModule,
    StreamAnalysisModule,
    RocketsModule,
    RequestCounterModule,
  ],
  controllers: [HealthController],
  providers: [
    {
      provide: HEALTH_INDICATORS,
      useFactory: (...indicators: HealthIndicator[]) => indicators,
      inject: INDICATORS,
    },
  ],
})
export class HealthModule {}
