import { Global, Module } from '@nestjs/common';
import { Environment } from '../config/environment';
import { SharedClock } from '../shared-state/shared-clock';
import { ApiKeys } from './api-keys';
import { Clock, MonotonicClock } from './clock';
import { PrometheusRegistry } from './prometheus';
import { ShutdownReport } from './shutdown-report';

@Global()
@Module({
  providers: [
    {
      provide: Clock,
      // Redis mode: every instance on one Redis keeps the same time.
      useFactory: (env: Environment): Clock | Promise<Clock> =>
        env.STATE_BACKEND === 'redis'
          ? SharedClock.start({ url: env.REDIS_URL, prefix: env.REDIS_PREFIX })
          : new MonotonicClock(),
      inject: [Environment],
    },
    {
      provide: ApiKeys,
      useFactory: (env: Environment) => new ApiKeys(env.apiKeys, env.API_KEYS_FOR_READS),
      inject: [Environment],
    },
    ShutdownReport,
    PrometheusRegistry,
  ],
  exports: [Clock, ApiKeys, ShutdownReport, PrometheusRegistry],
})
export class CommonModule {}
