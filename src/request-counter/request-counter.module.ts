import { Logger, Module } from '@nestjs/common';
import { RequestCounterPrometheus } from './request-counter.prometheus';
import { Clock } from '../common/clock';
import { CoreSettings } from '../config/core.settings';
import { RequestCounterSettings } from './request-counter.settings';
import { FileRequestCounterStore } from './file-request-counter.store';
import { RequestCounterController } from './request-counter.controller';
import { RequestCounterHealthIndicator } from './request-counter.health';
import { RequestCounterHook } from './request-counter.hook';
import { RequestCounterService } from './request-counter.service';
import { RequestCounterStore } from './request-counter.store';
import { SharedRequestCounterStore } from './shared-request-counter.store';
import { SharedState } from '../shared-state/shared-state';

@Module({
  controllers: [RequestCounterController],
  providers: [
    RequestCounterPrometheus,
    RequestCounterService,
    RequestCounterHook,
    RequestCounterHealthIndicator,
    {
      provide: RequestCounterStore,
      // Disabled, the counter keeps no file and touches no disk. Redis mode: a shared log.
      useFactory: (
        config: RequestCounterSettings,
        core: CoreSettings,
        clock: Clock,
        shared: SharedState,
      ): Promise<RequestCounterStore> => {
        const windowMs = config.COUNTER_WINDOW_SECONDS * 1000;
        if (shared.shared && config.COUNTER_ENABLED) {
          return SharedRequestCounterStore.open(windowMs, clock, shared);
        }
        return FileRequestCounterStore.open({
          dir: config.COUNTER_ENABLED ? core.DATA_DIR : null,
          windowMs,
          clock,
          logger: new Logger('RequestCounter'),
        });
      },
      inject: [RequestCounterSettings, CoreSettings, Clock, SharedState],
    },
  ],
  exports: [RequestCounterHealthIndicator],
})
export class RequestCounterModule {}
