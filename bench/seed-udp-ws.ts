/**
 * Baseline for the UDP and WebSocket figures, run as its own process: a bare Node UDP
 * receiver (4 MiB buffer) that decodes the seed's datagrams and, like the seed, sends
 * every record to every WebSocket client as its own message. Reports its UDP port, its
 * WebSocket port and, on request, how many datagrams it received (IPC).
 */
import { createSocket } from 'node:dgram';
import { WebSocket, WebSocketServer } from 'ws';
import { liveRecordJson } from '../src/api-metrics/live-feed';
import { DatagramType, decodeDatagram } from '../src/api-metrics/metrics-datagram';

let received = 0;
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
const udp = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
udp.on('message', (msg) => {
  received++;
  const d = decodeDatagram(msg, Date.now());
  if (d.type !== DatagramType.MetricsData || wss.clients.size === 0) return;
  const json = liveRecordJson(d.record);
  for (const c of wss.clients) if (c.readyState === WebSocket.OPEN) c.send(json);
});
udp.bind(0, '127.0.0.1', () => {
  wss.on('listening', () => undefined);
  const wsPort = (wss.address() as { port: number }).port;
  process.send!({ udpPort: udp.address().port, wsPort });
});
process.on('message', () => process.send!({ received }));
