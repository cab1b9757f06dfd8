/**
 * A port Beacon must bind is held by another process: the service must not start, and
 * the operator needs to know which setting moves it, not a bind stack trace.
 */
export class PortInUseError extends Error {
  constructor(
    readonly setting: string,
    port: number,
    host: string,
    protocol: 'tcp' | 'udp',
  ) {
    super(
      `${protocol === 'udp' ? 'UDP port' : 'port'} ${port} (${setting}) on ${host} is already ` +
        `in use: stop the other process or set ${setting}`,
    );
  }
}

/**
 * `err` from a `listen` or `bind` as a PortInUseError naming `setting` when the port was
 * taken (EADDRINUSE); any other error unchanged.
 */
export function explainBindError<E>(
  err: E,
  setting: string,
  host: string,
  port: number,
  protocol: 'tcp' | 'udp',
): E | PortInUseError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EADDRINUSE' ? new PortInUseError(setting, port, host, protocol) : err;
}
