import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';

/** Source of time in milliseconds since the Unix epoch; injected so tests can move it. */
export abstract class Clock {
  abstract now(): number;
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
}

/** A clock that only moves when told to. */
export class FakeClock extends Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {
    super();
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(ms: number): void {
    this.current = ms;
  }
}
