import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ApiMetricsModule } from '../api-metrics/api-metrics.module';
import { LatencyModule } from '../latency/latency.module';
import { RequestCounterModule } from '../request-counter/request-counter.module';
import { RocketsModule } from '../rockets/rockets.module';
import { ApiMetricsHealthIndicator } from './api-metrics.health';
import { CounterHealthIndicator } from './counter.health';
import { RocketsHealthIndicator } from './rockets.health';
import { HealthController } from './health.controller';
import { LatencyHealthIndicator } from './latency.health';

@Module({
  imports: [
    TerminusModule.forRoot({ logger: false }),
    LatencyModule,
    ApiMetricsModule,
    RequestCounterModule,
    RocketsModule,
  ],
  controllers: [HealthController],
  providers: [
    ApiMetricsHealthIndicator,
    LatencyHealthIndicator,
    CounterHealthIndicator,
    RocketsHealthIndicator,
  ],
})
export class HealthModule {}
