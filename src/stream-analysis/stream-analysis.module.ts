import { Module } from '@nestjs/common';
import { StreamAnalysisPrometheus } from './stream-analysis.prometheus';
import { Environment } from '../config/environment';
import { AnalysisController } from './analysis.controller';
import { AnalysisScheduler } from './analysis.scheduler';
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
    AnalysisScheduler,
    StreamAnalysisHealthIndicator,
    StreamLeadership,
    {
      provide: PostStore,
      useFactory: (
        env: Environment,
        shared: SharedState,
        leadership: StreamLeadership,
      ): PostStore | Promise<PostStore> => {
        const local = new InMemoryPostStore(env.STREAM_BUCKET_MS, env.STREAM_MAX_POSTS);
        return shared.logged
          ? SharedPostStore.open(local, shared, leadership, env.STREAM_OUTAGE_BUFFER_POSTS)
          : local;
      },
      inject: [Environment, SharedState, StreamLeadership],
    },
  ],
  exports: [StreamAnalysisHealthIndicator],
})
export class StreamAnalysisModule {}
