import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';

/** The one error body every endpoint returns: Nest's own shape. */
export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400, description: 'HTTP status code, repeated.' })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: 'HTTP reason phrase.' })
  error!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'What is wrong: one sentence, or one per invalid field for validation errors.',
  })
  message!: string | string[];
}

/**
 * An error response for one operation: the shared body, with an example of what that
 * operation actually answers.
 */
export function errorResponse(status: number, description: string, message: string | string[]) {
  return {
    type: ErrorResponseDto,
    description,
    example: { statusCode: status, error: STATUS_CODES[status], message },
  };
}

/**
 * The same, spelled out as `application/json` for operations whose success is another
 * media type (text, HTML, scripts): without it the error would be documented as that type.
 */
export function jsonErrorResponse(status: number, description: string, message: string) {
  return {
    description,
    content: {
      'application/json': {
        schema: { $ref: getSchemaPath(ErrorResponseDto) },
        example: { statusCode: status, error: STATUS_CODES[status], message },
      },
    },
  };
}
