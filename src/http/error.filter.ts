import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import { AllowedMethods } from './allowed-methods';
import { requestIdOf } from './request-id';
import { BodyErrorAnswer, BodyRefusal } from './body-refusal';
import { expressBodyError } from './express-edge';
import {
  DomainError,
  ForbiddenError,
  InvalidArgumentError,
  LimitExceededError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnavailableError,
} from '../common/domain-errors';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

function body(statusCode: number, message: string | string[]): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/**
 * The one place errors become HTTP. Domain errors map by kind; Nest's own exceptions
 * (validation, invalid JSON, unknown routes) keep their status; oversized bodies become 413;
 * anything else is a 500 that is logged with its stack and never leaks details.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly allowed: AllowedMethods,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    // Express's response is node's; fastify's reply keeps node's as `raw`.
    const reply = host.switchToHttp().getResponse<object>();
    const res = rawResponse(reply);
    let out = this.toBody(exception, res.req);
    // No route for this method, but one for the path: 405 with what it serves.
    // (A handler's own NotFoundException matched a route, so its method is in `methods`.)
    if (exception instanceof NotFoundException) {
      const path = (res.req.url ?? '').split('?')[0];
      const methods = this.allowed.of(path);
      if (methods !== null && !methods.includes(res.req.method ?? '')) {
        res.setHeader('Allow', methods.join(', '));
        out = body(
          HttpStatus.METHOD_NOT_ALLOWED,
          `${res.req.method} is not served on ${path}; it serves ${methods.join(', ')}`,
        );
      }
    }
    if (exception instanceof UnavailableError) {
      res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    if (exception instanceof UnauthorizedError) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="beacon"');
    }
    // A domain error at 5xx (UnavailableError) is an expected answer, not a fault: no stack.
    if (out.statusCode >= 500 && !(exception instanceof DomainError)) {
      const stack = exception instanceof Error ? exception.stack : String(exception);
      this.logger.error(`request ${requestIdOf(res.req)}: ${stack}`);
    } else if (out.statusCode < 500) {
      // The client's mistake: one line, at debug, never a stack (LOG_REQUESTS logs each
      // request at info anyway). Only the path: a query string can carry anything.
      const req = res.req;
      const path = (req.url ?? '').split('?')[0];
      this.logger.debug(
        `${out.statusCode} ${req.method} ${path} (request ${requestIdOf(req)}): ${String(out.message)}`,
      );
    }
    if (res.headersSent) return;
    if (out.statusCode === 413) stopReadingAfter(res);
    this.adapterHost.httpAdapter.reply(reply, out, out.statusCode);
  }

  private toBody(e: unknown, req: IncomingMessage): ErrorBody {
    if (e instanceof DomainError) return body(statusOf(e), e.message);
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const r = e.getResponse();
      const message =
        typeof r === 'object' && r !== null && 'message' in r
          ? (r as { message: string | string[] }).message
          : e.message;
      return body(status, message);
    }
    // Refused by a body parser (either adapter's) before Nest saw the request. Invalid JSON
    // never gets here on express: Nest's router already turns it into a 400.
    const parser =
      e instanceof BodyRefusal
        ? e.answer
        : expressBodyError(e, String(req.headers['content-encoding'] ?? 'identity'));
    if (parser !== null) return bodyErrorBody(parser);
    return body(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error');
  }
}

function bodyErrorBody(a: BodyErrorAnswer): ErrorBody {
  switch (a.kind) {
    case 'too-large':
      return body(HttpStatus.PAYLOAD_TOO_LARGE, 'Request body is larger than BODY_LIMIT');
    case 'unsupported-encoding':
      return body(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        `Unsupported Content-Encoding (${a.encoding}): send identity, gzip, deflate or br`,
      );
    case 'undecodable':
      return body(
        HttpStatus.BAD_REQUEST,
        `The body does not decode as its Content-Encoding says (${a.encoding})`,
      );
    case 'client':
      return body(a.status, a.message);
  }
}

function rawResponse(reply: object): ServerResponse<IncomingMessage> {
  return 'raw' in reply
    ? (reply.raw as ServerResponse<IncomingMessage>)
    : (reply as ServerResponse<IncomingMessage>);
}

/** How long a refused upload's client has to read the 413 and close before it is cut off. */
const LINGER_MS = 2000;

/**
 * After a 413 the connection closes the way a careful server closes it ("lingering
 * close"): the answer says `Connection: close` (so no client sends another request on it),
 * node sends our FIN after it, and whatever the client still sends is read and thrown
 * away until it closes its side, for LINGER_MS at most. Node on its own destroys the
 * socket as soon as the FIN is out, with the client's bytes still unread, which answers
 * them with a TCP reset, and a reset can destroy the 413 in the client's buffer before it
 * has read it: a fast uploader saw "connection reset" instead of the reason.
 */
function stopReadingAfter(res: ServerResponse<IncomingMessage>): void {
  const req = res.req;
  const socket = req.socket;
  res.setHeader('Connection', 'close');
  res.once('finish', () => {
    // Node's own handler ran first: it ended the socket and will destroy it once the FIN
    // is written. Keep the FIN, drop the destroy.
    socket.removeListener('finish', socket.destroy);
    const cut = setTimeout(() => socket.destroy(), LINGER_MS);
    cut.unref();
    socket.once('close', () => clearTimeout(cut));
    // The client's EOF: it has read the answer and stopped sending.
    socket.once('end', () => socket.destroy());
    req.resume(); // read the rest of the body, into nothing
    socket.resume();
    if (!socket.writableEnded) socket.end();
  });
}

function statusOf(e: DomainError): number {
  if (e instanceof NotFoundError) return HttpStatus.NOT_FOUND;
  if (e instanceof InvalidArgumentError) return HttpStatus.BAD_REQUEST;
  if (e instanceof LimitExceededError) return HttpStatus.CONFLICT;
  if (e instanceof UnavailableError) return HttpStatus.SERVICE_UNAVAILABLE;
  if (e instanceof PayloadTooLargeError) return HttpStatus.PAYLOAD_TOO_LARGE;
  if (e instanceof ForbiddenError) return HttpStatus.FORBIDDEN;
  if (e instanceof UnauthorizedError) return HttpStatus.UNAUTHORIZED;
  return HttpStatus.INTERNAL_SERVER_ERROR;
}
