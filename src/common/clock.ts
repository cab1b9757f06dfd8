import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Source of time in milliseconds since the Unix epoch, and of waits measured on it.
 * Injected, so tests move time instead of sleeping.
 */
export abstract class Clock {
  abstract now(): number;

  /**
   * Resolves true once `ms` of this clock's time has passed, or false as soon as `signal`
   * aborts (a client that left, a shutdown). Never rejects.
   */
  abstract sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
}

/**
 * Wall-clock time that never goes backwards: anchored to the epoch once at start-up and
 * advanced by the monotonic timer, so an NTP step cannot reorder samples or make a
 * sliding window go negative.
 */
@Injectable()
export class MonotonicClock extends Clock {
  private readonly origin = performance.timeOrigin;

  now(): number {
    return this.origin + performance.now();
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    try {
      await delay(ms, undefined, { signal });
      return true;
    } catch {
      return false; // aborted
    }
  }
}
