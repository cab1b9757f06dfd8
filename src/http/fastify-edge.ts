import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { parse as parseForm } from 'qs';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { BodyRefusal } from './body-refusal';
import type { HttpSettings } from './http.settings';
import { depthRefusal, parsesJsonBody, RequestGate, urlRefusal } from './request-gate';
import { InvalidArgumentError } from '../common/domain-errors';
import { requestIdOf } from './request-id';
import { COMPRESSIBLE, chosenEncoding, compressed, varyOnEncoding } from './compression';

/**
 * The fastify side of the edge, set to answer as express does: paths match whatever their
 * case or trailing slash, ids of any length reach the validation that bounds them, a stop
 * does not turn requests on open connections into 503s, and keep-alive lasts node's 5 s.
 */
export function fastifyAdapter(http: HttpSettings): FastifyAdapter {
  const adapter: BeaconFastifyAdapter = new BeaconFastifyAdapter({
    bodyLimit: http.bodyLimitBytes,
    keepAliveTimeout: 5000,
    return503OnClosing: false,
    // fastify's request id (which the request logger takes) is the one X-Request-Id echoes.
    genReqId: (req: IncomingMessage) => requestIdOf(req),
    // The gate is a hook; Nest middleware (middie) runs only for LOG_REQUESTS' logger.
    skipMiddie: !http.LOG_REQUESTS,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 65_535 },
    // A URL fastify's router cannot decode never reaches a hook: the gate runs here, so it
    // gets the same headers and the same first refusal (a foreign Host before the URL).
    frameworkErrors: (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const refused = adapter.gate?.(request.raw, reply.raw) ?? urlRefusal(request.raw);
      adapter.errorHandler(refused ?? new InvalidArgumentError(err.message), request, reply);
    },
  });
  return adapter;
}

type ErrorHandler = (err: unknown, req: unknown, reply: unknown) => unknown;

/**
 * Nest's fastify adapter, with fastify's own body errors turned into the edge's answers
 * before Nest's error handler sees them (it would make them HttpExceptions with fastify's
 * wording), and the gate kept for the router's errors.
 */
class BeaconFastifyAdapter extends FastifyAdapter {
  gate: RequestGate | null = null;
  /** Nest's error handler (the global filter), for errors raised outside any route. */
  errorHandler: ErrorHandler = () => undefined;

  override setErrorHandler(handler: ErrorHandler) {
    this.errorHandler = (err, req, reply) =>
      handler(translated(err, req as FastifyRequest), req, reply);
    return super.setErrorHandler(this.errorHandler);
  }
}

function translated(err: unknown, request: FastifyRequest): unknown {
  const e = err as { code?: unknown; undecodable?: boolean } | null;
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new BodyRefusal({ kind: 'too-large' });
  if (e?.undecodable === true) {
    const encoding = String(request.headers['content-encoding'] ?? 'identity');
    return new BodyRefusal({ kind: 'undecodable', encoding });
  }
  return err;
}

/** A hook's callback: an error refuses the request. */
type Done = (err?: Error) => void;

/**
 * The same gate as express's, as fastify hooks: the gate at `onRequest` (before the body
 * is read), Content-Encoding at `preParsing`, JSON and form bodies parsed as body-parser
 * parses them (empty is `{}`, only objects and arrays, other types and methods ignored),
 * and the route template stamped where the Prometheus histogram reads express's.
 */
