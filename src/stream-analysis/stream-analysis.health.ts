import { Injectable } from '@nestjs/common';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
  /** How long ingest could not run: the longest event-loop delay since the last report. */
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly analysis: AnalysisService,
  ) {
    super();
    this.delay.enable();
  }

  async check(): Promise<ModuleHealth> {
    const s = this.consumer.status();
    if (s.state === 'disabled') return healthy({ enabled: false });
    const u = await this.analysis.usage();
    const details = {
      enabled: true,
      state: s.state,
      leader: s.leader,
      eventsReceived: s.eventsReceived,
      postsReceived: s.postsReceived,
      parseErrors: s.parseErrors,
      reconnects: s.reconnects,
      postsRetained: u.postsRetained,
      eventLoopDelayMaxMs: Math.round(this.delay.max / 1e4) / 100,
      ...(u.sharing ? { sharing: u.sharing } : {}),
    };
    this.delay.reset();
    // Only the instance that holds the connection can be cut off from the upstream.
    const cut = s.leader && s.state !== 'connected' && s.lastError !== null;
    return {
      problems: cut ? [`upstream stream unreachable: ${s.lastError}`] : [],
      unreachable: [],
      details,
    };
  }
}
