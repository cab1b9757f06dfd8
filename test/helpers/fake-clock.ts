import { Clock } from '../../src/common/clock';

interface Sleeper {
  at: number;
  resolve: (done: boolean) => void;
}

/**
 * A clock that only moves when told to. `sleep` resolves when `advance` or `set` moves the
 * clock past its end, so a test that waits 5 s of this clock waits no real time at all.
 */
export class FakeClock extends Clock {
  private sleepers: Sleeper[] = [];

  constructor(private current = Date.UTC(2026, 0, 1)) {
    super();
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const sleeper: Sleeper = { at: this.current + ms, resolve };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        resolve(false);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      sleeper.resolve = (done) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(done);
      };
      this.sleepers.push(sleeper);
      this.wakeDue();
    });
  }

  /** Sleeps not yet over: lets a test wait until the code under test has started waiting. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  advance(ms: number): void {
    this.current += ms;
    this.wakeDue();
  }

  set(ms: number): void {
    this.current = ms;
    this.wakeDue();
  }

  private wakeDue(): void {
    const due = this.sleepers.filter((s) => s.at <= this.current);
    if (due.length === 0) return;
    this.sleepers = this.sleepers.filter((s) => s.at > this.current);
    for (const s of due) s.resolve(true);
  }
}
