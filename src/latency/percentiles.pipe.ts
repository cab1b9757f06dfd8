import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { ApiQueryOptions } from '@nestjs/swagger';

export const MAX_EXTRA_PERCENTILES = 20;

export const PERCENTILES_MESSAGE =
  `percentiles must be a comma-separated list of at most ${MAX_EXTRA_PERCENTILES} numbers, ` +
  'each greater than 0 and at most 100';

export const PERCENTILES_QUERY: ApiQueryOptions = {
  name: 'percentiles',
  required: false,
  description:
    `Extra percentiles to compute, comma-separated, each 0 < p ≤ 100, at most ` +
    `${MAX_EXTRA_PERCENTILES}. They appear in \`Percentiles\` keyed \`p<value>\`.`,
  // Explicit, or Swagger would infer an array from the handler's `number[]` parameter.
  type: 'string',
  isArray: false,
  example: '90,99.9',
};

/**
 * `90,99.9` (or a repeated parameter's values) → [90, 99.9], duplicates removed; null when
 * it breaks PERCENTILES_MESSAGE's rules. Shared by every query that takes `percentiles`.
 */
export function parsePercentiles(value: unknown): number[] | null {
  const text = Array.isArray(value) ? value.join(',') : value;
  if (typeof text !== 'string') return null;
  const list = [...new Set(text.split(',').map((s) => (s.trim() === '' ? NaN : Number(s))))];
  const valid =
    list.length <= MAX_EXTRA_PERCENTILES &&
    list.every((p) => Number.isFinite(p) && p > 0 && p <= 100);
  return valid ? list : null;
}

/**
 * `?percentiles=90,99.9` → [90, 99.9]; undefined when absent. A plain pipe, not a query
 * DTO: reads are hot and the DTO's transform-and-validate round costs more than the
 * lookup it guards.
 */
@Injectable()
export class PercentilesPipe implements PipeTransform<unknown, number[] | undefined> {
  transform(value: unknown): number[] | undefined {
    if (value === undefined) return undefined;
    const list = parsePercentiles(value);
    if (list === null) throw new BadRequestException([PERCENTILES_MESSAGE]);
    return list;
  }
}
