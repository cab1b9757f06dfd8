import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsOptional,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  Validate,
} from 'class-validator';
import { MAX_DURATION_MS, MIN_DURATION_MS, parseGoDuration } from '../duration';
import { ANALYSIS_MODES, AnalysisMode } from '../analysis.service';
import { DIMENSIONS, Dimension } from '../post';
import {
  MAX_EXTRA_PERCENTILES,
  PERCENTILES_MESSAGE,
  parsePercentiles,
} from '../../latency/percentiles.pipe';

const DIMENSION_MESSAGE = `dimension must be one of: ${DIMENSIONS.join(', ')}, or several of them comma-separated`;
const ONE_DIMENSION = `(${DIMENSIONS.join('|')})`;

/** `likes,comments` (or a repeated parameter) → ['likes', 'comments'], each once. */
function dimensionList({ value }: { value: unknown }): unknown {
  const text = Array.isArray(value) ? value.join(',') : value;
  return typeof text === 'string' ? [...new Set(text.split(','))] : text;
}

/** Go's duration syntax, 5s to 24h; the message says which rule failed. */
@ValidatorConstraint({ name: 'goDuration' })
class GoDurationConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return problemWith(value) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return problemWith(args.value) ?? '';
  }
}

function problemWith(raw: unknown): string | null {
  if (raw === undefined || raw === '')
    return 'duration is required, e.g. ?duration=10m (5s to 24h)';
  if (typeof raw !== 'string') return 'duration must be given once';
  const ms = parseGoDuration(raw);
  if (ms === null) return `duration "${raw.slice(0, 64)}" is not a duration like 5s, 10m or 1h30m`;
  if (ms < MIN_DURATION_MS) return `duration ${raw} is too short: at least 5s`;
  if (ms > MAX_DURATION_MS) return `duration ${raw} is too long: at most 24h`;
  return null;
}

export class AnalysisQueryDto {
  @ApiProperty({
    type: String,
    description:
      'Go duration syntax, 5s to 24h: `5s`, `10m`, `1h30m`, `1.5h`, `300ms`. Up to ' +
      'STREAM_LIVE_MAX_MS (60 s) the request waits this long (live); longer ones answer at once.',
    example: '24h',
    pattern:
      '^(\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h))*$',
  })
  @Validate(GoDurationConstraint)
  duration!: string;

  @ApiProperty({
    type: 'string',
    isArray: false,
    description:
      `The engagement field: ${DIMENSIONS.join(', ')}; or several, comma-separated ` +
      "(`likes,comments`): each one's keys in one answer, from one pass over the window.",
    example: 'likes',
    pattern: `^${ONE_DIMENSION}(,${ONE_DIMENSION})*$`,
  })
  @Transform(dimensionList)
  @IsArray({ message: DIMENSION_MESSAGE })
  @ArrayNotEmpty({ message: DIMENSION_MESSAGE })
  @IsIn(DIMENSIONS, { each: true, message: DIMENSION_MESSAGE })
  dimension!: Dimension[];

  @ApiPropertyOptional({
    type: 'string',
    isArray: false,
    description:
      'Percentiles to give instead of 50, 90 and 99, comma-separated, each 0 < p ≤ 100, at ' +
      `most ${MAX_EXTRA_PERCENTILES} (the rules of \`GET /metrics/{id}\`); keyed ` +
      '`<dimension>_p<value>`, e.g. `likes_p99.9`.',
    example: '50,95,99.9',
  })
  @IsOptional()
  // An invalid list stays a string, for IsArray to refuse (null would pass IsOptional).
  @Transform(({ value }) =>
    value === undefined ? undefined : (parsePercentiles(value) ?? String(value)),
  )
  @IsArray({ message: PERCENTILES_MESSAGE })
  percentiles?: number[];

  @ApiPropertyOptional({
    enum: ANALYSIS_MODES,
    enumName: 'AnalysisMode',
    description:
      '`live` waits `duration` (at most STREAM_LIVE_LIMIT_MS); `history` answers at once.',
  })
  @IsOptional()
  @IsIn(ANALYSIS_MODES, { message: 'mode must be live or history' })
  mode?: AnalysisMode;
}
