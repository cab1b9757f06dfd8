import { MAGIC, decodeLog, encodeFrame } from './counter-log';

const T = Date.UTC(2026, 0, 1);

function decode(buf: Buffer) {
  const got: [number, number][] = [];
  const result = decodeLog(buf, (ms, c) => got.push([ms, c]));
  return { ...result, got };
}

describe('counter log format', () => {
  const a = encodeFrame({ ms: [T, T + 1, T + 500], count: [3, 1, 300] });
  const b = encodeFrame({ ms: [T + 501, T + 60_000], count: [1, 2 ** 32 - 1] });

  it('round-trips frames, summing entries in order', () => {
    const r = decode(Buffer.concat([MAGIC, a, b]));
    expect(r).toMatchObject({ foreign: false, damage: 'none', frames: 2 });
    expect(r.got).toEqual([
      [T, 3],
      [T + 1, 1],
      [T + 500, 300],
      [T + 501, 1],
      [T + 60_000, 2 ** 32 - 1],
    ]);
  });

  it('costs about 2 bytes per busy millisecond', () => {
    const ms = Array.from({ length: 1000 }, (_, i) => T + i);
    const frame = encodeFrame({ ms, count: ms.map(() => 10) });
    expect(frame.length).toBeLessThan(2 * 1000 + 32);
  });

  it('an empty file and an empty log are fine', () => {
    expect(decode(Buffer.alloc(0))).toMatchObject({ foreign: false, damage: 'none', frames: 0 });
    expect(decode(MAGIC)).toMatchObject({ foreign: false, damage: 'none', frames: 0 });
  });

  it('a file cut anywhere inside a frame is torn: the frames before it are used', () => {
    const whole = Buffer.concat([MAGIC, a, b]);
    for (let cut = MAGIC.length + a.length + 1; cut < whole.length; cut++) {
      const r = decode(whole.subarray(0, cut));
      expect(r).toMatchObject({ damage: 'torn', frames: 1, validBytes: MAGIC.length + a.length });
      expect(r.got).toHaveLength(3);
    }
    expect(decode(MAGIC.subarray(0, 3))).toMatchObject({ foreign: false, damage: 'torn' });
  });

  it('a flipped bit anywhere in a frame is caught and nothing of that frame is used', () => {
    const whole = Buffer.concat([MAGIC, a, b]);
    for (let i = MAGIC.length + a.length; i < whole.length; i++) {
      const copy = Buffer.from(whole);
      copy[i] ^= 0x10;
      const r = decode(copy);
      expect(r.damage).not.toBe('none');
      expect(r.frames).toBe(1);
      expect(r.got).toHaveLength(3);
    }
  });

  it('anything without the magic is foreign', () => {
    expect(decode(Buffer.from('{"count": 3}\n'))).toMatchObject({ foreign: true, frames: 0 });
    expect(decode(Buffer.from('BX'))).toMatchObject({ foreign: true });
  });

  it('random garbage after the magic never throws and never yields entries', () => {
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.from(
        Array.from({ length: 1 + (i % 64) }, () => (Math.random() * 256) | 0),
      );
      const r = decode(Buffer.concat([MAGIC, junk]));
      expect(r.damage).not.toBe('none');
      expect(r.got).toEqual([]);
    }
  });
});
