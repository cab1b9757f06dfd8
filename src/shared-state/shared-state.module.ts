import { Global, Module } from '@nestjs/common';
import { FileIo, NodeFileIo } from './file-log';
import { SharedStatePrometheus } from './shared-state.prometheus';
import { SharedState } from './shared-state';
import { SharedStateHealthIndicator } from './shared-state.health';

/** Where module state lives (STATE_BACKEND): the logs' common settings and their health. */
@Global()
@Module({
  providers: [
    SharedStatePrometheus,
    SharedState,
    SharedStateHealthIndicator,
    { provide: FileIo, useClass: NodeFileIo },
  ],
  exports: [SharedState, SharedStateHealthIndicator],
})
export class SharedStateModule {}
