import { ApiProperty } from '@nestjs/swagger';

/** The one error body every endpoint returns: Nest's own shape. */
export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400, description: 'HTTP status code, repeated.' })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: 'HTTP reason phrase.' })
  error!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['latency_ns must be a positive number'],
    description: 'What is wrong: one sentence, or one per invalid field for validation errors.',
  })
  message!: string | string[];
}
