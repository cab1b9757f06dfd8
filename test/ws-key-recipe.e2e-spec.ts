import { WebSocket } from 'ws';
import { startTestApp, TestApp } from './helpers/test-app';

const KEY = 'k-recipe-0123456789';

/** Opens a WebSocket with these subprotocols: 'open <protocol>' or the client's error. */
function dial(url: string, protocols: string[]): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols);
    ws.once('open', () => {
      resolve(`open ${ws.protocol}`);
      ws.close();
    });
    ws.once('error', (err) => resolve(err.message));
  });
}

/**
 * docs/security.md's recipe for a WebSocket key from a browser (which cannot set headers),
 * run as written with a real client: both subprotocols open `/ws`; the key alone, which
 * the doc once showed, gets no subprotocol back and the client gives up.
 */
describe('the WebSocket key recipe of docs/security.md (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ API_KEYS: KEY });
  });
  afterAll(() => t.close());

  it('opens /ws with `beacon` and `beacon-key.<base64url>`, and not with the key alone', async () => {
    // The doc's line, in Node (btoa as in a browser).
    const b64url = (k: string) =>
      btoa(k).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
    const url = `${t.baseUrl.replace('http', 'ws')}/ws`;
    expect(await dial(url, ['beacon', `beacon-key.${b64url(KEY)}`])).toBe('open beacon');
    expect(await dial(url, [`beacon-key.${b64url(KEY)}`])).toBe('Server sent no subprotocol');
    expect(await dial(url, ['beacon', `beacon-key.${b64url('k-not-the-right-key')}`])).toMatch(
      /401/,
    );
  });
});
