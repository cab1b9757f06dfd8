import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import {
  DomainError,
  InvalidArgumentError,
  LimitExceededError,
  NotFoundError,
  UnavailableError,
} from './domain-errors';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/** Errors raised by Express's body parser before Nest sees the request. */
interface BodyParserError {
  type: string;
  status: number;
  message: string;
}

function isBodyParserError(e: unknown): e is BodyParserError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as BodyParserError).type === 'string' &&
    typeof (e as BodyParserError).status === 'number'
  );
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

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const out = this.toBody(exception);
    if (exception instanceof UnavailableError) {
      res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    // A domain error at 5xx (UnavailableError) is an expected answer, not a fault: no stack.
    if (out.statusCode >= 500 && !(exception instanceof DomainError)) {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    if (res.headersSent) return;
    res.status(out.statusCode).json(out);
  }

  private toBody(e: unknown): ErrorBody {
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
    if (isBodyParserError(e)) {
      // Invalid JSON never gets here: Nest's router already turns it into a 400.
      if (e.type === 'entity.too.large') {
        return body(HttpStatus.PAYLOAD_TOO_LARGE, 'Request body is larger than BODY_LIMIT');
      }
      if (e.status >= 400 && e.status < 500) return body(e.status, e.message);
    }
    return body(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error');
  }
}

function statusOf(e: DomainError): number {
  if (e instanceof NotFoundError) return HttpStatus.NOT_FOUND;
  if (e instanceof InvalidArgumentError) return HttpStatus.BAD_REQUEST;
  if (e instanceof LimitExceededError) return HttpStatus.CONFLICT;
  if (e instanceof UnavailableError) return HttpStatus.SERVICE_UNAVAILABLE;
  return HttpStatus.INTERNAL_SERVER_ERROR;
}
