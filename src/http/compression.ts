import Negotiator from 'negotiator';
import type { IncomingMessage } from 'node:http';
import { brotliCompress, constants, deflate, gzip } from 'node:zlib';
import type { HttpSettings } from './http.settings';

/** What is worth compressing: JSON (the API, /swagger-json) and plain text (/prometheus). */
export const COMPRESSIBLE = /^(?:application\/(?:[\w.+-]+\+)?json|text\/plain)\s*(?:;|$)/i;

/** In the order both adapters prefer them when a client accepts several equally. */
export const ENCODINGS = ['br', 'gzip', 'deflate'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** brotli at quality 1: gzip's size here at two thirds of its CPU (bench `compression`); zlib's default, 11, is far too slow. */
export const BROTLI_QUALITY = 1;

/**
 * The encoding to send a `type` answer of `bytes` bytes in, or null to send it as it is:
 * compression on, big enough, a compressible type not encoded already, and an encoding the
 * request's Accept-Encoding takes (HEAD and 204/304 answers have no body to compress).
 */
export function chosenEncoding(
  http: HttpSettings,
  req: IncomingMessage,
  headers: { type: string | undefined; encoding: unknown; bytes: number },
): Encoding | null {
  if (!http.COMPRESSION || req.method === 'HEAD') return null;
  if (headers.bytes < http.COMPRESSION_MIN_BYTES || headers.encoding !== undefined) return null;
  if (!headers.type || !COMPRESSIBLE.test(headers.type)) return null;
  if (!req.headers['accept-encoding']) return null;
  // Ties go to our order (br first), as express's `compression` breaks them.
  // (negotiator 1.x takes the preference; its @types are still 0.6's.)
  const negotiator = new Negotiator(req) as unknown as {
    encoding(available: string[], opts: { preferred: string[] }): string | undefined;
  };
  const chosen = negotiator.encoding([...ENCODINGS, 'identity'], { preferred: [...ENCODINGS] });
  return chosen === undefined || chosen === 'identity' ? null : (chosen as Encoding);
}

/** `body` compressed with `encoding`, on zlib's thread pool. */
export function compressed(body: Buffer, encoding: Encoding): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, out: Buffer) => (err ? reject(err) : resolve(out));
    if (encoding === 'br') {
      brotliCompress(
        body,
        {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
            [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
          },
        },
        done,
      );
    } else if (encoding === 'gzip') gzip(body, done);
    else deflate(body, done);
  });
}

/** `Vary` with Accept-Encoding added (once): the answer depends on it. */
export function varyOnEncoding(vary: string | number | string[] | undefined): string {
  if (vary === undefined || vary === '') return 'Accept-Encoding';
  const text = Array.isArray(vary) ? vary.join(', ') : String(vary);
  return /\baccept-encoding\b/i.test(text) ? text : `${text}, Accept-Encoding`;
}
