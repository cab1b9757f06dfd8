import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What a controller may read of a request (`@Req()`), the same on either adapter: express's
 * request is node's IncomingMessage, fastify's wraps it and exposes these same fields.
 */
export interface EdgeRequest {
  readonly headers: IncomingHttpHeaders;
  readonly method: string;
  readonly url: string;
  readonly socket: Socket;
}

/**
 * What a controller may set on its answer (`@Res({ passthrough: true })`): the calls that
 * express's response and fastify's reply both have, with the same meaning.
 */
export interface EdgeResponse {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
  type(contentType: string): unknown;
}
