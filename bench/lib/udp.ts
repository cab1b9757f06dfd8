/** Datagrams to a UDP listener at a fixed rate, and what Beacon's /health counts of them. */
import { createSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { getJson } from './http';
import type { Server } from './server';

interface UdpHealth {
  details: {
    apiMetrics: { udp: { port: number; datagrams: number }; written: number; queued: number };
    latency: { statsd: { port: number; datagrams: number; samples: number } };
  };
}

/** The api-metrics and StatsD listeners' ports and counters. */
export async function udpHealth(s: Server): Promise<UdpHealth['details']> {
  return (await getJson<UdpHealth>(`${s.url}/health`)).details;
}

/** Sends `rate` datagrams/s for `seconds`, in 1 ms slices; returns what was handed to the kernel. */
export async function blast(
  port: number,
  rate: number,
  seconds: number,
  make: (i: number) => Buffer,
): Promise<number> {
  const socket = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  socket.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const start = performance.now();
  let sent = 0;
  let pending = 0;
  const total = rate * seconds;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (sent < due) {
      pending++;
      socket.send(make(sent++), () => pending--);
    }
    await new Promise((r) => setImmediate(r));
  }
  while (pending > 0) await sleep(5);
  socket.close();
  return sent;
}
