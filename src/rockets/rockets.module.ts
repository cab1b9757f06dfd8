import { Module } from '@nestjs/common';
import { Environment } from '../config/environment';
import { InMemoryRocketsStore } from './in-memory-rockets.store';
import { RocketsController } from './rockets.controller';
import { RocketsHealthIndicator } from './rockets.health';
import { RocketsService } from './rockets.service';
import { RocketsStore } from './rockets.store';

@Module({
  controllers: [RocketsController],
  providers: [
    RocketsService,
    RocketsHealthIndicator,
    {
      provide: RocketsStore,
      useFactory: (env: Environment) =>
        new InMemoryRocketsStore({
          maxChannels: env.ROCKETS_MAX_CHANNELS,
          maxBufferedPerChannel: env.ROCKETS_MAX_BUFFERED_PER_CHANNEL,
          maxBuffered: env.ROCKETS_MAX_BUFFERED,
          dedupHistory: env.ROCKETS_DEDUP_HISTORY,
        }),
      inject: [Environment],
    },
  ],
  exports: [RocketsHealthIndicator],
})
export class RocketsModule {}
