import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto';
import { MessageAcceptedDto, RocketMessageDto } from './dto/rocket-message.dto';
import { ListRocketsQueryDto, RocketStateDto, RocketSummaryDto } from './dto/rocket-state.dto';
import { RocketMessage } from './rocket-message';
import { RocketMessagePipe } from './rocket-message.pipe';
import { RocketsService } from './rockets.service';

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
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'Malformed envelope, unknown messageType, bad or unknown payload fields.',
  })
  @ApiPayloadTooLargeResponse({
    type: ErrorResponseDto,
    description: 'Body larger than BODY_LIMIT.',
  })
  @ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description:
      'No room to buffer an out-of-order message or to track another rocket. Nothing was ' +
      'changed; send it again after Retry-After seconds.',
  })
  receive(@Body(RocketMessagePipe) message: RocketMessage): Promise<MessageAcceptedDto> {
    return this.rockets.accept(message);
  }

  @Get('rockets')
  @ApiOperation({
    summary: 'All rockets, sorted',
    description: 'Default order: id ascending. Ties break by id; missing values sort last.',
  })
  @ApiOkResponse({ type: RocketSummaryDto, isArray: true })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Unknown sort field or order.' })
  async list(
    @Query() query: ListRocketsQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    // Serialised by the service and reused while nothing changed: 10,000 rockets are
    // about 1.3 MB of JSON, and building it was most of this endpoint's time.
    res.type('application/json');
    return this.rockets.listJson(query.sort, query.order);
  }

  @Get('rockets/:id')
  @ApiParam({ name: 'id', description: 'The channel of the rocket.' })
  @ApiOperation({ summary: 'One rocket' })
  @ApiOkResponse({ type: RocketStateDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No message for this channel yet.' })
  async get(@Param('id') id: string): Promise<RocketStateDto> {
    const { reason, ...rest } = await this.rockets.get(id);
    return reason === null ? rest : { ...rest, reason };
  }
}
