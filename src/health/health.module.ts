import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LatencyModule } from '../latency/latency.module';
import { HealthController } from './health.controller';
import { LatencyHealthIndicator } from './latency.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), LatencyModule],
  controllers: [HealthController],
  providers: [LatencyHealthIndicator],
})
export class HealthModule {}
