import { Global, Module } from '@nestjs/common';
import { Clock, MonotonicClock } from './clock';
import { ShutdownReport } from './shutdown-report';

@Global()
@Module({
  providers: [{ provide: Clock, useClass: MonotonicClock }, ShutdownReport],
  exports: [Clock, ShutdownReport],
})
export class CommonModule {}
