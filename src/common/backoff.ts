/**
 * Capped exponential backoff with *equal* jitter, for reconnecting to something that went
 * away (the SSE upstream, the database). After the n-th consecutive failure the wait is
 * uniform in [cap/2, cap], cap = min(max, base · 2^(n−1)): half of it is a floor, so a
 * flapping peer is never hammered with near-zero waits, and the random half spreads many
 * instances that lost the same peer so they do not come back in lockstep.
 */
export class Backoff {
  private failed = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Consecutive failures since the last success. */
  get failures(): number {
    return this.failed;
  }

  /** Counts one more failure and returns how long to wait before the next attempt. */
  fail(baseMs = this.baseMs): number {
    this.failed++;
    const cap = Math.min(this.maxMs, baseMs * 2 ** Math.min(this.failed - 1, 30));
    return cap / 2 + this.random() * (cap / 2);
  }

  /** A success: the next failure starts from the base again. */
  reset(): void {
    this.failed = 0;
  }
}
