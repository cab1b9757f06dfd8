import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy } from 'class-validator';

export const MAX_EXTRA_PERCENTILES = 20;

/** "90, 99.9" (or ?percentiles=90&percentiles=99.9) → [90, 99.9]; anything unparsable → NaN. */
function parseList({ value }: { value: unknown }): unknown {
  const text = Array.isArray(value) ? value.join(',') : value;
  if (typeof text !== 'string') return value;
  const parsed = text.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  return [...new Set(parsed)];
}

function isPercentileList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length <= MAX_EXTRA_PERCENTILES &&
    value.every((p) => typeof p === 'number' && Number.isFinite(p) && p > 0 && p <= 100)
  );
}

export class PercentilesQueryDto {
  @ApiPropertyOptional({
    type: 'string',
    example: '90,99.9',
    description:
      `Extra percentiles to compute, comma-separated, each 0 < p ≤ 100, at most ` +
      `${MAX_EXTRA_PERCENTILES}. They appear in \`Percentiles\` keyed \`p<value>\`.`,
  })
  @IsOptional()
  @Transform(parseList)
  @ValidateBy({
    name: 'isPercentileList',
    validator: {
      validate: isPercentileList,
      defaultMessage: () =>
        `percentiles must be a comma-separated list of at most ${MAX_EXTRA_PERCENTILES} numbers, each greater than 0 and at most 100`,
    },
  })
  percentiles?: number[];
}
