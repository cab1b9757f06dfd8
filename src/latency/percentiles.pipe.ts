import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { ApiQueryOptions } from '@nestjs/swagger';

export const MAX_EXTRA_PERCENTILES = 20;

const MESSAGE =
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
 * `?percentiles=90,99.9` (or repeated `?percentiles=`) → [90, 99.9], duplicates removed;
 * undefined when absent. A plain pipe, not a query DTO: reads are hot and the DTO's
 * transform-and-validate round costs more than the lookup it guards.
 */
@Injectable()
export class PercentilesPipe implements PipeTransform<unknown, number[] | undefined> {
  transform(value: unknown): number[] | undefined {
    if (value === undefined) return undefined;
    const text = Array.isArray(value) ? value.join(',') : value;
    if (typeof text !== 'string') throw new BadRequestException([MESSAGE]);
    const list = [...new Set(text.split(',').map((s) => (s.trim() === '' ? NaN : Number(s))))];
    const valid =
      list.length <= MAX_EXTRA_PERCENTILES &&
      list.every((p) => Number.isFinite(p) && p > 0 && p <= 100);
    if (!valid) throw new BadRequestException([MESSAGE]);
    return list;
  }
}
