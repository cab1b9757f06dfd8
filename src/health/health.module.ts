import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LatencyModule } from '../latency/latency.module';
import { RequestCounterModule } from '../request-counter/request-counter.module';
import { RocketsModule } from '../rockets/rockets.module';
import { CounterHealthIndicator } from './counter.health';
import { RocketsHealthIndicator } from './rockets.health';
import { HealthController } from './health.controller';
import { LatencyHealthIndicator } from './latency.health';

@Module({
  imports: [
    TerminusModule.forRoot({ logger: false }),
    LatencyModule,
    RequestCounterModule,
    RocketsModule,
  ],
  controllers: [HealthController],
  providers: [LatencyHealthIndicator, CounterHealthIndicator, RocketsHealthIndicator],
})
export class HealthModule {}
