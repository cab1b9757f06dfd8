import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { ForbiddenError, InvalidArgumentError, PayloadTooLargeError } from './domain-errors';

type Middleware = (req: Request, res: Response, next: NextFunction) => void;

/**
 * The Host a request was addressed to, lower-case and without its port (`[::1]` keeps its
 * brackets), or '' when there is none.
 */
export function hostName(header: string | undefined): string {
  if (!header) return '';
  const h = header.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/** Whether a request's Host is one the listener answers (null: any). */
export function hostAllowed(allowed: readonly string[] | null, req: IncomingMessage): boolean {
  return allowed === null || allowed.includes(hostName(req.headers.host));
}

/**
 * ALLOWED_HOSTS: a page on another site that rebinds its own name to 127.0.0.1 still sends
 * its own name as Host, so refusing unknown hosts keeps such pages out of a loopback Beacon.
 */
export function hostAllowlist(allowed: readonly string[] | null): Middleware {
  return (req, _res, next) => {
    if (hostAllowed(allowed, req)) return next();
    next(new ForbiddenError(`Host '${hostName(req.headers.host)}' is not allowed (ALLOWED_HOSTS)`));
  };
}

/**
 * A body declared larger than BODY_LIMIT is refused before a byte of it is read. (The
 * body parser reads, and discards, the whole declared body before it answers 413: a
 * gigabyte at full speed, or for as long as a slow client likes.) The error filter closes
 * the connection after the answer, so the rest is never read either.
 */
export function declaredSizeLimit(limitBytes: number): Middleware {
  return (req, _res, next) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limitBytes) {
      return next(new PayloadTooLargeError('Request body is larger than BODY_LIMIT'));
    }
    next();
  };
}

/**
 * Percent-encoding in the path or query that is broken, is not UTF-8, or encodes NUL is a
 * 400 here, before any handler or database sees it (PostgreSQL refuses NUL in text, which
 * used to come back as a 503 that clients retried for ever).
 */
export function urlEncodingCheck(): Middleware {
  return (req, _res, next) => {
    const url = req.url;
    if (!url.includes('%')) return next();
    let decoded: string;
    try {
      decoded = decodeURIComponent(url);
    } catch {
      return next(
        new InvalidArgumentError(
          'The URL has broken percent-encoding or encodes bytes that are not UTF-8',
        ),
      );
    }
    if (decoded.includes('\u0000')) {
      return next(new InvalidArgumentError('The URL encodes a NUL character (%00)'));
    }
    next();
  };
}

/** Whether `value` nests arrays and objects deeper than `max` levels. Iterative: any depth. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const v = stack.pop() as object;
    const depth = depths.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) {
        stack.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/**
 * BODY_MAX_DEPTH: a parsed JSON body nested deeper than this is a 400 before validation
 * (class-validator and class-transformer recurse, and a few thousand levels overflowed
 * the stack into a 500).
 */
export function jsonDepthLimit(max: number): Middleware {
  return (req, _res, next) => {
    if (!nestedDeeperThan(req.body, max)) return next();
    next(
      new InvalidArgumentError(
        `The JSON body is nested deeper than ${max} levels (BODY_MAX_DEPTH)`,
      ),
    );
  };
}

/** Methods whose bodies Beacon never reads: a body sent with them is ignored, not parsed. */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** The body parser's `type` test: JSON bodies of the methods that take one. */
export function parsesJsonBody(req: IncomingMessage): boolean {
  return !BODILESS.has(req.method ?? '') && JSON_TYPE.test(req.headers['content-type'] ?? '');
}
