import { crc32 } from 'node:zlib';

/**
 * The local log's file format. A segment file is an 8-byte magic, then frames:
 *
 *   u32 LE payload length | u32 LE CRC-32 of the rest | f64 LE entry seq | f64 LE time (ms) | payload
 *
 * The CRC covers the seq, the time and the payload, so a torn or overwritten frame fails it.
 * A snapshot file is its own magic and one frame whose seq is the last entry it holds.
 */
export const LOG_MAGIC = Buffer.from('BCNLOG\x00\x01', 'latin1');
export const SNAPSHOT_MAGIC = Buffer.from('BCNSNP\x00\x01', 'latin1');
export const FRAME_HEADER = 24;
/** Far above any frame Beacon writes; guards allocations when a length field is garbage. */
const MAX_PAYLOAD = 2 ** 31;

export interface Frame {
  seq: number;
  at: number;
  payload: Buffer;
}

export function encodeFrame(seq: number, at: number, payload: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  buf.writeUInt32LE(payload.length, 0);
  buf.writeDoubleLE(seq, 8);
  buf.writeDoubleLE(at, 16);
  payload.copy(buf, FRAME_HEADER);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

export interface Scan {
  /** Bytes from the start of the buffer up to the end of the last good frame. */
  validBytes: number;
  /** Good frames read. */
  frames: number;
  /** What follows the good frames: nothing, a frame cut short, or bytes that fail their checksum. */
  damage: null | 'torn' | 'corrupt';
}

/**
 * Calls `onFrame` for each good frame after `from` in order, stopping at the first bad one
 * (or when `onFrame` returns false). Payloads are views into `buf`.
 */
export function scanFrames(buf: Buffer, from: number, onFrame: (f: Frame) => boolean | void): Scan {
  let at = from;
  let frames = 0;
  while (at < buf.length) {
    if (buf.length - at < FRAME_HEADER) return { validBytes: at, frames, damage: 'torn' };
    const len = buf.readUInt32LE(at);
    if (len > MAX_PAYLOAD) return { validBytes: at, frames, damage: 'corrupt' };
    const end = at + FRAME_HEADER + len;
    if (end > buf.length) return { validBytes: at, frames, damage: 'torn' };
    if (crc32(buf.subarray(at + 8, end)) !== buf.readUInt32LE(at + 4)) {
      return { validBytes: at, frames, damage: 'corrupt' };
    }
    const frame = {
      seq: buf.readDoubleLE(at + 8),
      at: buf.readDoubleLE(at + 16),
      payload: buf.subarray(at + FRAME_HEADER, end),
    };
    frames++;
    at = end;
    if (onFrame(frame) === false) break;
  }
  return { validBytes: at, frames, damage: null };
}

/** The file starts with `magic`. */
export function hasMagic(buf: Buffer, magic: Buffer): boolean {
  return buf.length >= magic.length && buf.subarray(0, magic.length).equals(magic);
}
