import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKeys } from './api-keys';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id';
import {
  ForbiddenError,
  InvalidArgumentError,
  PayloadTooLargeError,
  UnauthorizedError,
} from '../common/domain-errors';

/**
 * The rules every request meets before a route, whatever the adapter: express-edge.ts and
 * fastify-edge.ts only call them at the right moment (a middleware, a hook) and hand the
 * refusal to the error filter.
 */

/** Sets the gate's headers on a response and says why the request is refused, or null. */
export type RequestGate = (req: IncomingMessage, res: ServerResponse) => Error | null;

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

/** What the gate checks before any route; `null` fields are checks that are off. */
export interface GateSettings {
  /** Response headers set on every answer (`securityHeaders()`), errors included. */
  headers: readonly (readonly [string, string])[];
  /** ALLOWED_HOSTS; null = any host. */
  hosts: readonly string[] | null;
  /** API_KEYS; null = keys off. */
  keys: ApiKeys | null;
  /** BODY_LIMIT in bytes. */
  bodyLimitBytes: number;
}

/**
 * Everything decided from a request's head, in one function (this runs on every request):
 * the security headers and the request's id (`X-Request-Id`, echoed), then the Host, a declared size, the API key and the URL's
 * encoding. A request refused here is never parsed: its body is not read.
 */
export function requestGate(g: GateSettings): RequestGate {
  const { headers, hosts, keys, bodyLimitBytes } = g;
  return (req, res) => {
    for (let i = 0; i < headers.length; i++) res.setHeader(headers[i][0], headers[i][1]);
    res.setHeader(REQUEST_ID_HEADER, requestIdOf(req));
    return (
      hostRefusal(hosts, req) ??
      // Size before key: a declared gigabyte without a key is a 413, whose connection
      // closes after the answer, not a 401 whose body node would read to the end.
      sizeRefusal(bodyLimitBytes, req) ??
      (keys === null ? null : keyRefusal(keys, req)) ??
      urlRefusal(req)
    );
  };
}

/**
 * ALLOWED_HOSTS: a page on another site that rebinds its own name to 127.0.0.1 still sends
 * its own name as Host, so refusing unknown hosts keeps such pages out of a loopback Beacon.
 */
function hostRefusal(allowed: readonly string[] | null, req: IncomingMessage): Error | null {
  if (hostAllowed(allowed, req)) return null;
  return new ForbiddenError(`Host '${hostName(req.headers.host)}' is not allowed (ALLOWED_HOSTS)`);
}

function keyRefusal(keys: ApiKeys, req: IncomingMessage): Error | null {
  const refused = keys.refusal(req);
  return refused === null ? null : new UnauthorizedError(refused);
}

/**
 * A body declared larger than BODY_LIMIT is refused before a byte of it is read. (The
 * body parser reads, and discards, the whole declared body before it answers 413: a
 * gigabyte at full speed, or for as long as a slow client likes.) The error filter closes
 * the connection after the answer, so the rest is never read either.
 */
function sizeRefusal(limitBytes: number, req: IncomingMessage): Error | null {
  const declared = req.headers['content-length'];
  if (declared === undefined || Number(declared) <= limitBytes) return null;
  return new PayloadTooLargeError('Request body is larger than BODY_LIMIT');
}

/**
 * Percent-encoding in the path or query that is broken, is not UTF-8, or encodes NUL is a
 * 400 here, before any handler or database sees it (PostgreSQL refuses NUL in text, which
 * used to come back as a 503 that clients retried for ever).
 */
export function urlRefusal(req: IncomingMessage): Error | null {
  const url = req.url ?? '/';
  if (!url.includes('%')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url);
  } catch {
    return new InvalidArgumentError(
      'The URL has broken percent-encoding or encodes bytes that are not UTF-8',
    );
  }
  return decoded.includes('\u0000')
    ? new InvalidArgumentError('The URL encodes a NUL character (%00)')
    : null;
}

/**
 * The headers helmet sets with Beacon's options, worked out once: they do not depend on
 * the request, so setting them from a list costs half of running helmet on each one.
 * helmet stays the authority on what they are. Plain HTTP on loopback by default: no
 * HSTS, and no upgrade of the dashboard's requests to an https that is not there. The
 * rest of helmet's CSP holds for Swagger UI and the dashboard ('self' scripts and styles).
 */
export function securityHeaders(): [string, string][] {
  const recorded: [string, string][] = [];
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) =>
      recorded.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  helmet({
    strictTransportSecurity: false,
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  })({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err as Error;
  });
  return recorded;
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
export function depthRefusal(body: unknown, max: number): Error | null {
  return nestedDeeperThan(body, max)
    ? new InvalidArgumentError(`The JSON body is nested deeper than ${max} levels (BODY_MAX_DEPTH)`)
    : null;
}

/** Methods whose bodies Beacon never reads: a body sent with them is ignored, not parsed. */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
export const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** The body parser's `type` test: JSON bodies of the methods that take one. */
export function parsesJsonBody(req: IncomingMessage): boolean {
  return !BODILESS.has(req.method ?? '') && JSON_TYPE.test(req.headers['content-type'] ?? '');
}
