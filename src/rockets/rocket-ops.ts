import { MESSAGE_TYPES, MessageType, RocketPayload } from './rocket';
import { RocketMessage } from './rocket-message';

/**
 * An entry of the rockets log: a message (as it always was, with the time it arrived), or
 * one of the two ops that forget rockets. Only messages have a `channel`.
 */
export type RocketsOp =
  | (RocketMessage & { at?: number })
  | { k: 'remove'; id: string }
  | { k: 'expire'; at: number; idle: number };

export function isMessage(op: RocketsOp): op is RocketMessage & { at?: number } {
  return 'channel' in op;
}

/** First byte of a batch of messages in binary; a JSON batch starts with `[`. */
const MESSAGES = 0x03;

/** The payload's fields, in order, each a string (s) or a number (n), per message type. */
const FIELDS: Record<MessageType, [string, 's' | 'n'][]> = {
  RocketLaunched: [
    ['type', 's'],
    ['launchSpeed', 'n'],
    ['mission', 's'],
  ],
  RocketSpeedIncreased: [['by', 'n']],
  RocketSpeedDecreased: [['by', 'n']],
  RocketExploded: [['reason', 's']],
  RocketMissionChanged: [['newMission', 's']],
};

/**
 * A batch made only of messages (each with its arrival time and exactly its type's payload
 * fields) as bytes: `0x03 · u32 count`, then per message `f64 at · f64 number · u8 type ·
 * channel · time · the payload's fields in a fixed order`, strings as `u16 length · UTF-8`.
 * Anything else (a DELETE, an expiry, an odd payload) leaves the batch to JSON: null.
 */
export function encodeRocketsOps(ops: RocketsOp[]): Buffer | null {
  const parts: Buffer[] = [Buffer.from([MESSAGES, 0, 0, 0, 0])];
  parts[0].writeUInt32LE(ops.length, 1);
  for (const op of ops) {
    if (!isMessage(op) || op.at === undefined) return null;
    const fields = FIELDS[op.type];
    const payload = op.payload as unknown as Record<string, unknown>;
    if (Object.keys(payload).length !== fields.length) return null;
    const head = Buffer.allocUnsafe(17);
    head.writeDoubleLE(op.at, 0);
    head.writeDoubleLE(op.number, 8);
    head[16] = MESSAGE_TYPES.indexOf(op.type);
    parts.push(head);
    if (!pushString(parts, op.channel) || !pushString(parts, op.time)) return null;
    for (const [name, kind] of fields) {
      const value = payload[name];
      if (kind === 's') {
        if (typeof value !== 'string' || !pushString(parts, value)) return null;
      } else {
        if (typeof value !== 'number') return null;
        const n = Buffer.allocUnsafe(8);
        n.writeDoubleLE(value, 0);
        parts.push(n);
      }
    }
  }
  return Buffer.concat(parts);
}

function pushString(parts: Buffer[], text: string): boolean {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 0xffff) return false;
  const len = Buffer.allocUnsafe(2);
  len.writeUInt16LE(bytes.length, 0);
  parts.push(len, bytes);
  return true;
}

export function decodeRocketsOps(buf: Buffer): RocketsOp[] {
  if (buf[0] !== MESSAGES) throw new Error(`not a batch of rocket messages (first byte ${buf[0]})`);
  const n = buf.readUInt32LE(1);
  const ops = new Array<RocketsOp>(n);
  let at = 5;
  const str = (): string => {
    const len = buf.readUInt16LE(at);
    const s = buf.toString('utf8', at + 2, at + 2 + len);
    at += 2 + len;
    return s;
  };
  for (let i = 0; i < n; i++) {
    const arrival = buf.readDoubleLE(at);
    const number = buf.readDoubleLE(at + 8);
    const type = MESSAGE_TYPES[buf[at + 16]];
    at += 17;
    const channel = str();
    const time = str();
    const payload: Record<string, string | number> = {};
    for (const [name, kind] of FIELDS[type]) {
      if (kind === 's') {
        payload[name] = str();
      } else {
        payload[name] = buf.readDoubleLE(at);
        at += 8;
      }
    }
    ops[i] = {
      channel,
      number,
      time,
      type,
      payload: payload as unknown as RocketPayload,
      at: arrival,
    };
  }
  return ops;
}
