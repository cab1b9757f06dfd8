import { Global, Module } from '@nestjs/common';
import { SharedState } from './shared-state';
import { SharedStateHealthIndicator } from './shared-state.health';

/** STATE_BACKEND=redis: the shared logs' common settings and their health. */
@Global()
@Module({
  providers: [SharedState, SharedStateHealthIndicator],
  exports: [SharedState, SharedStateHealthIndicator],
})
export class SharedStateModule {}
