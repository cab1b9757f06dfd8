import { Expose, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsString, Max, Min } from 'class-validator';
import { toInt, toBool } from './settings';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The process: where it listens, where it keeps files, how it logs, its workers and its jobs. Validated once at start with every other group (config/load-settings.ts). */
export class CoreSettings {
  static readonly section = 'Process';

  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 8080;

  /** Loopback unless told otherwise: exposing the service is a deliberate act. */
  @Expose() @IsString() @IsNotEmpty() HOST = '127.0.0.1';

  @Expose() @IsString() @IsNotEmpty() DATA_DIR = './data';

  @Expose() @IsIn(LOG_LEVELS) LOG_LEVEL: LogLevel = 'info';

  /** Master switch for every scheduled job (pruning, flushing). */
  @Expose() @Transform(toBool) @IsBoolean() JOBS_ENABLED = true;

  /** Processes `npm start` runs on the one HTTP port (node:cluster); more than 1 needs redis. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(64) WORKERS = 1;

  /**
   * Set by the cluster's primary, not by users: which worker this is. Only worker 0 binds
   * the UDP ports, so one sender's datagrams all reach one process (its sequence tracking).
   */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(63) BEACON_WORKER_INDEX = 0;
  /** Kernel receive buffer of both UDP listeners (StatsD, api-metrics): what absorbs a burst while the event loop is busy. */
  @Expose() @Transform(toInt) @IsInt() @Min(65_536) @Max(268_435_456) METRICS_UDP_RCVBUF =
    4_194_304;

  /**
   * A graceful stop (SIGTERM, SIGINT) ends within this: new answers carry
   * `Connection: close` at once, connections still open at half of it are cut (their
   * requests were not answered, so nothing acknowledged is lost), and what was accepted is
   * flushed; past it the process exits 1 saying so.
   */
  @Expose() @Transform(toInt) @IsInt() @Min(1000) @Max(600_000) SHUTDOWN_TIMEOUT_MS = 10_000;
}
