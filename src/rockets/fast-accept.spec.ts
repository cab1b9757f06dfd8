import { BadRequestException } from '@nestjs/common';
import { rng } from '../../test/helpers/random';
import { rocketHistory } from '../../test/helpers/rocket-history';
import { fastAccept } from './fast-accept';
import { RocketMessagePipe } from './rocket-message.pipe';

// The pipe without its fast path (NO_FAST=1): class-validator alone.
jest.mock('./fast-accept', () => {
  const real: typeof import('./fast-accept') = jest.requireActual('./fast-accept');
  return { fastAccept: (v: unknown) => (process.env.NO_FAST === '1' ? null : real.fastAccept(v)) };
});

function slow(value: unknown): unknown {
  process.env.NO_FAST = '1';
  try {
    return new RocketMessagePipe().transform(value);
  } catch (err) {
    if (err instanceof BadRequestException) return 'rejected';
    throw err;
  } finally {
    delete process.env.NO_FAST;
  }
}

const ODD_VALUES: unknown[] = [
  '',
  'x',
  'x'.repeat(200),
  'x'.repeat(201),
  '😀'.repeat(101),
  '😀'.repeat(150),
  0,
  -1,
  1,
  1.5,
  2 ** 53,
  2 ** 53 - 1,
  Number.MAX_VALUE,
  '5',
  null,
  true,
  [],
  {},
  [1],
  { a: 1 },
  '2022-02-02T19:39:05.86337+01:00',
  '2022-02-02t19:39:05Z',
  '2022-02-02 19:39:05Z',
  '2022-02-30T19:39:05Z',
  '2022-02-02T24:00:00Z',
  '2022-02-02T19:39:60Z',
  '2022-02-02',
  'RocketLaunched',
  'RocketExploded',
  'RocketSpeedIncreased',
  'toString',
  '__proto__',
];

/** Random surgery on a valid message: change, drop or add one thing at some depth. */
function mutate(msg: Record<string, unknown>, random: () => number): unknown {
  const copy = JSON.parse(JSON.stringify(msg)) as Record<string, Record<string, unknown>>;
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const target =
    random() < 0.15 ? (copy as Record<string, unknown>) : pick([copy.metadata, copy.message]);
  const r = random();
  if (r < 0.6) {
    const key = pick(Object.keys(target));
    target[key] = pick(ODD_VALUES);
  } else if (r < 0.75) {
    delete target[pick(Object.keys(target))];
  } else if (r < 0.9) {
    target[pick(['extra', 'by', 'type', 'reason', 'constructor'])] = pick(ODD_VALUES);
  } else {
    // An own __proto__ key, as JSON.parse makes it.
    return JSON.parse(JSON.stringify(copy).replace('{', '{"__proto__": {"x": 1},'));
  }
  return copy;
}

describe('fastAccept', () => {
  const random = rng(42);
  const valid = Array.from({ length: 20 }, (_, i) => rocketHistory(`r${i}`, 30, random)).flat();

  it('takes every ordinary valid message, with the same result as class-validator', () => {
    for (const m of valid) {
      const fast = fastAccept(m);
      expect(fast).not.toBeNull();
      expect(fast).toEqual(slow(m));
    }
  });

  it('never accepts what class-validator rejects, and agrees on what both accept (10,000 mutations)', () => {
    let fastTook = 0;
    let slowRejected = 0;
    for (let i = 0; i < 10_000; i++) {
      const m = mutate(valid[i % valid.length] as unknown as Record<string, unknown>, random);
      const fast = fastAccept(m);
      const s = slow(m);
      if (s === 'rejected') slowRejected++;
      if (fast !== null) {
        fastTook++;
        expect(s).toEqual(fast);
      }
    }
    // The mutations must exercise both sides for this test to mean anything.
    expect(slowRejected).toBeGreaterThan(2500);
    expect(fastTook).toBeGreaterThan(500);
  }, 60_000);
});
