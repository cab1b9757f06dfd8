import accepts from 'accepts';
import type { IncomingMessage } from 'node:http';
import type { EdgeRequest } from './edge-types';

/**
 * The first of `types` the request's Accept header prefers (express's `req.accepts`, which
 * fastify lacks), or false when it accepts none of them. Reads only the headers.
 */
export function preferredType(req: EdgeRequest, types: string[]): string | false {
  const chosen = accepts(req as unknown as IncomingMessage).type(types);
  return Array.isArray(chosen) ? (chosen[0] ?? false) : chosen;
}
