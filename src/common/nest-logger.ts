import { LoggerService } from '@nestjs/common';

/** Nest's own start-up narration: a line per module and per route, every start. */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'WebSocketsController',
]);

/**
 * The logger Nest gets: Beacon's JSON logger without Nest's start-up narration, and without
 * the copy of a start-up error that Nest's ExceptionHandler logs before rethrowing it, nor
 * the copy of a failed listen that NestApplication logs before rejecting (main reports
 * either itself, as its one fatal line). Warnings and other errors from Nest pass.
 */
export class BeaconNestLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...rest: unknown[]): void {
    if (FRAMEWORK_CONTEXTS.has(rest.at(-1) as string)) return;
    this.inner.log(message, ...rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.inner.warn(message, ...rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.inner.debug?.(message, ...rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.inner.verbose?.(message, ...rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.inner.fatal?.(message, ...rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    if (rest.at(-1) === 'ExceptionHandler') return;
    if (rest.at(-1) === 'NestApplication' && /^Error: (listen|bind) /.test(String(message))) return;
    this.inner.error(message, ...rest);
  }
}
