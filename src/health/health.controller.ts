import {
  Controller,
  Get,
  HttpStatus,
  Inject,
  Req,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
} from '@nestjs/terminus';
import type { EdgeRequest, EdgeResponse } from '../http/edge-types';
import { ApiKeys } from '../http/api-keys';
import { HealthIndicator } from '../common/health';

export const HEALTH_INDICATORS = Symbol('HEALTH_INDICATORS');

type Probe = 'full' | 'ready';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly results: HealthIndicatorService,
    @Inject(HEALTH_INDICATORS) private readonly indicators: HealthIndicator[],
    private readonly keys: ApiKeys,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({
    summary: 'Full health report',
    description:
      'Every module with its figures. 200 while every module can do all of its work; 503, ' +
      'with each failing module under `error` and its `problems`, while any cannot: a cap ' +
      'reached (new metrics or rockets refused), a state file that cannot be written, an ' +
      'upstream stream that cannot be reached, a database that does not answer. Each module ' +
      'with a cap says `atLimit`. File paths, URLs and raw error text are shown only to a ' +
      'caller with an API key, or, when API_KEYS is off, to one on loopback; others see ' +
      '"hidden (…)" in their place.',
  })
  check(
    @Req() req: EdgeRequest,
    @Res({ passthrough: true }) res: EdgeResponse,
  ): Promise<HealthCheckResult> {
    return this.run('full', res, this.keys.maySeeDetails(req));
  }

  @Get('live')
  @SkipThrottle()
  @ApiOperation({
    summary: 'Liveness: the process is up and answering',
    description:
      'Always 200 `{"status": "ok"}` while the process serves HTTP; it checks nothing else.',
  })
  @ApiOkResponse({ description: 'The process is up.', schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @SkipThrottle()
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: every dependency a module needs to serve is reachable',
    description:
      '503 naming the module (under `error`) while a dependency it cannot serve without is ' +
      'unreachable: the api-metrics database, Redis in redis mode, and a disk that refuses ' +
      "writes to a module's local state (`sharedState` names the module). Caps and a failing " +
      'upstream stream do not fail ' +
      'readiness: the instance still serves, and pulling it from its load balancer would ' +
      'only make that worse.',
  })
  ready(
    @Req() req: EdgeRequest,
    @Res({ passthrough: true }) res: EdgeResponse,
  ): Promise<HealthCheckResult> {
    return this.run('ready', res, this.keys.maySeeDetails(req));
  }

  private async run(
    probe: Probe,
    res: EdgeResponse,
    detailed: boolean,
  ): Promise<HealthCheckResult> {
    try {
      return await this.health.check(
        this.indicators.map((i) => () => this.indicate(i, probe, detailed)),
      );
    } catch (err) {
      // Terminus reports "not ready" by throwing its report; answer with the report itself.
      if (!(err instanceof ServiceUnavailableException)) throw err;
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      return err.getResponse() as HealthCheckResult;
    }
  }

  private async indicate(indicator: HealthIndicator, probe: Probe, detailed: boolean) {
    const h = await indicator.check(detailed);
    const failing = probe === 'ready' ? h.unreachable : [...h.unreachable, ...h.problems];
    const result = this.results.check(indicator.key);
    if (probe === 'ready') {
      return failing.length > 0 ? result.down({ unreachable: failing }) : result.up();
    }
    return failing.length > 0
      ? result.down({ problems: failing, ...h.details })
      : result.up(h.details);
  }
}
