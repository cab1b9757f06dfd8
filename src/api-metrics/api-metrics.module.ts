import { Logger, Module } from '@nestjs/common';
import { ApiMetricsPrometheus } from './api-metrics.prometheus';
import { Clock } from '../common/clock';
import { CoreSettings } from '../config/core.settings';
import { ApiMetricsSettings } from './api-metrics.settings';
import { LatencyModule } from '../latency/latency.module';
import { ApiMetricsController } from './api-metrics.controller';
import { ApiMetricsGateway } from './api-metrics.gateway';
import { ApiMetricsHealthIndicator } from './api-metrics.health';
import { ApiMetricsService } from './api-metrics.service';
import { ApiMetricsStore } from './api-metrics.store';
import { Compat002Server } from './compat-002.server';
import { LiveFeed } from './live-feed';
import { LiveRelay } from './live-relay';
import { MetricsUdpListener } from './metrics-udp.listener';
import { SqlApiMetricsStore } from './sql-api-metrics.store';
import { EngineOptions, openEmbedded, openPostgres } from '../infra/postgres/sql-engine';
import { WriteQueue } from './write-queue';

@Module({
  imports: [LatencyModule],
  controllers: [ApiMetricsController],
  providers: [
    ApiMetricsPrometheus,
    ApiMetricsService,
    ApiMetricsGateway,
    ApiMetricsHealthIndicator,
    Compat002Server,
    LiveFeed,
    LiveRelay,
    MetricsUdpListener,
    {
      provide: ApiMetricsStore,
      useFactory: (config: ApiMetricsSettings, core: CoreSettings) => {
        const logger = new Logger('PostgreSQL');
        const events: EngineOptions = {
          readTimeoutMs: config.API_METRICS_QUERY_TIMEOUT_MS,
          onIdleError: (err) => logger.warn(`idle connection lost: ${err.message}`),
          onServerLog: (line) => logger.warn(line),
          onServerStarted: (server) =>
            logger.log(
              `embedded PostgreSQL ${server.initialised ? 'created and ' : ''}started in ` +
                `${Math.round(server.startMs)} ms`,
            ),
        };
        const connect = config.DATABASE_URL
          ? async () => openPostgres(config.DATABASE_URL, events)
          : () => openEmbedded(core.DATA_DIR, events);
        return new SqlApiMetricsStore(connect, config.apiMetricsRetentionMs);
      },
      inject: [ApiMetricsSettings, CoreSettings],
    },
    {
      provide: WriteQueue,
      useFactory: (store: ApiMetricsStore, clock: Clock, config: ApiMetricsSettings) =>
        new WriteQueue(
          async (batch) => {
            await store.open();
            await store.append(batch);
          },
          clock,
          {
            batchMax: config.API_METRICS_BATCH_MAX,
            queueMax: config.API_METRICS_QUEUE_MAX,
            backoffMaxMs: config.API_METRICS_BACKOFF_MAX_MS,
          },
        ),
      inject: [ApiMetricsStore, Clock, ApiMetricsSettings],
    },
  ],
  exports: [ApiMetricsHealthIndicator],
})
export class ApiMetricsModule {}
