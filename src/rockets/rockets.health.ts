import { Injectable } from '@nestjs/common';
import { HealthIndicator, ModuleHealth } from '../common/health';
import { RocketsSettings } from './rockets.settings';
import { RocketsService } from './rockets.service';

/**
 * Down while messages are refused for capacity: every rocket slot taken
 * (ROCKETS_MAX_CHANNELS: messages for a new rocket get 503), or every buffer slot
 * (ROCKETS_MAX_BUFFERED: out-of-order messages get 503). Known rockets still take their
 * in-order messages, so this never fails readiness.
 */
@Injectable()
export class RocketsHealthIndicator extends HealthIndicator {
  readonly key = 'rockets';

  constructor(
    private readonly rockets: RocketsService,
    private readonly config: RocketsSettings,
  ) {
    super();
  }

  async check(): Promise<ModuleHealth> {
    const stats = await this.rockets.stats();
    const problems: string[] = [];
    if (stats.channels >= this.config.ROCKETS_MAX_CHANNELS) {
      problems.push(
        `${stats.channels} rockets, the ROCKETS_MAX_CHANNELS limit: messages for new rockets get 503`,
      );
    }
    if (stats.buffered >= this.config.ROCKETS_MAX_BUFFERED) {
      problems.push(
        `${stats.buffered} out-of-order messages buffered, the ROCKETS_MAX_BUFFERED limit: ` +
          'messages that need a buffer slot get 503',
      );
    }
    return { problems, unreachable: [], details: { ...stats, atLimit: problems.length > 0 } };
  }
}
