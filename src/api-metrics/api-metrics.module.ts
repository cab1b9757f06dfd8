import { Logger, Module } from '@nestjs/common';
import { Environment } from '../config/environment';
import { LatencyModule } from '../latency/latency.module';
import { ApiMetricsController } from './api-metrics.controller';
import { ApiMetricsGateway } from './api-metrics.gateway';
import { ApiMetricsScheduler } from './api-metrics.scheduler';
import { ApiMetricsService, retentionMs } from './api-metrics.service';
import { ApiMetricsStore } from './api-metrics.store';
import { LiveFeed } from './live-feed';
import { MetricsUdpListener } from './metrics-udp.listener';
import { SqlApiMetricsStore } from './sql-api-metrics.store';
import { openPglite, openPostgres } from './sql-engine';

@Module({
  imports: [LatencyModule],
  controllers: [ApiMetricsController],
  providers: [
    ApiMetricsService,
    ApiMetricsScheduler,
    ApiMetricsGateway,
    LiveFeed,
    MetricsUdpListener,
    {
      provide: ApiMetricsStore,
      useFactory: (env: Environment) => {
        const logger = new Logger('PostgreSQL');
        const connect = env.DATABASE_URL
          ? async () =>
              openPostgres(env.DATABASE_URL, (err) =>
                logger.warn(`idle connection lost: ${err.message}`),
              )
          : () => openPglite(env.DATA_DIR);
        return new SqlApiMetricsStore(connect, retentionMs(env.API_METRICS_RETENTION));
      },
      inject: [Environment],
    },
  ],
  exports: [ApiMetricsService, MetricsUdpListener, LiveFeed],
})
export class ApiMetricsModule {}
