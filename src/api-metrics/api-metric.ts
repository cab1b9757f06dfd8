/** HTTP methods the seed's protocol numbers 1–9; anything else is stored as `UNKNOWN`. */
export const HTTP_METHODS = [
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'CONNECT',
] as const;
export const METHOD_NAMES = [...HTTP_METHODS, 'UNKNOWN'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

/** One API call as a sender reported it. */
export interface ApiMetricRecord {
  /** When the call happened, ms since the Unix epoch (the sender's clock). */
  timeMs: number;
  route: string;
  method: MethodName;
  statusCode: number;
  responseTimeMs: number;
}

/**
 * One route and method's name, `GET /users`: the key that groups records into a series,
 * and the id of the latency metric each record feeds.
 */
export function seriesKey(r: { method: string; route: string }): string {
  return `${r.method} ${r.route}`;
}
