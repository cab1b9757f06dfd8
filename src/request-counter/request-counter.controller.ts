import { Controller, Get, Req, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { EdgeRequest, EdgeResponse } from '../http/edge-types';
import { preferredType } from '../http/negotiation';
import { errorResponse } from '../common/error-response.dto';
import { CounterDto } from './dto/counter.dto';
import { RequestCounterService } from './request-counter.service';

@ApiTags('request-counter')
@ApiExtraModels(CounterDto)
@Controller('counter')
export class RequestCounterController {
  constructor(private readonly counter: RequestCounterService) {}

  @Get()
  @ApiOperation({
    summary: 'Requests received in the last window',
    description:
      'Exact count, to the millisecond, of every HTTP request the server received in the ' +
      'last COUNTER_WINDOW_SECONDS (any path, method or outcome, this request included). ' +
      'The count survives restarts; docs/design.md says what a crash can lose. ' +
      "JSON by default; `Accept: text/plain` gets the seed's one-line answer.",
  })
  @ApiOkResponse({
    description:
      'The count, in the media type the request accepts: `application/json` (the default, ' +
      'a CounterDto) or `text/plain` (the seed-004 line, a CounterText). A generated client ' +
      'asks for one with `Accept` and gets that type.',
    content: {
      'application/json': {
        schema: { $ref: getSchemaPath(CounterDto) },
        example: { count: 1234, windowSeconds: 60 },
      },
      'text/plain': {
        schema: {
          title: 'CounterText',
          type: 'string',
          description: "Sent for `Accept: text/plain`: the seed-004 server's one line.",
          pattern: '^Requests in past \\d+ seconds: \\d+$',
        },
        example: 'Requests in past 60 seconds: 1234',
      },
    },
  })
  @ApiNotFoundResponse(
    errorResponse(
      404,
      'The counter is disabled (COUNTER_ENABLED=false).',
      'The request counter is disabled (COUNTER_ENABLED=false)',
    ),
  )
  read(
    @Req() req: EdgeRequest,
    @Res({ passthrough: true }) res: EdgeResponse,
  ): CounterDto | string {
    const { count, windowSeconds } = this.counter.read();
    if (preferredType(req, ['application/json', 'text/plain']) === 'text/plain') {
      res.type('text/plain');
      return `Requests in past ${windowSeconds} seconds: ${count}`;
    }
    return { count, windowSeconds };
  }
}
