import { Module } from '@nestjs/common';
import { StreamAnalysisPrometheus } from './stream-analysis.prometheus';
import { StreamSettings } from './stream-analysis.settings';
import { AnalysisController } from './analysis.controller';
import { AnalysisService } from './analysis.service';
import { InMemoryPostStore } from './in-memory-post.store';
import { PostStore } from './post.store';
import { StreamAnalysisHealthIndicator } from './stream-analysis.health';
import { StreamConsumer } from './stream-consumer';
import { SharedPostStore } from './shared-post.store';
import { StreamLeadership } from './stream-leadership';
import { SharedState } from '../shared-state/shared-state';

@Module({
  controllers: [AnalysisController],
  providers: [
    StreamAnalysisPrometheus,
    AnalysisService,
    StreamConsumer,
    StreamAnalysisHealthIndicator,
    StreamLeadership,
    {
      provide: PostStore,
      useFactory: (
        config: StreamSettings,
        shared: SharedState,
        leadership: StreamLeadership,
      ): PostStore | Promise<PostStore> => {
        const local = new InMemoryPostStore(config.STREAM_BUCKET_MS, config.STREAM_MAX_POSTS);
        return shared.logged
          ? SharedPostStore.open(local, shared, leadership, config.STREAM_OUTAGE_BUFFER_POSTS)
          : local;
      },
      inject: [StreamSettings, SharedState, StreamLeadership],
    },
  ],
  exports: [StreamAnalysisHealthIndicator],
})
export class StreamAnalysisModule {}
