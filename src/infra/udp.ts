import { Logger } from '@nestjs/common';
import { createSocket, RemoteInfo, Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { explainBindError } from './port-in-use';

/**
 * Binds a UDP socket and asks for a receive buffer of `rcvbuf` bytes. The kernel may
 * grant less (Linux caps it at net.core.rmem_max); that is logged, since the buffer is
 * what absorbs a burst while the event loop is busy. A port already taken rejects with a
 * PortInUseError naming `setting`, the variable that moves it.
 */
export async function bindUdp(
  host: string,
  port: number,
  rcvbuf: number,
  onMessage: (msg: Buffer, from: RemoteInfo) => void,
  logger: Logger,
  setting: string,
): Promise<Socket> {
  const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: rcvbuf });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => reject(explainBindError(err, setting, host, port, 'udp'));
    socket.once('error', fail);
    socket.bind(port, host, () => {
      socket.off('error', fail);
      resolve();
    });
  });
  // After bind, a socket error (e.g. ICMP unreachable echoes) must never crash the process.
  socket.on('error', (err) => logger.warn(`UDP socket error: ${err.message}`));
  socket.on('message', onMessage);
  // Linux reports double what was granted (bookkeeping overhead).
  const granted = socket.getRecvBufferSize() / 2;
  if (granted < rcvbuf) {
    logger.warn(
      `UDP receive buffer is ${granted} bytes, not the ${rcvbuf} asked for; raise net.core.rmem_max to absorb bigger bursts`,
    );
  }
  return socket;
}

export function closeUdp(socket: Socket | null): Promise<void> {
  return new Promise((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
}
