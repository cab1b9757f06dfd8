import { Global, Module } from '@nestjs/common';
import { Environment } from '../config/environment';
import { SharedClock } from '../shared-state/shared-clock';
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
    ShutdownReport,
    PrometheusRegistry,
  ],
  exports: [Clock, ShutdownReport, PrometheusRegistry],
})
export class CommonModule {}
