import { request } from 'node:http';
import type { WireMessage } from './rocket-history';

export interface LaunchReport {
  /** Requests made, retries included. */
  requests: number;
  retries: number;
  statuses: Record<string, number>;
  elapsedMs: number;
}

/** One POST on its own TCP connection (no agent, Connection: close), like Lunar's program. */
function postOnce(url: URL, body: string): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          connection: 'close',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Plays `messages` in the given order through `senders` concurrent senders, each message
 * on a new connection, to `baseUrl` (or, given several, to each in turn). A message answered non-2xx (or whose connection fails) is put back
 * at the end of the queue after `retryMs`, as Lunar's `rockets launch` retries without
 * holding up its senders. Resolves once every message has been taken.
 */
export async function launchMessages(
  baseUrl: string | string[],
  messages: WireMessage[],
  senders = 3,
  retryMs = 20,
): Promise<LaunchReport> {
  const urls = [baseUrl].flat().map((b) => new URL('/messages', b));
  const report: LaunchReport = { requests: 0, retries: 0, statuses: {}, elapsedMs: 0 };
  const started = Date.now();
  const queue = messages.map((m) => JSON.stringify(m));
  let unfinished = queue.length;
  const failed: { error?: Error } = {};
  // Senders with nothing to send wait here for a retry, the last answer or a failure.
  const idle: (() => void)[] = [];
  const wake = () => idle.splice(0).forEach((go) => go());
  const sender = async () => {
    while (unfinished > 0 && !failed.error) {
      const body = queue.shift();
      if (body === undefined) {
        await new Promise<void>((go) => idle.push(go)); // only retries are left
        continue;
      }
      report.requests++;
      let code = 0;
      let text = '';
      try {
        ({ code, text } = await postOnce(urls[report.requests % urls.length], body));
      } catch {
        /* connection refused or reset: retried below */
      }
      if (code >= 200 && code < 300) {
        const status = (JSON.parse(text) as { status: string }).status;
        report.statuses[status] = (report.statuses[status] ?? 0) + 1;
        if (--unfinished === 0) wake();
      } else if (code === 400) {
        failed.error = new Error(`400 for a valid message: ${text}`);
        wake();
      } else {
        report.retries++;
        setTimeout(() => {
          queue.push(body);
          wake();
        }, retryMs);
      }
    }
  };
  await Promise.all(Array.from({ length: senders }, sender));
  if (failed.error) throw failed.error;
  report.elapsedMs = Date.now() - started;
  return report;
}
