import { ApiProperty } from '@nestjs/swagger';

export class CounterDto {
  @ApiProperty({
    description: 'Requests whose arrival lies in (now − windowSeconds, now], this one included.',
    type: 'integer',
    example: 1234,
    minimum: 1,
  })
  count!: number;

  @ApiProperty({
    description: 'The window length (COUNTER_WINDOW_SECONDS).',
    type: 'integer',
    example: 60,
    minimum: 1,
  })
  windowSeconds!: number;
}
