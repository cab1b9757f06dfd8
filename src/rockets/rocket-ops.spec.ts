import { rng } from '../../test/helpers/random';
import { rocketHistory } from '../../test/helpers/rocket-history';
import { MessageType, RocketPayload } from './rocket';
import { RocketsOp, decodeRocketsOps, encodeRocketsOps } from './rocket-ops';

describe('rockets log batches', () => {
  it('messages of every type round-trip through the binary form exactly', () => {
    const random = rng(4);
    const ops: RocketsOp[] = Array.from({ length: 8 }, (_, r) =>
      rocketHistory(`ch-${r}-ü`, 20, random),
    )
      .flat()
      .map((w, i) => ({
        channel: w.metadata.channel,
        number: w.metadata.messageNumber,
        time: w.metadata.messageTime,
        type: w.metadata.messageType as MessageType,
        payload: w.message as unknown as RocketPayload,
        at: 1_796_530_065_125.25 + i,
      }));
    expect(new Set(ops.map((o) => ('type' in o ? o.type : '')))).toEqual(
      new Set([
        'RocketLaunched',
        'RocketSpeedIncreased',
        'RocketSpeedDecreased',
        'RocketMissionChanged',
        'RocketExploded',
      ]),
    );
    const bin = encodeRocketsOps(ops)!;
    expect(bin[0]).not.toBe('['.charCodeAt(0));
    expect(decodeRocketsOps(bin)).toEqual(ops);
    expect(bin.length).toBeLessThan(Buffer.byteLength(JSON.stringify(ops)));
  });

  it('a batch with a DELETE, an expiry, a message without its arrival or an odd payload stays JSON', () => {
    const launch = {
      channel: 'a',
      number: 1,
      time: '2026-01-01T00:00:00Z',
      type: 'RocketLaunched' as const,
      payload: { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' },
      at: 1,
    };
    expect(encodeRocketsOps([launch, { k: 'remove', id: 'a' }])).toBeNull();
    expect(encodeRocketsOps([{ k: 'expire', at: 1, idle: 2 }])).toBeNull();
    expect(encodeRocketsOps([{ ...launch, at: undefined }])).toBeNull();
    expect(
      encodeRocketsOps([{ ...launch, payload: { ...launch.payload, extra: 1 } as RocketPayload }]),
    ).toBeNull();
  });
});
