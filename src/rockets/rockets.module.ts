import { Module } from '@nestjs/common';
import { RocketsPrometheus } from './rockets.prometheus';
import { StateSettings } from '../shared-state/state.settings';
import { RocketsSettings } from './rockets.settings';
import { InMemoryRocketsStore } from './in-memory-rockets.store';
import { RocketsController } from './rockets.controller';
import { RocketsHealthIndicator } from './rockets.health';
import { RocketsService } from './rockets.service';
import { RocketsStore } from './rockets.store';
import { SharedRocketsStore } from './shared-rockets.store';
import { SharedState } from '../shared-state/shared-state';

@Module({
  controllers: [RocketsController],
  providers: [
    RocketsPrometheus,
    RocketsService,
    RocketsHealthIndicator,
    {
      provide: RocketsStore,
      useFactory: (
        config: RocketsSettings,
        state: StateSettings,
        shared: SharedState,
      ): RocketsStore | Promise<RocketsStore> => {
        const local = new InMemoryRocketsStore({
          maxChannels: config.ROCKETS_MAX_CHANNELS,
          maxBufferedPerChannel: config.ROCKETS_MAX_BUFFERED_PER_CHANNEL,
          maxBuffered: config.ROCKETS_MAX_BUFFERED,
          dedupHistory: config.ROCKETS_DEDUP_HISTORY,
        });
        return shared.logged
          ? SharedRocketsStore.open(local, shared, state.SHARED_SNAPSHOT_INTERVAL_MS)
          : local;
      },
      inject: [RocketsSettings, StateSettings, SharedState],
    },
  ],
  exports: [RocketsHealthIndicator],
})
export class RocketsModule {}
