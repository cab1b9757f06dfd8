import { Module } from '@nestjs/common';
import { LatencyPrometheus } from './latency.prometheus';
import { StateSettings } from '../shared-state/state.settings';
import { LatencySettings } from './latency.settings';
import { InMemoryLatencyStore } from './in-memory-latency.store';
import { LatencyController } from './latency.controller';
import { LatencyHealthIndicator } from './latency.health';
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
    LatencyHealthIndicator,
    StatsdListener,
    {
      provide: LatencyStore,
      useFactory: (
        config: LatencySettings,
        state: StateSettings,
        shared: SharedState,
      ): LatencyStore | Promise<LatencyStore> => {
        const local = new InMemoryLatencyStore({
          defaults: { windowMs: config.LATENCY_WINDOW_MS, maxSamples: config.LATENCY_MAX_SAMPLES },
          maxMetrics: config.LATENCY_MAX_METRICS,
          maxTotalSamples: config.LATENCY_MAX_TOTAL_SAMPLES,
        });
        return shared.logged
          ? SharedLatencyStore.open(local, shared, state.SHARED_SNAPSHOT_INTERVAL_MS)
          : local;
      },
      inject: [LatencySettings, StateSettings, SharedState],
    },
  ],
  exports: [LatencyService, LatencyHealthIndicator],
})
export class LatencyModule {}
