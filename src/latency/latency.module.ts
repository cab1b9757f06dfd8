import { Module } from '@nestjs/common';
import { LatencyPrometheus } from './latency.prometheus';
import { Environment } from '../config/environment';
import { InMemoryLatencyStore } from './in-memory-latency.store';
import { LatencyController } from './latency.controller';
import { LatencyHealthIndicator } from './latency.health';
import { LatencyScheduler } from './latency.scheduler';
import { LatencyService } from './latency.service';
import { LatencyStore } from './latency.store';
import { SharedState } from '../shared-state/shared-state';
import { SharedLatencyStore } from './shared-latency.store';
import { StatsdListener } from './statsd.listener';

@Module({
  controllers: [LatencyController],
  providers: [
    LatencyPrometheus,
    LatencyService,
    LatencyScheduler,
    LatencyHealthIndicator,
    StatsdListener,
    {
      provide: LatencyStore,
      useFactory: (env: Environment, shared: SharedState): LatencyStore | Promise<LatencyStore> => {
        const local = new InMemoryLatencyStore({
          defaults: { windowMs: env.LATENCY_WINDOW_MS, maxSamples: env.LATENCY_MAX_SAMPLES },
          maxMetrics: env.LATENCY_MAX_METRICS,
          maxTotalSamples: env.LATENCY_MAX_TOTAL_SAMPLES,
        });
        return shared.logged
          ? SharedLatencyStore.open(local, shared, env.SHARED_SNAPSHOT_INTERVAL_MS)
          : local;
      },
      inject: [Environment, SharedState],
    },
  ],
  exports: [LatencyService, LatencyHealthIndicator],
})
export class LatencyModule {}
