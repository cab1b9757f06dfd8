import { PostOp, decodePostOps, encodePostOps } from './post-ops';

describe('stream log batches', () => {
  it('posts round-trip through the binary form exactly: absent values, event ids or none', () => {
    const ops: PostOp[] = [
      { a: 1_796_530_065_125.4563, t: 1_700_000_000, v: [12, null, 0, 9007199254740991], e: '42' },
      { a: 1, t: -5, v: [] },
      { a: 2, t: 3.5, v: [null, 1.25], e: 'événement/é' },
    ];
    const bin = encodePostOps(ops)!;
    expect(bin[0]).not.toBe('['.charCodeAt(0));
    expect(decodePostOps(bin)).toEqual(ops);
  });

  it('an event id too long for the binary form leaves the batch to JSON', () => {
    expect(encodePostOps([{ a: 1, t: 1, v: [], e: 'x'.repeat(70_000) }])).toBeNull();
  });
});
