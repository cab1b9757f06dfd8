import { Module } from '@nestjs/common';
import { RocketsPrometheus } from './rockets.prometheus';
import { Environment } from '../config/environment';
import { InMemoryRocketsStore } from './in-memory-rockets.store';
import { RocketsController } from './rockets.controller';
import { RocketsHealthIndicator } from './rockets.health';
import { RocketsScheduler } from './rockets.scheduler';
import { RocketsService } from './rockets.service';
import { RocketsStore } from './rockets.store';
import { SharedRocketsStore } from './shared-rockets.store';
import { SharedState } from '../shared-state/shared-state';

@Module({
  controllers: [RocketsController],
  providers: [
    RocketsPrometheus,
    RocketsService,
    RocketsScheduler,
    RocketsHealthIndicator,
    {
      provide: RocketsStore,
      useFactory: (env: Environment, shared: SharedState): RocketsStore | Promise<RocketsStore> => {
        const local = new InMemoryRocketsStore({
          maxChannels: env.ROCKETS_MAX_CHANNELS,
          maxBufferedPerChannel: env.ROCKETS_MAX_BUFFERED_PER_CHANNEL,
          maxBuffered: env.ROCKETS_MAX_BUFFERED,
          dedupHistory: env.ROCKETS_DEDUP_HISTORY,
        });
        return shared.logged
          ? SharedRocketsStore.open(local, shared, env.SHARED_SNAPSHOT_INTERVAL_MS)
          : local;
      },
      inject: [Environment, SharedState],
    },
  ],
  exports: [RocketsHealthIndicator],
})
export class RocketsModule {}
