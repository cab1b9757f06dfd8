import { Expose, Transform } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { DerivedSettings, invalid, toBool, toInt } from '../config/settings';

/** The request counter. Validated once at start with every other group (config/load-settings.ts). */
export class RequestCounterSettings implements DerivedSettings {
  static readonly section = 'Request counter';

  /** Count every HTTP request; off only to measure what counting costs. */
  @Expose() @Transform(toBool) @IsBoolean() COUNTER_ENABLED = true;

  /** 4 bytes of memory per millisecond of window: 240 KB at 60 s, 14.4 MB at the 1 h cap. */
  @Expose() @Transform(toInt) @IsInt() @Min(1) @Max(3600) COUNTER_WINDOW_SECONDS = 60;

  /** How often new counts are appended and fsynced: the most a `kill -9` can lose. */
  @Expose() @Transform(toInt) @IsInt() @Min(10) @Max(60_000) COUNTER_FLUSH_MS = 250;

  derive(): void {
    if (this.COUNTER_FLUSH_MS >= this.COUNTER_WINDOW_SECONDS * 1000) {
      invalid('COUNTER_FLUSH_MS must be shorter than COUNTER_WINDOW_SECONDS');
    }
  }
}
