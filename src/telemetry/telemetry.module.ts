import { Global, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { CoreSettings } from '../config/core.settings';
import { stopTracing } from './tracing';

/** Longest the stop waits for the last spans to be exported (at most a quarter of the stop's budget). */
const FLUSH_MS = 2000;

/** Exports the spans still buffered when Beacon stops; nothing when tracing is off. */
@Injectable()
class TracingFlush implements OnApplicationShutdown {
  private readonly logger = new Logger('Tracing');

  constructor(private readonly core: CoreSettings) {}

  async onApplicationShutdown(): Promise<void> {
    const withinMs = Math.min(FLUSH_MS, this.core.SHUTDOWN_TIMEOUT_MS / 4);
    if (!(await stopTracing(withinMs))) {
      this.logger.warn(`the last spans were not exported within ${withinMs} ms: dropped`);
    }
  }
}

/**
 * Tracing starts before Nest (telemetry/start-tracing.ts); this module only ends it.
 * Global because Nest stops global modules last: the spans of requests that finish while
 * the other modules stop are exported too.
 */
@Global()
@Module({ providers: [TracingFlush] })
export class TelemetryModule {}
