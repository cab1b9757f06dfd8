import { StreamSettings } from './stream-analysis.settings';
import { Injectable } from '@nestjs/common';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { HealthIndicator, ModuleHealth, healthy, shown } from '../common/health';
import { AnalysisService } from './analysis.service';
import { ConsumerStatus, StreamConsumer } from './stream-consumer';
import { StreamLeadership } from './stream-leadership';

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
    private readonly leadership: StreamLeadership,
    private readonly config: StreamSettings,
  ) {
    super();
    this.delay.enable();
  }

  async check(detailed: boolean): Promise<ModuleHealth> {
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
      // STREAM_MAX_POSTS reached: each new post evicts the oldest (counted in the store).
      atLimit: u.postsRetained >= this.config.STREAM_MAX_POSTS,
      eventLoopDelayMaxMs: Math.round(this.delay.max / 1e4) / 100,
      ...(u.sharing ? { sharing: u.sharing } : {}),
    };
    this.delay.reset();
    const problems = await this.problems(s, detailed);
    return { problems, unreachable: [], details };
  }

  /**
   * The upstream as the instance that holds the connection sees it: this one (memory mode,
   * or the leader), or what the leader last published, so every instance says the same.
   */
  private async problems(s: ConsumerStatus, detailed: boolean): Promise<string[]> {
    if (!this.leadership.shared || s.leader) {
      const cut = s.state !== 'connected' && s.lastError !== null;
      return cut ? [`upstream stream unreachable: ${shown(s.lastError, detailed)}`] : [];
    }
    const report = await this.leadership.upstream().catch(() => undefined);
    if (report === undefined) return []; // Redis away: sharedState says so
    if (report === null) return ['no instance holds the upstream connection'];
    return report.connected || report.lastError === null
      ? []
      : [`upstream stream unreachable: ${shown(report.lastError, detailed)}`];
  }
}
