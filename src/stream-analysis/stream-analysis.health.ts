import { Injectable } from '@nestjs/common';
import { HealthIndicator, ModuleHealth, healthy } from '../common/health';
import { AnalysisService } from './analysis.service';
import { StreamConsumer } from './stream-consumer';

/**
 * Down while the upstream stream cannot be reached (a connection attempt failed and none
 * has succeeded since): no new posts arrive, though queries over what is kept still
 * answer. Not a readiness failure: the upstream is someone else's service, and the other
 * modules must stay reachable whatever it does.
 */
@Injectable()
export class StreamAnalysisHealthIndicator extends HealthIndicator {
  readonly key = 'streamAnalysis';

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly analysis: AnalysisService,
  ) {
    super();
  }

  async check(): Promise<ModuleHealth> {
    const s = this.consumer.status();
    if (s.state === 'disabled') return healthy({ enabled: false });
    const u = await this.analysis.usage();
    const details = {
      enabled: true,
      state: s.state,
      eventsReceived: s.eventsReceived,
      postsReceived: s.postsReceived,
      parseErrors: s.parseErrors,
      reconnects: s.reconnects,
      postsRetained: u.postsRetained,
    };
    const cut = s.state !== 'connected' && s.lastError !== null;
    return {
      problems: cut ? [`upstream stream unreachable: ${s.lastError}`] : [],
      unreachable: [],
      details,
    };
  }
}
