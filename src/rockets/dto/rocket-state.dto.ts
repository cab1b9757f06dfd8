import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import {
  ROCKET_STATUSES,
  RocketStatus,
  SORT_FIELDS,
  SORT_ORDERS,
  SortField,
  SortOrder,
  canonicalSpelling,
} from '../rocket';
import { RocketState } from '../rocket-channel';

/**
 * The seed's `models.RocketState` types every field as a string, integer or boolean, never
 * null: what a rocket does not have yet is left out (`type`, `mission`, `launchedAt` and
 * `createdAt` until a RocketLaunched is applied, `updatedAt` until message 1 is, `reason`
 * until it explodes).
 */
export class RocketStateDto {
  @ApiProperty({ description: 'The channel.', example: '193270a9-c9cf-404a-8f83-838e71d9ae67' })
  id!: string;

  @ApiPropertyOptional({
    example: 'Falcon-9',
    description: 'From RocketLaunched; absent until launched.',
  })
  type?: string;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 3500,
    description: 'Launch speed plus increases minus decreases, never below 0.',
  })
  speed!: number;

  @ApiPropertyOptional({
    example: 'ARTEMIS',
    description: 'The launch mission, or the last RocketMissionChanged; absent until launched.',
  })
  mission?: string;

  @ApiProperty({
    enum: ROCKET_STATUSES,
    enumName: 'RocketStatus',
    description:
      '`pending`: messages are buffered but message 1 has not arrived; ' +
      '`exploded`: final; `active` otherwise.',
  })
  status!: RocketStatus;

  @ApiProperty({ description: 'True once RocketExploded was applied.' })
  exploded!: boolean;

  @ApiPropertyOptional({ example: 'PRESSURE_VESSEL_FAILURE', description: 'Only once exploded.' })
  reason?: string;

  @ApiPropertyOptional({
    description:
      "The seed's name for `launchedAt`: messageTime of RocketLaunched, as sent; absent " +
      'until launched.',
    example: '2022-02-02T19:39:05.86337+01:00',
  })
  createdAt?: string;

  @ApiPropertyOptional({
    description: 'messageTime of RocketLaunched, as sent; absent until launched.',
    example: '2022-02-02T19:39:05.86337+01:00',
  })
  launchedAt?: string;

  @ApiPropertyOptional({
    description: 'messageTime of the last applied message, as sent; absent while pending.',
    example: '2022-02-02T19:40:11.2+01:00',
  })
  updatedAt?: string;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Applied in order up to here.' })
  lastMessageNumber!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Received early, waiting for a gap.' })
  bufferedMessages!: number;
}

/** A rocket as `GET /rockets/{id}` shows it: no nulls, `createdAt` beside `launchedAt`. */
export function toRocketStateDto(s: RocketState): RocketStateDto {
  const dto: RocketStateDto = {
    id: s.id,
    speed: s.speed,
    status: s.status,
    exploded: s.exploded,
    lastMessageNumber: s.lastMessageNumber,
    bufferedMessages: s.bufferedMessages,
  };
  if (s.type !== null) dto.type = s.type;
  if (s.mission !== null) dto.mission = s.mission;
  if (s.reason !== null) dto.reason = s.reason;
  if (s.launchedAt !== null) dto.createdAt = dto.launchedAt = s.launchedAt;
  if (s.updatedAt !== null) dto.updatedAt = s.updatedAt;
  return dto;
}

export class RocketSummaryDto extends PickType(RocketStateDto, [
  'id',
  'type',
  'speed',
  'mission',
  'status',
  'updatedAt',
] as const) {}

/** Largest `limit` of `GET /rockets`: one page is serialised at once, so it stays small. */
export const MAX_PAGE = 5000;

export class ListRocketsQueryDto {
  @ApiPropertyOptional({
    enum: SORT_FIELDS,
    default: 'id',
    description:
      'The field to sort by; ties break by id, missing values last. Matched in any case, as ' +
      'the seed does (`SPEED`, `updatedat`); other values are refused (the seed sorts by id).',
  })
  @IsOptional()
  @Transform(({ value }) => canonicalSpelling(value))
  @IsIn(SORT_FIELDS, {
    message: `sort must be one of the following values: ${SORT_FIELDS.join(', ')} (any case)`,
  })
  sort?: SortField;

  @ApiPropertyOptional({
    enum: SORT_ORDERS,
    default: 'asc',
    description: 'The sort order, in any case (`DESC`, `Desc`).',
  })
  @IsOptional()
  @Transform(({ value }) => canonicalSpelling(value))
  @IsIn(SORT_ORDERS, {
    message: `order must be one of the following values: ${SORT_ORDERS.join(', ')} (any case)`,
  })
  order?: SortOrder;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE,
    description:
      'At most this many rockets, and a `Link: <…>; rel="next"` header (and `Beacon-Next-Cursor`) ' +
      'while more follow. Without it: every rocket, as the seed answers.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  limit?: number;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 1024,
    description:
      'Where the previous page ended: the `Beacon-Next-Cursor` it came with. Valid for the ' +
      'same `sort` and `order` only; rockets that change between pages may move across it.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  cursor?: string;
}
