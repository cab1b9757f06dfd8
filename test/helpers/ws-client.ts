import { connect, Socket } from 'node:net';
import { WebSocket } from 'ws';

export interface LiveRecord {
  route: string;
  method: string;
  timestamp: string;
  time: number;
  status: number;
}

/** A `/ws` client that keeps every record (arrays unpacked) and every notice it receives. */
export class LiveClient {
  readonly records: LiveRecord[] = [];
  readonly notices: { type: string; count: number; total: number }[] = [];
  closeCode: number | null = null;
  closeReason = '';

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const parsed = JSON.parse(data.toString()) as
        LiveRecord | LiveRecord[] | { type: string; count: number; total: number };
      if (Array.isArray(parsed)) this.records.push(...parsed);
      else if ('type' in parsed) this.notices.push(parsed);
      else this.records.push(parsed);
    });
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
  }

  static async open(baseUrl: string, query = ''): Promise<LiveClient> {
    const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws${query}`);
    const client = new LiveClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  close(): void {
    this.socket.close();
  }
}

/** A WebSocket client that completes the handshake and then never reads a byte. */
export async function stalledClient(baseUrl: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.write(
      `GET /ws HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    socket.once('data', (chunk) => {
      if (!chunk.toString().startsWith('HTTP/1.1 101')) reject(new Error(chunk.toString()));
      socket.pause();
      resolve();
    });
  });
  return socket;
}

/** The status of a WebSocket handshake: 101 when it opened (and is closed again), else the refusal's. */
export function handshakeStatus(
  url: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('error', () => undefined);
  });
}
