import { MetricConfig } from './latency.store';

/** A write to the latency log. `at` is the writer's time (the shared clock). */
export type LatencyOp =
  | { k: 'record'; id: string; v: number[]; at: number }
  | { k: 'configure'; id: string; c: Partial<MetricConfig>; at: number }
  | { k: 'remove'; id: string }
  | { k: 'expire'; at: number; idle: number };

/** First byte of a batch of samples in binary; a JSON batch starts with `[`. */
const SAMPLES = 0x01;

/**
 * A batch made only of samples, as bytes: `0x01 · u32 count`, then per op `f64 at ·
 * u16 id length · id (UTF-8) · u32 values · f64 values`, little-endian. A replay reads it
 * several times faster than the same as JSON, and it is half the size. Any other batch
 * (a PUT, a DELETE, an expiry among the samples) stays JSON: null.
 */
export function encodeLatencyOps(ops: LatencyOp[]): Buffer | null {
  let size = 5;
  for (const op of ops) {
    if (op.k !== 'record') return null;
    size += 8 + 2 + Buffer.byteLength(op.id) + 4 + 8 * op.v.length;
  }
  const buf = Buffer.allocUnsafe(size);
  buf[0] = SAMPLES;
  buf.writeUInt32LE(ops.length, 1);
  let at = 5;
  for (const op of ops as Extract<LatencyOp, { k: 'record' }>[]) {
    buf.writeDoubleLE(op.at, at);
    const idBytes = buf.write(op.id, at + 10, 'utf8');
    buf.writeUInt16LE(idBytes, at + 8);
    at += 10 + idBytes;
    buf.writeUInt32LE(op.v.length, at);
    at += 4;
    for (const v of op.v) {
      buf.writeDoubleLE(v, at);
      at += 8;
    }
  }
  return buf;
}

export function decodeLatencyOps(buf: Buffer): LatencyOp[] {
  if (buf[0] !== SAMPLES) throw new Error(`not a latency batch (first byte ${buf[0]})`);
  const n = buf.readUInt32LE(1);
  const ops: LatencyOp[] = new Array<LatencyOp>(n);
  let at = 5;
  for (let i = 0; i < n; i++) {
    const time = buf.readDoubleLE(at);
    const idBytes = buf.readUInt16LE(at + 8);
    const id = buf.toString('utf8', at + 10, at + 10 + idBytes);
    at += 10 + idBytes;
    const count = buf.readUInt32LE(at);
    at += 4;
    const v = new Array<number>(count);
    for (let j = 0; j < count; j++, at += 8) v[j] = buf.readDoubleLE(at);
    ops[i] = { k: 'record', id, v, at: time };
  }
  return ops;
}
