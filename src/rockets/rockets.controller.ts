import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { EdgeResponse as Response } from '../http/edge-types';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { errorResponse } from '../common/error-response.dto';
import { MessageAcceptedDto, RocketMessageDto } from './dto/rocket-message.dto';
import {
  ListRocketsQueryDto,
  RocketStateDto,
  RocketSummaryDto,
  toRocketStateDto,
} from './dto/rocket-state.dto';
import { RocketMessage } from './rocket-message';
import { RocketMessagePipe } from './rocket-message.pipe';
import { RocketsService } from './rockets.service';

const ROCKET_ID_PARAM = {
  name: 'id',
  description:
    'The channel of the rocket, percent-encoded as a path segment (a `/` in it as `%2F`).',
};

@ApiTags('rockets')
@Controller()
export class RocketsController {
  constructor(private readonly rockets: RocketsService) {}

  @Post('messages')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Receive one rocket message',
    description:
      'At-least-once, any order. Per channel, messages are applied strictly in ' +
      '`messageNumber` order from 1; early ones are buffered until the gap fills; a number ' +
      'seen before is a `duplicate` (a different payload under a seen number keeps the ' +
      'first copy); after `RocketExploded`, later messages are `ignored`.',
  })
  @ApiBody({ type: RocketMessageDto })
  @ApiAcceptedResponse({ type: MessageAcceptedDto, description: 'Taken; see `status`.' })
  @ApiBadRequestResponse(
    errorResponse(
      400,
      'Malformed envelope, unknown messageType, bad or unknown payload fields; nothing changed.',
      [
        'metadata.messageNumber must not be less than 1',
        'message.launchSpeed must be an integer number (for messageType RocketLaunched)',
      ],
    ),
  )
  @ApiPayloadTooLargeResponse(
    errorResponse(413, 'Body larger than BODY_LIMIT.', 'Request body is larger than BODY_LIMIT'),
  )
  @ApiServiceUnavailableResponse(
    errorResponse(
      503,
      'No room to buffer an out-of-order message or to track another rocket, or the state ' +
        'could not be written (local: the disk refuses writes; redis mode: Redis is ' +
        'unreachable, full or read-only). Send it again after Retry-After seconds: when the ' +
        'message says the write "may or may not have been recorded" (redis mode: Redis did ' +
        'not answer within REDIS_WRITE_TIMEOUT_MS), the resent message is then a duplicate.',
      'Rocket 193270a9-c9cf-404a-8f83-838e71d9ae67 already holds 10000 out-of-order messages ' +
        '(ROCKETS_MAX_BUFFERED_PER_CHANNEL); retry once the gap before 10002 fills',
    ),
  )
  receive(@Body(RocketMessagePipe) message: RocketMessage): Promise<MessageAcceptedDto> {
    return this.rockets.accept(message);
  }

  @Get('rockets')
  @ApiOperation({
    summary: 'All rockets, sorted (or one page of them)',
    description:
      'Default order: id ascending. Ties break by id; missing values sort last. With `limit`, ' +
      'one page, and while more follow a `Link` header with the next page URL and its ' +
      '`Beacon-Next-Cursor`.',
  })
  @ApiOkResponse({
    type: RocketSummaryDto,
    isArray: true,
    description: 'Every rocket, or the page asked for.',
    headers: {
      Link: {
        description:
          'With `limit`, while more rockets follow: `</rockets?…&cursor=…>; rel="next"`.',
        schema: { type: 'string' },
      },
      'Beacon-Next-Cursor': {
        description: 'With `limit`, while more rockets follow: the next page `cursor`.',
        schema: { type: 'string' },
      },
    },
  })
  @ApiBadRequestResponse(
    errorResponse(
      400,
      'Unknown sort field or order, a bad limit or a cursor not from this order.',
      [
        'sort must be one of the following values: id, type, speed, mission, status, updatedAt (any case)',
      ],
    ),
  )
  async list(
    @Query() query: ListRocketsQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    // Serialised by the service and reused while nothing changed: 10,000 rockets are
    // about 1.3 MB of JSON, and building it was most of this endpoint's time.
    res.type('application/json');
    const { json, next } = await this.rockets.listPage(
      query.sort,
      query.order,
      query.limit,
      query.cursor,
    );
    if (next !== null) {
      const params = new URLSearchParams({
        ...(query.sort ? { sort: query.sort } : {}),
        ...(query.order ? { order: query.order } : {}),
        limit: String(query.limit ?? ''),
        cursor: next,
      });
      res.header('Link', `</rockets?${params.toString()}>; rel="next"`);
      res.header('Beacon-Next-Cursor', next);
    }
    return json;
  }

  @Get('rockets/:id')
  @ApiParam(ROCKET_ID_PARAM)
  @ApiOperation({
    summary: 'One rocket',
    description: 'Its state from every message applied so far, and how many wait in its buffer.',
  })
  @ApiOkResponse({ type: RocketStateDto, description: 'The rocket.' })
  @ApiNotFoundResponse(
    errorResponse(
      404,
      'No message for this channel yet.',
      'No rocket with id "193270a9-c9cf-404a-8f83-838e71d9ae67"',
    ),
  )
  async get(@Param('id') id: string): Promise<RocketStateDto> {
    return toRocketStateDto(await this.rockets.get(id));
  }

  @Delete('rockets/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiParam(ROCKET_ID_PARAM)
  @ApiOperation({
    summary: 'Forget a rocket',
    description:
      'Removes its state and its buffered messages (counted as `discarded`), freeing its slot ' +
      'under ROCKETS_MAX_CHANNELS. A message for the channel that arrives later (a resent ' +
      'one included) starts a new rocket. Rockets that never launch also go by themselves ' +
      'after ROCKETS_PENDING_EXPIRY_MS of silence.',
  })
  @ApiNoContentResponse({ description: 'Forgotten.' })
  @ApiNotFoundResponse(
    errorResponse(
      404,
      'No such rocket.',
      'No rocket with id "193270a9-c9cf-404a-8f83-838e71d9ae67"',
    ),
  )
  @ApiServiceUnavailableResponse(
    errorResponse(
      503,
      'The state could not be written (local: the disk refuses writes; redis mode: Redis is ' +
        'unreachable, full or read-only); retry after Retry-After seconds. In redis mode a ' +
        'message saying it "may or may not have been recorded" means Redis did not answer in ' +
        'time (REDIS_WRITE_TIMEOUT_MS): the delete may have happened.',
      'the shared state (Redis) is unreachable; nothing was changed (reconnecting)',
    ),
  )
  async remove(@Param('id') id: string): Promise<void> {
    await this.rockets.remove(id);
  }
}
