import { isPlainObject } from '../common/is-plain-object';

/** The integer engagement fields Beacon keeps; anything else in a post is ignored. */
export const DIMENSIONS = [
  'likes',
  'comments',
  'favorites',
  'retweets',
  'shares',
  'plays',
  'views',
  'saves',
  'repins',
  'dislikes',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const DIMENSION_INDEX: Record<string, number> = Object.fromEntries(
  DIMENSIONS.map((d, i) => [d, i]),
);

export interface Post {
  /** The root key: `tweet`, `instagram_media`, … (any type is accepted). */
  type: string;
  /** Creation time, Unix seconds. */
  timestamp: number;
  /** Engagement by dimension index; NaN where the post does not carry that field. */
  values: ArrayLike<number>;
}

export type ParseResult = { ok: true; post: Post } | { ok: false; reason: string };

/**
 * One SSE event's data → a post, or why not. A post is a JSON object with exactly one
 * root key (its type) whose value is an object with a positive integer `timestamp`;
 * every engagement field present must be a non-negative integer.
 */
export function parsePost(data: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (!isPlainObject(json)) return { ok: false, reason: 'not a JSON object' };
  const keys = Object.keys(json);
  if (keys.length !== 1) return { ok: false, reason: `${keys.length} root keys, expected 1` };
  const type = keys[0];
  const body = json[type];
  if (!isPlainObject(body)) return { ok: false, reason: `${type} is not an object` };
  const ts = body.timestamp;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts <= 0) {
    return { ok: false, reason: 'timestamp missing or not a positive integer' };
  }
  // A plain array: a Float64Array this size gets an off-heap buffer per post, and at tens
  // of thousands of posts a second that churn showed up as slower parsing.
  const values = new Array<number>(DIMENSIONS.length).fill(NaN);
  for (let i = 0; i < DIMENSIONS.length; i++) {
    const v = body[DIMENSIONS[i]];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      return { ok: false, reason: `${DIMENSIONS[i]} is not a non-negative integer` };
    }
    values[i] = v;
  }
  return { ok: true, post: { type, timestamp: ts, values } };
}
