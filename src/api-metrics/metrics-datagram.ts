import { ApiMetricRecord, HTTP_METHODS, MethodName } from './api-metric';

/**
 * The seed's binary protocol. Header, 14 bytes, big-endian: version (0x01), type, sequence
 * uint32, timestamp uint64. MetricsData adds status uint16, response time float64 (ms),
 * method byte, then the route in UTF-8 to the end of the datagram.
 */
export const PROTOCOL_VERSION = 0x01;
export const HEADER_BYTES = 14;
export const METRICS_FIXED_BYTES = HEADER_BYTES + 2 + 8 + 1;
/** Longest route accepted, in bytes; longer datagrams are malformed (memory and row size). */
export const MAX_ROUTE_BYTES = 1024;

export enum DatagramType {
  ConnectionInit = 0x01,
  HeartBeat = 0x02,
  MetricsData = 0x03,
}

export const MALFORMED_REASONS = [
  'too-short',
  'bad-version',
  'bad-type',
  'bad-timestamp',
  'bad-response-time',
  'bad-route',
] as const;
export type MalformedReason = (typeof MALFORMED_REASONS)[number];

export type Datagram =
  | { type: DatagramType.ConnectionInit | DatagramType.HeartBeat; sequence: number; timeMs: number }
  | { type: DatagramType.MetricsData; sequence: number; timeMs: number; record: ApiMetricRecord }
  | { type: 'malformed'; reason: MalformedReason };

// Timestamps are read by magnitude: below 1e11 seconds (until year 5138), below 1e14
// milliseconds, below 1e17 microseconds, else nanoseconds. 0 means "not given": the
// receiver's clock is used instead.
const SECONDS_BELOW = 1e11;
const MILLIS_BELOW = 1e14;
const MICROS_BELOW = 1e17;

export function timestampToMs(raw: number): number {
  if (raw < SECONDS_BELOW) return raw * 1000;
  if (raw < MILLIS_BELOW) return raw;
  if (raw < MICROS_BELOW) return Math.floor(raw / 1000);
  return Math.floor(raw / 1e6);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one datagram, trusting nothing: every length comes from the buffer itself.
 * @param receivedAtMs used when the sender's timestamp is 0
 */
export function decodeDatagram(buf: Buffer, receivedAtMs: number): Datagram {
  if (buf.length < HEADER_BYTES) return { type: 'malformed', reason: 'too-short' };
  if (buf[0] !== PROTOCOL_VERSION) return { type: 'malformed', reason: 'bad-version' };
  const type = buf[1] as DatagramType;
  const sequence = buf.readUInt32BE(2);
  // Two halves instead of a BigInt: exact to 2^53, and nanosecond values lose only sub-µs.
  const raw = buf.readUInt32BE(6) * 0x1_0000_0000 + buf.readUInt32BE(10);
  const timeMs = raw === 0 ? Math.floor(receivedAtMs) : timestampToMs(raw);
  if (type === DatagramType.ConnectionInit || type === DatagramType.HeartBeat) {
    return { type, sequence, timeMs };
  }
  if (type !== DatagramType.MetricsData) return { type: 'malformed', reason: 'bad-type' };
  if (buf.length < METRICS_FIXED_BYTES) return { type: 'malformed', reason: 'too-short' };
  const statusCode = buf.readUInt16BE(14);
  const responseTimeMs = buf.readDoubleBE(16);
  if (!Number.isFinite(responseTimeMs) || responseTimeMs < 0) {
    return { type: 'malformed', reason: 'bad-response-time' };
  }
  const methodByte = buf[24];
  const method: MethodName = HTTP_METHODS[methodByte - 1] ?? 'UNKNOWN';
  let end = buf.length;
  while (end > METRICS_FIXED_BYTES && buf[end - 1] === 0) end--;
  const routeBytes = buf.subarray(METRICS_FIXED_BYTES, end);
  // PostgreSQL text cannot hold NUL: one inside a route would fail a whole batch.
  if (routeBytes.length === 0 || routeBytes.length > MAX_ROUTE_BYTES || routeBytes.includes(0)) {
    return { type: 'malformed', reason: 'bad-route' };
  }
  let route: string;
  try {
    route = utf8.decode(routeBytes);
  } catch {
    return { type: 'malformed', reason: 'bad-route' };
  }
  return {
    type,
    sequence,
    timeMs,
    record: { timeMs, route, method, statusCode, responseTimeMs },
  };
}

export interface EncodeOptions {
  sequence: number;
  /** The raw uint64 timestamp field (seconds, ms, µs or ns). */
  timestamp: number;
}

export function encodeHeader(type: number, { sequence, timestamp }: EncodeOptions): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES);
  writeHeader(buf, type, sequence, timestamp);
  return buf;
}

/** Builds a MetricsData datagram: used by the demo sender, tests and the bench. */
export function encodeMetricsData(
  options: EncodeOptions,
  record: { route: string; methodByte: number; statusCode: number; responseTimeMs: number },
): Buffer {
  const route = Buffer.from(record.route, 'utf8');
  const buf = Buffer.alloc(METRICS_FIXED_BYTES + route.length);
  writeHeader(buf, DatagramType.MetricsData, options.sequence, options.timestamp);
  buf.writeUInt16BE(record.statusCode, 14);
  buf.writeDoubleBE(record.responseTimeMs, 16);
  buf[24] = record.methodByte;
  route.copy(buf, METRICS_FIXED_BYTES);
  return buf;
}

function writeHeader(buf: Buffer, type: number, sequence: number, timestamp: number): void {
  buf[0] = PROTOCOL_VERSION;
  buf[1] = type;
  buf.writeUInt32BE(sequence >>> 0, 2);
  buf.writeUInt32BE(Math.floor(timestamp / 0x1_0000_0000), 6);
  buf.writeUInt32BE(timestamp % 0x1_0000_0000, 10);
}
