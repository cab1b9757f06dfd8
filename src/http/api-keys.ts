import { createHash, hash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { EdgeRequest } from './edge-types';

/**
 * SHA-256 of a key. `crypto.hash` (Node ≥ 20.12) is the one-shot form: no Hash object per
 * request, which took twice the time and, under load, tens of MB of native memory until
 * the next GC.
 */
const digest: (key: string) => Buffer =
  typeof hash === 'function'
    ? (key) => hash('sha256', key, 'buffer')
    : (key) => createHash('sha256').update(key, 'utf8').digest();

/** Whether a read of this URL (or spec path) stays open even with API_KEYS_FOR_READS. */
export function alwaysOpenRead(url: string): boolean {
  return ALWAYS_OPEN.test(url);
}

/** Methods that only read: everything else changes state and needs a key when keys are on. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Reads that stay open even with API_KEYS_FOR_READS: the probes an orchestrator runs, the
 * documentation (Swagger UI must load before its Authorize button can take a key) and the
 * dashboard's page and files (static: it asks for a key before it reads any data).
 */
const ALWAYS_OPEN =
  /^\/(health\/(live|ready)|swagger([/-].*)?|dashboard(\/assets\/[^/?]+)?)?(\?.*)?$/;

/**
 * API_KEYS. Keys are compared as SHA-256 digests with `timingSafeEqual`, against every
 * configured key without stopping at the first match, so neither a key's length nor how
 * much of it a guess got right shows in the time an answer takes. Keys are never logged.
 */
export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(
    keys: readonly string[],
    readonly forReads = false,
  ) {
    this.digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /**
   * Whether the request carries one of the keys (`Authorization: Bearer` or `X-API-Key`;
   * for a WebSocket handshake also the `beacon-key.` subprotocol).
   */
  presentsKey(req: Pick<IncomingMessage, 'headers'>, webSocket = false): boolean {
    const key = presentedKey(req, webSocket);
    if (key === undefined) return false;
    const d = digest(key);
    let match = false;
    for (const k of this.digests) match = timingSafeEqual(d, k) || match;
    return match;
  }

  /** Whether a request with this method and URL needs a key. */
  required(method: string | undefined, url: string | undefined): boolean {
    if (!this.enabled) return false;
    if (!READ_METHODS.has(method ?? 'GET')) return true;
    return this.forReads && method !== 'OPTIONS' && !alwaysOpenRead(url ?? '/');
  }

  /** Null when the request may go on, else why not (the 401's message). */
  refusal(req: IncomingMessage): string | null {
    if (!this.required(req.method, req.url)) return null;
    return this.check(req, false);
  }

  /**
   * The same for a WebSocket handshake, which needs a key whatever API_KEYS_FOR_READS
   * says: it is a long-lived stream of every record, not a single read.
   */
  webSocketRefusal(req: IncomingMessage): string | null {
    return this.enabled ? this.check(req, true) : null;
  }

  private check(req: IncomingMessage, webSocket: boolean): string | null {
    if (this.presentsKey(req, webSocket)) return null;
    return presentedKey(req, webSocket) === undefined
      ? 'An API key is required: send Authorization: Bearer <key> or X-API-Key: <key>'
      : 'The API key is not valid';
  }

  /**
   * Whether the caller may see details that reveal paths, URLs or raw error text: one
   * with a key, or, with keys off, one on loopback (the operator's own machine).
   */
  maySeeDetails(req: Pick<EdgeRequest, 'headers' | 'socket'>): boolean {
    if (this.enabled) return this.presentsKey(req);
    return isLoopback(req.socket.remoteAddress);
  }
}

/**
 * A browser cannot set headers on a WebSocket, only subprotocols: the dashboard offers
 * `beacon` and `beacon-key.<the key, base64url>`, and the server picks `beacon`.
 */
export const WS_PROTOCOL = 'beacon';
const WS_KEY_PROTOCOL = 'beacon-key.';

function presentedKey(
  req: Pick<IncomingMessage, 'headers'>,
  webSocket: boolean,
): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    return m === null ? undefined : m[1];
  }
  // Only in a handshake: an HTTP request carrying the header gets no key from it.
  const protocols = webSocket ? req.headers['sec-websocket-protocol'] : undefined;
  const offered = protocols
    ?.split(',')
    .map((p) => p.trim())
    .find((p) => p.startsWith(WS_KEY_PROTOCOL));
  return offered === undefined
    ? undefined
    : Buffer.from(offered.slice(WS_KEY_PROTOCOL.length), 'base64url').toString('utf8');
}

/** `handleProtocols` for WebSocket servers: `beacon` when offered, else none (never a key). */
export function chooseProtocol(offered: Set<string>): string | false {
  return offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false;
}

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
