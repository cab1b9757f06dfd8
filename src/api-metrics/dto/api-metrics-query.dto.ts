import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { METHOD_NAMES, MethodName } from '../api-metric';
import { MAX_ROUTE_BYTES } from '../metrics-datagram';

export const MAX_MINUTES = 1440;

export class MinutesQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_MINUTES,
    default: 10,
    description: 'The window: records from the last this many minutes.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_MINUTES)
  minutes: number = 10;
}

export class PercentilesQueryDto extends MinutesQueryDto {
  @ApiPropertyOptional({
    description: 'Only this route (exact match); all routes when absent.',
    minLength: 1,
    maxLength: MAX_ROUTE_BYTES,
    example: '/health',
  })
  @IsOptional()
  @IsString()
  @Length(1, MAX_ROUTE_BYTES)
  route?: string;

  @ApiPropertyOptional({
    enum: METHOD_NAMES,
    enumName: 'HttpMethod',
    description: 'Only this method; all methods when absent.',
  })
  @IsOptional()
  @IsIn(METHOD_NAMES)
  method?: MethodName;
}
