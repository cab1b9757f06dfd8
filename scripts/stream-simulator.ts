/**
 * A realistic Upfluence-style SSE stream on loopback, for the e2e tests, the bench and
 * demos: `npm run simulate:stream -- --rate 1000 --port 8090`.
 *
 * Options (flags or the env var in brackets): --port [SIM_PORT] (0 = any free port),
 * --rate [SIM_RATE] posts/s (1–100,000), --seed [SIM_SEED], --malformed [SIM_MALFORMED]
 * fraction of broken events, --disconnect-after [SIM_DISCONNECT_AFTER] events per
 * connection, --stall-after [SIM_STALL_AFTER] events after which a connection goes silent.
 */
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { rng } from '../test/helpers/random';

/** The engagement fields each post type carries in the sample stream. */
const FIELD_SETS: Record<string, string[]> = {
  instagram_media: ['likes', 'comments', 'views', 'plays'],
  pin: ['likes', 'comments', 'saves', 'repins'],
  tiktok_video: ['comments', 'likes', 'plays', 'shares'],
  tweet: ['retweets', 'favorites', 'comments'],
  youtube_video: ['views', 'comments', 'likes', 'dislikes'],
  twitch_stream: [],
  article: ['likes', 'comments', 'shares'],
  facebook_status: ['likes', 'comments', 'shares'],
};
const TYPES = Object.keys(FIELD_SETS);
const MALFORMED = [
  'not json at all',
  '{"tweet": {"favorites": 3}}', // no timestamp
  '{"tweet": {"timestamp": 1700000000}, "pin": {"timestamp": 1700000000}}', // two roots
  '{}',
  '{"tweet": {"timestamp": 1700000000, "favorites": 1.5}}',
  '{"tweet": {"timestamp": -5}}',
  '[1, 2, 3]',
];

export interface SimulatorOptions {
  port?: number;
  rate?: number;
  seed?: number;
  malformed?: number;
  /** Close each connection after this many events (0 = never). */
  disconnectAfter?: number;
  /** Go silent (no bytes at all) after this many events on a connection (0 = never). */
  stallAfter?: number;
  /** Exactly these `data:` payloads, once overall, instead of generated posts; then silence but for comments. */
  script?: string[];
  /** Comment lines (`: ping`) every this many ms, so an idle consumer stays connected. */
  heartbeatMs?: number;
  /** Each generated post's timestamp is 1,600,000,000 + its event id: every post tells which it is. */
  uniqueTimestamps?: boolean;
}

export interface Simulator {
  url: string;
  /** Connections accepted so far. */
  connections: () => number;
  /** Connections open now, and the most ever open at once. */
  open: () => number;
  maxOpen: () => number;
  /** Last-Event-ID headers received, in order. */
  lastEventIds: string[];
  eventsSent: () => number;
  /** In script mode: one more `data:` payload, sent on the next tick. */
  push: (data: string) => void;
  close: () => Promise<void>;
  server: Server;
}

/** A post like the sample's: heavy-tailed engagement (log-uniform, many zeros). */
export function generatePost(random: () => number, nowSec: number): string {
  const type = TYPES[Math.floor(random() * TYPES.length)];
  const body: Record<string, unknown> = {
    id: Math.floor(random() * 2e9),
    timestamp: nowSec - Math.floor(random() * 86_400 * 30),
  };
  for (const f of FIELD_SETS[type]) {
    body[f] = random() < 0.2 ? 0 : Math.floor(Math.exp(random() * random() * 16));
  }
  return JSON.stringify({ [type]: body });
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const rate = Math.min(100_000, Math.max(1, options.rate ?? 100));
  const random = rng(options.seed ?? 1);
  const script = options.script ? [...options.script] : null;
  let connections = 0;
  let maxOpen = 0;
  let sent = 0;
  let nextId = 1;
  const lastEventIds: string[] = [];
  const open = new Set<ServerResponse>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.split('?')[0] !== '/stream') {
      res.writeHead(404).end();
      return;
    }
    connections++;
    const lastId = req.headers['last-event-id'];
    if (typeof lastId === 'string') lastEventIds.push(lastId);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('retry: 100\n\n');
    open.add(res);
    maxOpen = Math.max(maxOpen, open.size);
    let onThis = 0;
    let stalled = false;
    const tickMs = 10;
    let carry = 0;
    const timer = setInterval(() => {
      if (stalled) return;
      let chunk = '';
      if (script) {
        while (script.length > 0) chunk += `id: ${nextId++}\ndata: ${script.shift()}\n\n`;
      } else {
        carry += (rate * tickMs) / 1000;
        const n = Math.floor(carry);
        carry -= n;
        const nowSec = Math.floor(Date.now() / 1000);
        for (let i = 0; i < n; i++) {
          const id = nextId++;
          let data =
            random() < (options.malformed ?? 0)
              ? MALFORMED[Math.floor(random() * MALFORMED.length)]
              : generatePost(random, nowSec);
          if (options.uniqueTimestamps)
            data = data.replace(/"timestamp":\d+/, `"timestamp":${1_600_000_000 + id}`);
          chunk += `id: ${id}\ndata: ${data}\n\n`;
          onThis++;
          sent++;
          if (options.stallAfter && onThis >= options.stallAfter) {
            stalled = true;
            break;
          }
          if (options.disconnectAfter && onThis >= options.disconnectAfter) break;
        }
      }
      if (chunk) res.write(chunk);
      // end(), not destroy(): the events written so far reach the consumer first.
      if (options.disconnectAfter && onThis >= options.disconnectAfter) res.end();
    }, tickMs);
    const heartbeat = setInterval(() => {
      if (!stalled) res.write(': ping\n\n');
    }, options.heartbeatMs ?? 1000);
    res.on('close', () => {
      clearInterval(timer);
      clearInterval(heartbeat);
      open.delete(res);
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/stream`,
    connections: () => connections,
    open: () => open.size,
    maxOpen: () => maxOpen,
    lastEventIds,
    eventsSent: () => sent,
    push: (data) => {
      if (!script) throw new Error('push() needs a simulator started with a script');
      script.push(data);
    },
    server,
    close: () =>
      new Promise((resolve) => {
        for (const r of open) r.destroy();
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() for seconds.
        server.closeAllConnections();
      }),
  };
}

if (require.main === module) {
  const arg = (name: string, env: string): number | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    const raw = i >= 0 ? process.argv[i + 1] : process.env[env];
    return raw === undefined ? undefined : Number(raw);
  };
  void startSimulator({
    port: arg('port', 'SIM_PORT') ?? 8090,
    rate: arg('rate', 'SIM_RATE'),
    seed: arg('seed', 'SIM_SEED'),
    malformed: arg('malformed', 'SIM_MALFORMED'),
    disconnectAfter: arg('disconnect-after', 'SIM_DISCONNECT_AFTER'),
    stallAfter: arg('stall-after', 'SIM_STALL_AFTER'),
  }).then((s) => process.stdout.write(`stream simulator at ${s.url}\n`));
}
