import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import {
  ROCKET_STATUSES,
  RocketStatus,
  SORT_FIELDS,
  SORT_ORDERS,
  SortField,
  SortOrder,
} from '../rocket';
import { RocketState } from '../rocket-channel';

/** `reason` is left out until the rocket explodes. */
export class RocketStateDto implements Omit<RocketState, 'reason'> {
  @ApiProperty({ description: 'The channel.', example: '193270a9-c9cf-404a-8f83-838e71d9ae67' })
  id!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Falcon-9',
    description: 'null until launched.',
  })
  type!: string | null;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 3500,
    description: 'Launch speed plus increases minus decreases, never below 0.',
  })
  speed!: number;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ARTEMIS',
    description: 'The launch mission, or the last RocketMissionChanged; null until launched.',
  })
  mission!: string | null;

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

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'messageTime of RocketLaunched, as sent.',
    example: '2022-02-02T19:39:05.86337+01:00',
  })
  launchedAt!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'messageTime of the last applied message, as sent; null while pending.',
    example: '2022-02-02T19:40:11.2+01:00',
  })
  updatedAt!: string | null;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Applied in order up to here.' })
  lastMessageNumber!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Received early, waiting for a gap.' })
  bufferedMessages!: number;
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
    description: 'The field to sort by; ties break by id, missing values last.',
  })
  @IsOptional()
  @IsIn(SORT_FIELDS)
  sort?: SortField;

  @ApiPropertyOptional({ enum: SORT_ORDERS, default: 'asc', description: 'The sort order.' })
  @IsOptional()
  @IsIn(SORT_ORDERS)
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
