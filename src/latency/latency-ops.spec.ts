import { LatencyOp, decodeLatencyOps, encodeLatencyOps } from './latency-ops';

describe('latency log batches', () => {
  it('samples round-trip through the binary form exactly, ids in any script', () => {
    const ops: LatencyOp[] = [
      {
        k: 'record',
        id: 'checkout-api',
        v: [1, 2.5, 9007199254740991],
        at: 1_796_530_065_125.4563,
      },
      { k: 'record', id: 'ünïcødé/路由', v: [], at: 0 },
      { k: 'record', id: 'x', v: [42], at: 1 },
    ];
    const bin = encodeLatencyOps(ops)!;
    expect(bin[0]).not.toBe('['.charCodeAt(0));
    expect(decodeLatencyOps(bin)).toEqual(ops);
    expect(bin.length).toBeLessThan(Buffer.byteLength(JSON.stringify(ops)));
  });

  it('a batch with anything but samples stays JSON', () => {
    expect(
      encodeLatencyOps([
        { k: 'record', id: 'a', v: [1], at: 1 },
        { k: 'remove', id: 'a' },
      ]),
    ).toBeNull();
  });
});
