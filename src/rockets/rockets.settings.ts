import { Expose, Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { toInt } from '../config/settings';

/** The rockets module: how many rockets and buffered messages, and when a never-launched one goes. Validated once at start with every other group (config/load-settings.ts). */
export class RocketsSettings {
  static readonly section = 'Rockets';

  /** Rockets tracked at once; a message for one more answers 503. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) ROCKETS_MAX_CHANNELS = 100_000;

  /** Out-of-order messages one rocket may hold while waiting for a gap to fill. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) ROCKETS_MAX_BUFFERED_PER_CHANNEL =
    10_000;

  /** Out-of-order messages all rockets together may hold. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(100_000_000) ROCKETS_MAX_BUFFERED = 1_000_000;

  /** Applied messages per rocket remembered (4 bytes each) to tell a conflicting duplicate. */
  @Expose() @Transform(toInt) @IsInt() @Min(16) @Max(10_000_000) ROCKETS_DEDUP_HISTORY = 10_000;

  /**
   * A rocket that never launched (message 1 never arrived) and has received nothing for
   * this long is dropped, its buffered messages counted as discarded. 0 = never.
   */
  @Expose() @Transform(toInt) @IsInt() @Min(0) @Max(2_592_000_000) ROCKETS_PENDING_EXPIRY_MS =
    3_600_000;

  /** How often pending rockets are checked for expiry. */
  @Expose() @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) ROCKETS_EXPIRY_INTERVAL_MS =
    10_000;
}
