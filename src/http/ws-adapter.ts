import { INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';
import { chooseProtocol } from './api-keys';

/** Whether a WebSocket handshake may proceed: a status and a reason when it may not. */
export type UpgradeCheck = (request: IncomingMessage) => { status: number; reason: string } | null;

/**
 * Nest's `ws` adapter with a check at the HTTP upgrade, before any WebSocket exists: a
 * browser page from an origin that is not allowed gets a plain HTTP refusal (403), so it
 * can never read the live stream.
 */
export class CheckedWsAdapter extends WsAdapter {
  constructor(
    app: INestApplication,
    private readonly check: UpgradeCheck,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> = {}): unknown {
    return super.create(port, {
      ...options,
      // Never echo an offered protocol back: the dashboard's carries its API key.
      handleProtocols: chooseProtocol,
      verifyClient: (
        info: { req: IncomingMessage },
        done: (ok: boolean, code?: number, message?: string) => void,
      ) => {
        const refused = this.check(info.req);
        if (refused) done(false, refused.status, refused.reason);
        else done(true);
      },
    });
  }
}

/**
 * The Origin rule of CORS_ORIGINS for WebSockets: with a list set, a handshake that carries
 * an Origin (every browser's does) must carry one on the list (`*` allows any). Clients
 * that send no Origin (curl, wscat, servers) are not browsers and pass.
 */
export function originAllowed(allowed: readonly string[], origin: string | undefined): boolean {
  return (
    allowed.length === 0 ||
    origin === undefined ||
    allowed.includes('*') ||
    allowed.includes(origin)
  );
}
