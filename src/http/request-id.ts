import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header a request's correlation id travels in, both ways. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Printable ASCII without spaces, at most 128 characters: what a proxy or client sends. */
const VALID = /^[\x21-\x7e]{1,128}$/;
const ID = Symbol('beacon.requestId');

type WithId = IncomingMessage & { [ID]?: string };

/**
 * The request's correlation id: its `X-Request-Id` when it sent a valid one (so a proxy's
 * or client's id follows the request through Beacon's logs), else a new UUID. Decided once
 * per request, whoever asks first (the gate, which echoes it, or the request logger).
 */
export function requestIdOf(req: IncomingMessage): string {
  const r = req as WithId;
  if (r[ID] !== undefined) return r[ID];
  const sent = req.headers['x-request-id'];
  const id = typeof sent === 'string' && VALID.test(sent) ? sent : randomUUID();
  r[ID] = id;
  return id;
}
