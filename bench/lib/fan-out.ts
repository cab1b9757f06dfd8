/**
 * The /ws fan-out measurement: `n` WebSocket clients while records arrive over UDP, each
 * client's delivered records and lag from the datagram's send to the message carrying it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { encodeMetricsData } from '../../src/api-metrics/metrics-datagram';
import { nearestRank } from './stats';
import { blast } from './udp';

export interface FanOut {
  /** Records delivered per second, summed over clients. */
  delivered: number;
  /** Of the healthy clients, the one with the worst 99th-percentile lag (ms). */
  slowestP99LagMs: number;
  maxLagMs: number;
  messagesPerClientPerSec: number;
  dropped: number;
}

/** The note column of a fan-out row. */
export function fanOutNote(f: FanOut): string {
  return `max lag ${f.maxLagMs.toFixed(0)} ms; ${f.messagesPerClientPerSec.toFixed(0)} messages/s per client; ${f.dropped.toLocaleString('en-US')} records not delivered`;
}

/** Clients spread over `wsUrl`s in turn; `rate` records/s for `seconds` into `udpPort`. */
export async function runFanOut(
  wsUrl: string | string[],
  udpPort: number,
  n: number,
  rate: number,
  seconds: number,
): Promise<FanOut> {
  const total = rate * seconds;
  const sentAt = new Float64Array(total + 1);
  const sockets: WebSocket[] = [];
  const stats = Array.from({ length: n }, () => ({
    records: 0,
    messages: 0,
    lags: [] as number[],
  }));
  const urls = [wsUrl].flat();
  for (let c = 0; c < n; c++) {
    const ws = new WebSocket(urls[c % urls.length]);
    await new Promise((r) => ws.once('open', r));
    const s = stats[c];
    ws.on('message', (data: Buffer) => {
      s.messages++;
      const text = data.toString('latin1');
      if (text.includes('"type"')) return;
      // The sequence number rides in `time`; count records without parsing the JSON.
      let count = 0;
      for (let i = text.indexOf('{"route"'); i >= 0; i = text.indexOf('{"route"', i + 1)) count++;
      s.records += count;
      const at = text.lastIndexOf('"time":') + 7;
      const seq = parseInt(text.slice(at, text.indexOf(',', at)), 10);
      if (s.messages % 4 === 0 || count > 1) s.lags.push(performance.now() - sentAt[seq]);
    });
    sockets.push(ws);
  }
  const now = Math.floor(Date.now() / 1000);
  const packet = encodeMetricsData(
    { sequence: 0, timestamp: now },
    { route: '/api/fan-out', methodByte: 1, statusCode: 200, responseTimeMs: 0 },
  );
  const start = performance.now();
  await blast(udpPort, rate, seconds, (i) => {
    const b = Buffer.from(packet);
    b.writeUInt32BE(i + 1, 2);
    b.writeDoubleBE(i + 1, 16);
    sentAt[i + 1] = performance.now();
    return b;
  });
  await sleep(2000);
  const elapsed = (performance.now() - start) / 1000 - 2;
  for (const ws of sockets) ws.terminate();
  const delivered = stats.reduce((a, s) => a + s.records, 0);
  return {
    delivered: delivered / elapsed,
    slowestP99LagMs: Math.max(...stats.map((s) => nearestRank(s.lags, 0.99))),
    maxLagMs: Math.max(...stats.map((s) => Math.max(...s.lags))),
    messagesPerClientPerSec: stats.reduce((a, s) => a + s.messages, 0) / n / elapsed,
    dropped: total * n - delivered,
  };
}
