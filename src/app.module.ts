import { DynamicModule, Module, RequestMethod, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE, DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { ApiMetricsModule } from './api-metrics/api-metrics.module';
import { CommonModule } from './common/common.module';
import type { IncomingMessage } from 'node:http';
import { AllowedMethods } from './http/allowed-methods';
import { requestIdOf } from './http/request-id';
import { ErrorFilter } from './http/error.filter';
import { RateLimitModule } from './http/rate-limit.module';
import { BeaconConfigModule } from './config/config.module';
import { CoreSettings } from './config/core.settings';
import { HttpSettings } from './http/http.settings';
import { JobsModule } from './jobs/jobs.module';
import { HealthModule } from './health/health.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { LatencyModule } from './latency/latency.module';
import { PrometheusModule } from './prometheus/prometheus.module';
import { RequestCounterModule } from './request-counter/request-counter.module';
import { RocketsModule } from './rockets/rockets.module';
import { SharedStateModule } from './shared-state/shared-state.module';
import { StreamAnalysisModule } from './stream-analysis/stream-analysis.module';
import { TelemetryModule } from './telemetry/telemetry.module';

@Module({})
export class AppModule {
  /**
   * @param env where settings come from: `process.env` in production, a literal in tests,
   *            so that several apps in one test process never share configuration.
   */
  static forRoot(env: Record<string, unknown> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // AllowedMethods reads the controllers' routes.
        DiscoveryModule,
        TelemetryModule,
        BeaconConfigModule.forRoot(env),
        LoggerModule.forRootAsync({
          inject: [CoreSettings, HttpSettings],
          useFactory: (core: CoreSettings, http: HttpSettings) => ({
            pinoHttp: {
              // The request log line (LOG_REQUESTS) and every line logged while it is
              // handled carry the id the gate echoes in X-Request-Id.
              genReqId: (req: IncomingMessage) => requestIdOf(req),
              level: core.LOG_LEVEL,
              quietReqLogger: true,
              // API keys never reach a log line.
              redact: {
                paths: [
                  'req.headers.authorization',
                  'req.headers["x-api-key"]',
                  'req.headers["sec-websocket-protocol"]',
                ],
                censor: '[redacted]',
              },
            },
            // The per-request middleware (child logger, AsyncLocalStorage) costs a third
            // of a small request's time, so it is mounted only when requests are logged.
            forRoutes: http.LOG_REQUESTS ? [{ path: '*path', method: RequestMethod.ALL }] : [],
          }),
        }),
        ScheduleModule.forRoot(),
        JobsModule,
        CommonModule,
        RateLimitModule,
        SharedStateModule,
        HealthModule,
        LatencyModule,
        ApiMetricsModule,
        RequestCounterModule,
        RocketsModule,
        StreamAnalysisModule,
        PrometheusModule,
        DashboardModule,
      ],
      providers: [
        // Registered here, not in main.ts, so apps built in tests validate exactly like production.
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
          }),
        },
        AllowedMethods,
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
