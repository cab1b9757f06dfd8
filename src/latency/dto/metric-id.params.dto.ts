import { ApiProperty } from '@nestjs/swagger';
import { Length } from 'class-validator';

export class MetricIdParamsDto {
  @ApiProperty({
    description:
      'Metric identifier, 1–200 characters. Any character a path segment can carry; ' +
      'percent-encode `/`, `?`, `#` and `%`.',
    minLength: 1,
    maxLength: 200,
    example: 'checkout-api',
  })
  @Length(1, 200)
  id!: string;
}
