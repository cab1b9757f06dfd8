import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsRFC3339,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

import {
  ACCEPT_STATUSES,
  AcceptStatus,
  MAX_TEXT,
  MESSAGE_TYPES,
  MessageAccepted,
  MessageType,
  RocketExploded,
  RocketLaunched,
  RocketMissionChanged,
  SpeedChange,
} from '../rocket';

const MAX_INT = Number.MAX_SAFE_INTEGER;

export class MetadataDto {
  @ApiProperty({
    description: 'The rocket: one channel per rocket.',
    example: '193270a9-c9cf-404a-8f83-838e71d9ae67',
    maxLength: MAX_TEXT,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  channel!: string;

  @ApiProperty({
    description: 'Position in the channel, from 1; messages are applied in this order.',
    example: 1,
    type: 'integer',
    minimum: 1,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_INT)
  messageNumber!: number;

  @ApiProperty({ description: 'RFC 3339 time.', example: '2022-02-02T19:39:05.86337+01:00' })
  @IsRFC3339()
  messageTime!: string;

  @ApiProperty({ enum: MESSAGE_TYPES, enumName: 'RocketMessageType', example: 'RocketLaunched' })
  @IsIn(MESSAGE_TYPES)
  messageType!: MessageType;
}

export class RocketLaunchedDto implements RocketLaunched {
  @ApiProperty({ example: 'Falcon-9', maxLength: MAX_TEXT, description: 'The rocket type.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  type!: string;

  @ApiProperty({ example: 500, type: 'integer', minimum: 0, description: 'Speed at launch.' })
  @IsInt()
  @Min(0)
  @Max(MAX_INT)
  launchSpeed!: number;

  @ApiProperty({ example: 'ARTEMIS', maxLength: MAX_TEXT, description: 'The mission.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  mission!: string;
}

class SpeedChangeDto implements SpeedChange {
  @ApiProperty({
    example: 3000,
    type: 'integer',
    minimum: 0,
    description: 'By how much the speed changes (it never goes below 0).',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_INT)
  by!: number;
}

export class RocketSpeedIncreasedDto extends SpeedChangeDto {}
export class RocketSpeedDecreasedDto extends SpeedChangeDto {}

export class RocketExplodedDto implements RocketExploded {
  @ApiProperty({
    example: 'PRESSURE_VESSEL_FAILURE',
    maxLength: MAX_TEXT,
    description: 'Why it exploded; the explosion is final.',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  reason!: string;
}

export class RocketMissionChangedDto implements RocketMissionChanged {
  @ApiProperty({ example: 'SHUTTLE_MIR', maxLength: MAX_TEXT, description: 'The new mission.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  newMission!: string;
}

export const PAYLOAD_CLASSES = {
  RocketLaunched: RocketLaunchedDto,
  RocketSpeedIncreased: RocketSpeedIncreasedDto,
  RocketSpeedDecreased: RocketSpeedDecreasedDto,
  RocketExploded: RocketExplodedDto,
  RocketMissionChanged: RocketMissionChangedDto,
} as const;

export type RocketPayloadDto =
  | RocketLaunchedDto
  | RocketSpeedIncreasedDto
  | RocketSpeedDecreasedDto
  | RocketExplodedDto
  | RocketMissionChangedDto;

/** The envelope. `message` is validated against the class its `messageType` names. */
@ApiExtraModels(...Object.values(PAYLOAD_CLASSES))
export class RocketMessageDto {
  @ApiProperty({ type: MetadataDto })
  @IsObject()
  @ValidateNested()
  @Type(() => MetadataDto)
  metadata!: MetadataDto;

  @ApiProperty({
    description:
      'The payload for `metadata.messageType`: RocketLaunched → RocketLaunchedDto, ' +
      'RocketSpeedIncreased / RocketSpeedDecreased → `{by}`, RocketExploded → `{reason}`, ' +
      'RocketMissionChanged → `{newMission}`. Unknown fields are rejected.',
    anyOf: Object.values(PAYLOAD_CLASSES).map((c) => ({ $ref: getSchemaPath(c) })),
  })
  @IsObject()
  message!: RocketPayloadDto;
}

export class MessageAcceptedDto implements MessageAccepted {
  @ApiProperty({
    example: '193270a9-c9cf-404a-8f83-838e71d9ae67',
    description: 'The rocket the message was for.',
  })
  channel!: string;

  @ApiProperty({ example: 1, type: 'integer', description: 'The message, by its number.' })
  messageNumber!: number;

  @ApiProperty({
    enum: ACCEPT_STATUSES,
    enumName: 'MessageStatus',
    description:
      '`applied`: this message (and any buffered ones it unblocked) changed the rocket. ' +
      '`buffered`: ahead of the next expected number, kept until the gap fills. ' +
      '`duplicate`: this number was already received (applied or buffered); nothing changed. ' +
      '`ignored`: the rocket had already exploded.',
  })
  status!: AcceptStatus;
}
