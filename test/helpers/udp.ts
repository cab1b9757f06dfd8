import { createSocket, Socket } from 'node:dgram';

/** A UDP sender on loopback for tests. */
export async function udpSender(): Promise<{
  send: (buf: Buffer | string, port: number) => Promise<void>;
  close: () => void;
  socket: Socket;
}> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    socket,
    send: (buf, port) =>
      new Promise((resolve, reject) =>
        socket.send(buf, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      ),
    close: () => socket.close(),
  };
}
