import { Module } from '@nestjs/common';
import { Environment } from '../config/environment';
import { AnalysisController } from './analysis.controller';
import { AnalysisScheduler } from './analysis.scheduler';
import { AnalysisService } from './analysis.service';
import { InMemoryPostStore } from './in-memory-post.store';
import { PostStore } from './post.store';
import { StreamAnalysisHealthIndicator } from './stream-analysis.health';
import { StreamConsumer } from './stream-consumer';

@Module({
  controllers: [AnalysisController],
  providers: [
    AnalysisService,
    StreamConsumer,
    AnalysisScheduler,
    StreamAnalysisHealthIndicator,
    {
      provide: PostStore,
      useFactory: (env: Environment) =>
        new InMemoryPostStore(env.STREAM_BUCKET_MS, env.STREAM_MAX_POSTS),
      inject: [Environment],
    },
  ],
  exports: [StreamAnalysisHealthIndicator],
})
export class StreamAnalysisModule {}
