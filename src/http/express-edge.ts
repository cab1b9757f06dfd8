import type { INestApplication } from '@nestjs/common';
import compression from 'compression';
import { constants as zlibConstants } from 'node:zlib';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { HttpSettings } from './http.settings';
import { depthRefusal, parsesJsonBody, RequestGate } from './request-gate';
import type { BodyErrorAnswer } from './body-refusal';
import { BROTLI_QUALITY, COMPRESSIBLE } from './compression';

/** The express side of the edge: the adapter, and where the gate and the body go in it. */
export function expressAdapter(): ExpressAdapter {
  return new ExpressAdapter();
}

/**
 * Ahead of every route: the gate, then the body (JSON only, never for GET/HEAD/DELETE/
 * OPTIONS; body-parser decodes gzip, deflate and br) and its depth.
 */
export function installExpressEdge(
  app: INestApplication,
  gate: RequestGate,
  http: HttpSettings,
): void {
  const express = app as NestExpressApplication;
  // One middleware for the whole gate: each express layer costs, and this runs every time.
  express.use((req: Request, res: Response, next: NextFunction) =>
    next(gate(req, res) ?? undefined),
  );
  express.useBodyParser('json', { limit: http.bodyLimitBytes, type: parsesJsonBody });
  express.use((req: Request, _res: Response, next: NextFunction) =>
    next(depthRefusal(req.body, http.BODY_MAX_DEPTH) ?? undefined),
  );
  if (http.COMPRESSION) {
    // The same choices as fastify's side (compression.ts): br, gzip or deflate as the
    // client prefers, JSON and plain text only, from COMPRESSION_MIN_BYTES.
    express.use(
      compression({
        threshold: http.COMPRESSION_MIN_BYTES,
        filter: (_req, res) => COMPRESSIBLE.test(String(res.getHeader('content-type') ?? '')),
        brotli: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } },
      }),
    );
  }
  express.disable('x-powered-by');
  // Express hashes every response body for a weak ETag. Nothing here is fetched
  // conditionally, and the hash was a fifth of a small POST's time and most of a large
  // list's, so it is off.
  express.set('etag', false);
}

/**
 * Errors raised by express's body parser before Nest sees the request (http-errors: a
 * status, `expose` for 4xx, a `type` for most, none for a body whose Content-Encoding
 * does not decode, which carries zlib's `code` instead).
 */
interface BodyParserError {
  type?: string;
  status: number;
  expose?: boolean;
  code?: string;
  message: string;
}

function isBodyParserError(e: unknown): e is BodyParserError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as BodyParserError).status === 'number' &&
    (typeof (e as BodyParserError).type === 'string' || (e as BodyParserError).expose === true)
  );
}

/** The answer to a body-parser error, or null when `e` is not one. */
export function expressBodyError(e: unknown, encoding: string): BodyErrorAnswer | null {
  if (!isBodyParserError(e)) return null;
  if (e.type === 'entity.too.large') return { kind: 'too-large' };
  if (e.type === 'encoding.unsupported') return { kind: 'unsupported-encoding', encoding };
  // The decoder's own error, passed on with its code (zlib's Z_*, brotli's ERR_*).
  if (e.status === 400 && typeof e.code === 'string' && encoding !== 'identity') {
    return { kind: 'undecodable', encoding };
  }
  if (e.status >= 400 && e.status < 500)
    return { kind: 'client', status: e.status, message: e.message };
  return null;
}
