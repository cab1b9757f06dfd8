import { crc32 } from 'node:zlib';

/**
 * The request counter's file format: an 8-byte magic, then frames. Each frame is
 *
 *   u32 LE payload length | u32 LE CRC-32 of the payload | payload
 *   payload = f64 LE base millisecond | varint n | n × (varint Δms, varint count)
 *
 * where the first Δms is relative to the base and each later one to the previous entry.
 * A frame says "this many more requests arrived at these milliseconds"; replaying the
 * file sums every frame. The first frame after a compaction is a snapshot of the whole
 * window; later frames are what arrived since the previous flush. At a steady load every
 * millisecond costs about 2–4 bytes, whatever the request rate.
 */
export const MAGIC = Buffer.from('BCNRC\x00\x01\n', 'latin1');
const FRAME_HEADER = 8;
/** Far above any frame Beacon writes (a 1-hour window is under 40 MB); guards allocations. */
export const MAX_PAYLOAD = 256 * 1024 * 1024;

/** Counts in parallel arrays: `count[k]` requests in millisecond `ms[k]`. */
export interface Entries {
  ms: number[];
  count: number[];
}

/** Encodes one frame. `ms` must be ascending integers, counts positive integers. */
export function encodeFrame(entries: Entries): Buffer {
  const n = entries.ms.length;
  // Worst case 8 bytes per varint (values below 2^53) keeps the buffer a single allocation.
  const buf = Buffer.allocUnsafe(FRAME_HEADER + 8 + 8 + n * 16);
  let at = FRAME_HEADER;
  const base = n > 0 ? entries.ms[0] : 0;
  buf.writeDoubleLE(base, at);
  at += 8;
  at = writeVarint(buf, at, n);
  let prev = base;
  for (let i = 0; i < n; i++) {
    at = writeVarint(buf, at, entries.ms[i] - prev);
    at = writeVarint(buf, at, entries.count[i]);
    prev = entries.ms[i];
  }
  const payload = buf.subarray(FRAME_HEADER, at);
  buf.writeUInt32LE(payload.length, 0);
  buf.writeUInt32LE(crc32(payload), 4);
  return buf.subarray(0, at);
}

export type Damage =
  /** Nothing wrong. */
  | 'none'
  /** The last frame ends past the end of the file: a write that did not finish. */
  | 'torn'
  /** A frame's checksum or structure is wrong: the bytes were changed after writing. */
  | 'corrupt';

export interface DecodedLog {
  /** Not a counter file at all (wrong magic). */
  foreign: boolean;
  damage: Damage;
  /** Bytes from the start of the file up to the end of the last good frame. */
  validBytes: number;
  frames: number;
}

/**
 * Replays a file's good frames through `onEntry`, stopping at the first frame that is
 * incomplete or does not check out. Never throws on bad input.
 */
export function decodeLog(buf: Buffer, onEntry: (ms: number, count: number) => void): DecodedLog {
  if (buf.length < MAGIC.length) {
    // A file cut short while its header was written is a torn, empty log.
    const isPrefix = MAGIC.subarray(0, buf.length).equals(buf);
    return {
      foreign: !isPrefix,
      damage: buf.length > 0 ? 'torn' : 'none',
      validBytes: 0,
      frames: 0,
    };
  }
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    return { foreign: true, damage: 'corrupt', validBytes: 0, frames: 0 };
  }
  let at = MAGIC.length;
  let frames = 0;
  while (at < buf.length) {
    if (buf.length - at < FRAME_HEADER)
      return { foreign: false, damage: 'torn', validBytes: at, frames };
    const length = buf.readUInt32LE(at);
    const crc = buf.readUInt32LE(at + 4);
    if (length > MAX_PAYLOAD) return { foreign: false, damage: 'corrupt', validBytes: at, frames };
    if (at + FRAME_HEADER + length > buf.length) {
      return { foreign: false, damage: 'torn', validBytes: at, frames };
    }
    const payload = buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length);
    if (crc32(payload) !== crc || !decodePayload(payload, onEntry)) {
      return { foreign: false, damage: 'corrupt', validBytes: at, frames };
    }
    at += FRAME_HEADER + length;
    frames++;
  }
  return { foreign: false, damage: 'none', validBytes: at, frames };
}

/**
 * Two passes: the first checks the whole payload without allocating, so a bad frame
 * contributes nothing; the second emits its entries.
 */
function decodePayload(p: Buffer, onEntry: (ms: number, count: number) => void): boolean {
  if (p.length < 9) return false;
  const base = p.readDoubleLE(0);
  if (!Number.isSafeInteger(base) || base < 0) return false;
  const cursor = { at: 8 };
  const n = readVarint(p, cursor);
  // Each entry takes at least 2 bytes.
  if (n < 0 || n * 2 > p.length - cursor.at) return false;
  const start = cursor.at;
  let prev = base;
  for (let i = 0; i < n; i++) {
    const d = readVarint(p, cursor);
    const c = readVarint(p, cursor);
    if (d < 0 || c < 1 || (i > 0 && d === 0)) return false;
    prev += d;
    if (!Number.isSafeInteger(prev)) return false;
  }
  if (cursor.at !== p.length) return false;
  cursor.at = start;
  prev = base;
  for (let i = 0; i < n; i++) {
    prev += readVarint(p, cursor);
    onEntry(prev, readVarint(p, cursor));
  }
  return true;
}

function writeVarint(buf: Buffer, at: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    buf[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[at++] = v;
  return at;
}

/** LEB128 up to 2^53; returns −1 when it runs off the end or is too long. */
function readVarint(buf: Buffer, cursor: { at: number }): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (cursor.at >= buf.length) return -1;
    const b = buf[cursor.at++];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 0x80;
  }
  return -1;
}
