import { Global, Module } from '@nestjs/common';
import { HttpSettings } from '../http/http.settings';
import { StateSettings } from '../shared-state/state.settings';
import { SharedClock } from '../shared-state/shared-clock';
import { ApiKeys } from '../http/api-keys';
import { Clock, MonotonicClock } from './clock';
import { PrometheusRegistry } from './prometheus';
import { ShutdownReport } from './shutdown-report';

@Global()
@Module({
  providers: [
    {
      provide: Clock,
      // Redis mode: every instance on one Redis keeps the same time.
      useFactory: (state: StateSettings): Clock | Promise<Clock> =>
        state.STATE_BACKEND === 'redis' ? SharedClock.start(state.redis) : new MonotonicClock(),
      inject: [StateSettings],
    },
    {
      provide: ApiKeys,
      useFactory: (http: HttpSettings) => new ApiKeys(http.apiKeys, http.API_KEYS_FOR_READS),
      inject: [HttpSettings],
    },
    ShutdownReport,
    PrometheusRegistry,
  ],
  exports: [Clock, ApiKeys, ShutdownReport, PrometheusRegistry],
})
export class CommonModule {}
