import { Backoff } from './backoff';

describe('Backoff (equal jitter)', () => {
  it('doubles the cap per failure up to the maximum and waits between half and all of it', () => {
    const low = new Backoff(100, 1000, () => 0);
    const high = new Backoff(100, 1000, () => 0.999_999);
    const lows = Array.from({ length: 6 }, () => low.fail());
    const highs = Array.from({ length: 6 }, () => Math.round(high.fail()));
    expect(lows).toEqual([50, 100, 200, 400, 500, 500]);
    expect(highs).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(low.failures).toBe(6);
  });

  it('starts again from the base after a success, and honours a base given per failure', () => {
    const b = new Backoff(100, 10_000, () => 0);
    b.fail();
    b.fail();
    b.reset();
    expect(b.failures).toBe(0);
    expect(b.fail()).toBe(50);
    // The SSE server's `retry:` replaces the base for that attempt.
    expect(b.fail(3000)).toBe(3000);
  });

  it('never overflows after very many failures', () => {
    const b = new Backoff(250, 30_000, () => 0.5);
    let last = 0;
    for (let i = 0; i < 10_000; i++) last = b.fail();
    expect(last).toBe(22_500);
  });
});