export function installFastifyEdge(
  app: INestApplication,
  gate: RequestGate,
  http: HttpSettings,
): void {
  const nest = app as NestFastifyApplication;
  const adapter = nest.getHttpAdapter() as unknown as BeaconFastifyAdapter;
  adapter.gate = gate;
  const fastify = adapter.getInstance<FastifyInstance>();
  fastify.addHook('onRequest', (request, reply, done: Done) =>
    done(gate(request.raw, reply.raw) ?? undefined),
  );
  if (http.COMPRESSION) {
    // express's `compression`, as fastify's last step before sending: whole bodies only
    // (streams, such as the dashboard's files, go out as they are), the same choices.
    fastify.addHook('onSend', async (request, reply, payload: unknown) => {
      const type = reply.getHeader('content-type');
      if (typeof type !== 'string' || !COMPRESSIBLE.test(type)) return payload;
      reply.header('vary', varyOnEncoding(reply.getHeader('vary')));
      if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
      if (reply.statusCode === 204 || reply.statusCode === 304) return payload;
      const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
      const encoding = chosenEncoding(http, request.raw, {
        type,
        encoding: reply.getHeader('content-encoding'),
        bytes: body.length,
      });
      if (encoding === null) return payload;
      reply.header('content-encoding', encoding);
      reply.removeHeader('content-length');
      return compressed(body, encoding);
    });
  }
  fastify.addHook(
    'preParsing',
    (
      request: FastifyRequest,
      _reply,
      payload: Readable,
      done: (e: Error | null, p?: Readable) => void,
    ) => {
      if (!parsesJsonBody(request.raw)) return done(null, payload);
      const decoded = decode(request.raw, payload);
      if (decoded instanceof Error) return done(decoded);
      done(null, decoded);
    },
  );
  fastify.addHook('preValidation', (request, _reply, done: Done) =>
    done(request.body instanceof Refused ? request.body.error : undefined),
  );
  // express's req.route, which the HTTP histogram reads: only once the body has passed, so
  // a request refused before its handler counts as `unmatched` on both adapters.
  fastify.addHook('preHandler', (request, _reply, done: Done) => {
    const url = request.routeOptions.url;
    if (url !== undefined) (request.raw as RoutedRequest).route = { path: url };
    done();
  });
  // fastify's own JSON and text parsers would take precedence over the pattern below.
  fastify.removeAllContentTypeParsers();
  const parserOptions = { bodyLimit: http.bodyLimitBytes };
  adapter.useBodyParser(
    /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i,
    false,
    parserOptions,
    (req, body, done) => {
      if (!parsesJsonBody(req.raw)) return done(null, undefined);
      const parsed = parseJson(body.toString('utf8'));
      // Refused at preValidation, not here: a parser's error makes fastify close the
      // connection, and this body was read to its end (express keeps the connection too).
      const refused = parsed instanceof Error ? parsed : depthRefusal(parsed, http.BODY_MAX_DEPTH);
      done(null, refused === null ? parsed : new Refused(refused));
    },
  );
  adapter.useBodyParser(
    'application/x-www-form-urlencoded',
    false,
    parserOptions,
    (req, body, done) => {
      if (parsesJsonBody(req.raw) || BODILESS.has(req.raw.method ?? ''))
        return done(null, undefined);
      done(null, parseForm(body.toString('utf8')));
    },
  );
  // Any other type: express reads nothing and leaves the body unset; so does this, rather
  // than fastify's 415.
  fastify.addContentTypeParser('*', (_req: FastifyRequest, payload: IncomingMessage, done) => {
    payload.resume();
    done(null, undefined);
  });
}

/** A parsed body that is refused, carried to preValidation. */
class Refused {
  constructor(readonly error: Error) {}
}

type RoutedRequest = IncomingMessage & { route?: { path: string } };

const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * The body as its Content-Encoding says (body-parser's set: identity, gzip, deflate, br), or
 * the error express answers for an encoding outside it. BODY_LIMIT holds for the decoded
 * bytes (fastify counts what the decoder gives) and for the sent ones (`receivedEncodedLength`).
 */
function decode(req: IncomingMessage, payload: Readable): Readable | Error {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return payload;
  const make = DECODERS[encoding];
  if (make === undefined) {
    return new BodyRefusal({ kind: 'unsupported-encoding', encoding });
  }
  const decoder = make() as Transform & { receivedEncodedLength?: number };
  // Marked before fastify sees it: zlib's codes are Z_*, brotli's ERR_*.
  decoder.once('error', (err) => Object.assign(err, { undecodable: true }));
  let sent = 0;
  payload.on('data', (chunk: Buffer) => (decoder.receivedEncodedLength = sent += chunk.length));
  payload.pipe(decoder);
  return decoder;
}

/**
 * body-parser's strict JSON, errors and wording included: empty is `{}`, anything but an
 * object or array is refused. A SyntaxError with status 400 is what Nest turns into the
 * 400 `BadRequestException` on express.
 */
function parseJson(text: string): unknown {
  if (text.length === 0) return {};
  const first = /^[ \t\n\r]*(.)/.exec(text)?.[1];
  try {
    if (first !== '{' && first !== '[') return strictViolation(text, first ?? '');
    return JSON.parse(text) as unknown;
  } catch (err) {
    return Object.assign(err as SyntaxError, { status: 400 });
  }
}

/** The error JSON.parse gives where the first character is, as body-parser words it. */
function strictViolation(text: string, first: string): never {
  const index = text.indexOf(first);
  const partial = index === -1 ? '' : text.substring(0, index) + '#'.repeat(text.length - index);
  try {
    JSON.parse(partial);
    throw new SyntaxError('strict violation');
  } catch (e) {
    const message = (e as Error).message.replace(/#+/g, (p) =>
      text.substring(index, index + p.length),
    );
    throw new SyntaxError(message);
  }
}
