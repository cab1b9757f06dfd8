/** One post in the log: arrival, timestamp, the values (null where absent), its event id. */
export interface PostOp {
  a: number;
  t: number;
  v: (number | null)[];
  e?: string;
}

/** First byte of a batch of posts in binary; a JSON batch starts with `[`. */
const POSTS = 0x02;
const NO_EVENT_ID = 0xffff;

/**
 * A batch of posts as bytes: `0x02 · u32 count`, then per post `f64 arrival · f64 timestamp ·
 * u8 values · f64 each (NaN where absent) · u16 event id length (0xffff: none) · id (UTF-8)`,
 * little-endian. A day of posts replays in a fraction of the time JSON takes. Null when an
 * event id is too long for it (the batch then goes as JSON).
 */
export function encodePostOps(ops: PostOp[]): Buffer | null {
  let size = 5;
  for (const op of ops) {
    const idBytes = op.e === undefined ? 0 : Buffer.byteLength(op.e);
    if (idBytes >= NO_EVENT_ID || op.v.length > 255) return null;
    size += 8 + 8 + 1 + 8 * op.v.length + 2 + idBytes;
  }
  const buf = Buffer.allocUnsafe(size);
  buf[0] = POSTS;
  buf.writeUInt32LE(ops.length, 1);
  let at = 5;
  for (const op of ops) {
    buf.writeDoubleLE(op.a, at);
    buf.writeDoubleLE(op.t, at + 8);
    buf[at + 16] = op.v.length;
    at += 17;
    for (const x of op.v) {
      buf.writeDoubleLE(x === null ? NaN : x, at);
      at += 8;
    }
    if (op.e === undefined) {
      buf.writeUInt16LE(NO_EVENT_ID, at);
      at += 2;
    } else {
      const n = buf.write(op.e, at + 2, 'utf8');
      buf.writeUInt16LE(n, at);
      at += 2 + n;
    }
  }
  return buf;
}

export function decodePostOps(buf: Buffer): PostOp[] {
  if (buf[0] !== POSTS) throw new Error(`not a batch of posts (first byte ${buf[0]})`);
  const n = buf.readUInt32LE(1);
  const ops = new Array<PostOp>(n);
  let at = 5;
  for (let i = 0; i < n; i++) {
    const a = buf.readDoubleLE(at);
    const t = buf.readDoubleLE(at + 8);
    const count = buf[at + 16];
    at += 17;
    const v = new Array<number | null>(count);
    for (let d = 0; d < count; d++, at += 8) {
      const x = buf.readDoubleLE(at);
      v[d] = Number.isNaN(x) ? null : x;
    }
    const idBytes = buf.readUInt16LE(at);
    at += 2;
    if (idBytes === NO_EVENT_ID) {
      ops[i] = { a, t, v };
    } else {
      ops[i] = { a, t, v, e: buf.toString('utf8', at, at + idBytes) };
      at += idBytes;
    }
  }
  return ops;
}
