import { Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import type { Response } from 'express';
import { ApiMetricsHealthIndicator } from './api-metrics.health';
import { CounterHealthIndicator } from './counter.health';
import { LatencyHealthIndicator } from './latency.health';
import { RocketsHealthIndicator } from './rockets.health';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly latency: LatencyHealthIndicator,
    private readonly counter: CounterHealthIndicator,
    private readonly rockets: RocketsHealthIndicator,
    private readonly apiMetrics: ApiMetricsHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({
    summary: 'Liveness and readiness',
    description:
      'Answers 200 while the process is up and every module can take work, 503 with the ' +
      'failing modules in `error` otherwise. Both carry the same health report.',
  })
  async check(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.latency.check(),
        () => this.counter.check(),
        () => this.rockets.check(),
        () => this.apiMetrics.check(),
      ]);
    } catch (err) {
      // Terminus reports "not ready" by throwing its report; answer with the report itself.
      if (!(err instanceof ServiceUnavailableException)) throw err;
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      return err.getResponse() as HealthCheckResult;
    }
  }
}
