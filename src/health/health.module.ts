import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LatencyModule } from '../latency/latency.module';
import { RequestCounterModule } from '../request-counter/request-counter.module';
import { CounterHealthIndicator } from './counter.health';
import { HealthController } from './health.controller';
import { LatencyHealthIndicator } from './latency.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), LatencyModule, RequestCounterModule],
  controllers: [HealthController],
  providers: [LatencyHealthIndicator, CounterHealthIndicator],
})
export class HealthModule {}
