import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { ApiParamOptions } from '@nestjs/swagger';

export const MAX_METRIC_ID_LENGTH = 200;

export const METRIC_ID_PARAM: ApiParamOptions = {
  name: 'id',
  description:
    `Metric identifier, 1–${MAX_METRIC_ID_LENGTH} characters, any characters. A client must ` +
    'percent-encode it as a path segment: `/` (ids made from routes such as `GET /api/login` ' +
    'carry one), `?`, `#`, `%` and spaces; tagged StatsD ids look like `api{env=prod}`.',
  schema: { type: 'string', minLength: 1, maxLength: MAX_METRIC_ID_LENGTH },
  example: 'checkout-api',
};

/**
 * Checks the metric id in the path. A plain pipe rather than a params DTO: it is on
 * every ingestion request, and a DTO would cost a second transform-and-validate round.
 */
@Injectable()
export class MetricIdPipe implements PipeTransform<string, string> {
  transform(id: string): string {
    if (id.length > MAX_METRIC_ID_LENGTH) {
      throw new BadRequestException([
        `id must be shorter than or equal to ${MAX_METRIC_ID_LENGTH} characters`,
      ]);
    }
    return id;
  }
}
