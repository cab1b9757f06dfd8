import { Injectable } from '@nestjs/common';
import { HealthIndicator, ModuleHealth, shown } from '../common/health';
import { RequestCounterService } from './request-counter.service';

/**
 * Down while its state file cannot be written: the count stays exact in memory, but a
 * restart now would lose what was not written. Not a readiness failure: counting goes on,
 * and the next successful write rewrites the whole window.
 */
@Injectable()
export class RequestCounterHealthIndicator extends HealthIndicator {
  readonly key = 'requestCounter';

  constructor(private readonly counter: RequestCounterService) {
    super();
  }

  async check(detailed: boolean): Promise<ModuleHealth> {
    const s = this.counter.stats();
    return {
      problems: s.lastError === null ? [] : [shown(s.lastError, detailed)],
      unreachable: [],
      details: {
        enabled: this.counter.enabled,
        file: shown(s.file, detailed),
        persisting: s.lastError === null,
        lastError: shown(s.lastError, detailed),
        lastFlushAt: s.lastFlushAt === null ? null : new Date(s.lastFlushAt).toISOString(),
        bytesWritten: s.bytesWritten,
        flushes: s.flushes,
        compactions: s.compactions,
        loadMs: Math.round(s.loadMs * 100) / 100,
      },
    };
  }
}
