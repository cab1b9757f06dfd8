import { Global, Module } from '@nestjs/common';
import { Clock, MonotonicClock } from './clock';

@Global()
@Module({
  providers: [{ provide: Clock, useClass: MonotonicClock }],
  exports: [Clock],
})
export class CommonModule {}
