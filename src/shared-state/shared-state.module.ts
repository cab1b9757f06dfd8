import { Global, Module } from '@nestjs/common';
import { SharedStatePrometheus } from './shared-state.prometheus';
import { SharedState } from './shared-state';
import { SharedStateHealthIndicator } from './shared-state.health';

/** STATE_BACKEND=redis: the shared logs' common settings and their health. */
@Global()
@Module({
  providers: [SharedStatePrometheus, SharedState, SharedStateHealthIndicator],
  exports: [SharedState, SharedStateHealthIndicator],
})
export class SharedStateModule {}
