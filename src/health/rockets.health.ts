import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { RocketsService } from '../rockets/rockets.service';

/** In memory: up while it answers. Counts tell an operator about duplicates and refusals. */
@Injectable()
export class RocketsHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly rockets: RocketsService,
  ) {}

  async check(key = 'rockets'): Promise<HealthIndicatorResult> {
    return this.indicators.check(key).up({ ...(await this.rockets.stats()) });
  }
}
