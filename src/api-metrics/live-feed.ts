import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { WebSocket } from 'ws';
import { Clock } from '../common/clock';
import { Environment } from '../config/environment';
import { ApiMetricRecord } from './api-metric';
import { MAX_ROUTE_BYTES } from './metrics-datagram';

/** A record as `/ws` sends it: the seed's fields, timestamp in RFC 3339 with milliseconds. */
export function liveRecordJson(record: ApiMetricRecord): string {
  return JSON.stringify({
    route: record.route,
    method: record.method,
    timestamp: new Date(record.timeMs).toISOString(),
    time: record.responseTimeMs,
    status: record.statusCode,
  });
}

/** Records one subscriber may have waiting for the next tick, whatever the tick's delay. */
const MAX_PENDING = 10_000;
const NOTICE_INTERVAL_MS = 1000;

/** Close codes: 1008 policy (bad filter, too far behind), 1013 try again later (full). */
export const CLOSE_POLICY = 1008;
export const CLOSE_TRY_LATER = 1013;

interface Subscriber {
  socket: WebSocket;
  group: Group;
  /** Records this client never got because it read too slowly. */
  dropped: number;
  droppedSinceNotice: number;
  lastNoticeAt: number;
  /** When it started losing records, while it still is. */
  laggingSince: number | null;
  answeredPing: boolean;
}

/** Subscribers with the same filter share one pending list and one encoded message. */
interface Group {
  route: string | null;
  subscribers: Set<Subscriber>;
  pending: string[];
}

export interface LiveFeedStats {
  clients: number;
  /** Messages sent, summed over clients (one message may carry many records). */
  messages: number;
  delivered: number;
  dropped: number;
  closedSlow: number;
  closedDead: number;
  refusedFull: number;
}

/**
 * Fans records out to WebSocket clients. Every client reads at its own pace: what it has
 * not read waits in its socket buffer, bounded by WS_MAX_BUFFERED_BYTES; past that its
 * records are dropped (counted, and told in a notice), and a client that keeps lagging
 * for WS_MAX_LAG_MS is closed. Sending never waits, so one slow client cannot delay the others.
 */
@Injectable()
export class LiveFeed implements OnModuleDestroy {
  private readonly logger = new Logger('LiveFeed');
  private readonly groups = new Map<string | null, Group>();
  private readonly subscribers = new Map<WebSocket, Subscriber>();
  private tickTimer: NodeJS.Timeout | null = null;
  private lastTickAt = 0;
  private readonly housekeeping: NodeJS.Timeout;
  private lastPingAt: number;
  private readonly counts = {
    messages: 0,
    delivered: 0,
    dropped: 0,
    closedSlow: 0,
    closedDead: 0,
    refusedFull: 0,
  };

  constructor(
    private readonly env: Environment,
    private readonly clock: Clock,
  ) {
    this.lastPingAt = clock.now();
    this.housekeeping = setInterval(
      () => this.keepHouse(),
      Math.min(NOTICE_INTERVAL_MS, env.WS_PING_MS),
    );
    this.housekeeping.unref();
  }

  /**
   * Adds a client with the filters from its URL (`?route=`), or closes it saying why.
   * @returns false when the client was refused
   */
  subscribe(socket: WebSocket, query: URLSearchParams): boolean {
    const problem = this.checkQuery(query);
    if (problem) {
      socket.close(CLOSE_POLICY, problem);
      return false;
    }
    if (this.subscribers.size >= this.env.WS_MAX_CLIENTS) {
      this.counts.refusedFull++;
      socket.close(CLOSE_TRY_LATER, `too many clients (WS_MAX_CLIENTS=${this.env.WS_MAX_CLIENTS})`);
      return false;
    }
    const route = query.get('route');
    let group = this.groups.get(route);
    if (!group) this.groups.set(route, (group = { route, subscribers: new Set(), pending: [] }));
    const sub: Subscriber = {
      socket,
      group,
      dropped: 0,
      droppedSinceNotice: 0,
      lastNoticeAt: 0,
      laggingSince: null,
      answeredPing: true,
    };
    group.subscribers.add(sub);
    this.subscribers.set(socket, sub);
    socket.on('pong', () => (sub.answeredPing = true));
    socket.on('close', () => this.remove(socket));
    socket.on('error', () => socket.terminate());
    this.logger.debug(`client subscribed${route === null ? '' : ` to ${route}`}`);
    return true;
  }

  publish(record: ApiMetricRecord): void {
    if (this.subscribers.size === 0) return;
    const all = this.groups.get(null);
    const byRoute = this.groups.get(record.route);
    if (!all && !byRoute) return;
    const json = liveRecordJson(record);
    if (all) this.queue(all, json);
    if (byRoute) this.queue(byRoute, json);
    this.scheduleTick();
  }

  stats(): LiveFeedStats {
    return { clients: this.subscribers.size, ...this.counts };
  }

  onModuleDestroy(): void {
    clearInterval(this.housekeeping);
    if (this.tickTimer) clearTimeout(this.tickTimer);
    for (const socket of this.subscribers.keys()) socket.close(1001, 'server shutting down');
  }

  private queue(group: Group, json: string): void {
    if (group.pending.length < MAX_PENDING) group.pending.push(json);
    else for (const sub of group.subscribers) this.lose(sub, 1, this.clock.now());
  }

  private scheduleTick(): void {
    if (this.tickTimer) return;
    const wait = Math.max(0, this.lastTickAt + this.env.WS_TICK_MS - this.clock.now());
    this.tickTimer = setTimeout(() => this.tick(), wait);
  }

  /** One message per client per tick: a record object, or an array when several arrived. */
  private tick(): void {
    this.tickTimer = null;
    const now = this.clock.now();
    this.lastTickAt = now;
    for (const group of this.groups.values()) {
      const n = group.pending.length;
      if (n === 0) continue;
      const text = n === 1 ? group.pending[0] : `[${group.pending.join(',')}]`;
      group.pending = [];
      // Encoded once for every client of the group (ws would encode a string per send).
      const payload = Buffer.from(text);
      for (const sub of group.subscribers) {
        if (sub.socket.readyState !== WebSocket.OPEN) continue;
        if (sub.socket.bufferedAmount > this.env.WS_MAX_BUFFERED_BYTES) {
          this.lose(sub, n, now);
          continue;
        }
        sub.laggingSince = null;
        sub.socket.send(payload, { binary: false });
        this.counts.messages++;
        this.counts.delivered += n;
      }
    }
  }

  private lose(sub: Subscriber, n: number, now: number): void {
    sub.dropped += n;
    sub.droppedSinceNotice += n;
    this.counts.dropped += n;
    sub.laggingSince ??= now;
    if (now - sub.laggingSince > this.env.WS_MAX_LAG_MS) {
      this.counts.closedSlow++;
      sub.socket.close(CLOSE_POLICY, 'too far behind: records were being dropped');
      // A client too slow to read a close frame must not hold its buffer forever.
      setTimeout(() => sub.socket.terminate(), 5000).unref();
      this.remove(sub.socket);
    }
  }

  private keepHouse(): void {
    const now = this.clock.now();
    for (const sub of this.subscribers.values()) {
      if (
        sub.droppedSinceNotice > 0 &&
        now - sub.lastNoticeAt >= NOTICE_INTERVAL_MS &&
        sub.socket.bufferedAmount <= this.env.WS_MAX_BUFFERED_BYTES
      ) {
        sub.socket.send(
          JSON.stringify({ type: 'dropped', count: sub.droppedSinceNotice, total: sub.dropped }),
        );
        sub.droppedSinceNotice = 0;
        sub.lastNoticeAt = now;
      }
    }
    if (now - this.lastPingAt < this.env.WS_PING_MS) return;
    this.lastPingAt = now;
    for (const [socket, sub] of this.subscribers) {
      if (!sub.answeredPing) {
        this.counts.closedDead++;
        socket.terminate();
        this.remove(socket);
        continue;
      }
      sub.answeredPing = false;
      socket.ping();
    }
  }

  private remove(socket: WebSocket): void {
    const sub = this.subscribers.get(socket);
    if (!sub) return;
    this.subscribers.delete(socket);
    sub.group.subscribers.delete(sub);
    if (sub.group.subscribers.size === 0) this.groups.delete(sub.group.route);
  }

  private checkQuery(query: URLSearchParams): string | null {
    for (const key of new Set(query.keys())) {
      if (key !== 'route') return `unknown query parameter '${key}' (only 'route' filters)`;
    }
    const routes = query.getAll('route');
    if (routes.length > 1) return 'route given more than once';
    if (routes.length === 1) {
      const bytes = Buffer.byteLength(routes[0]);
      if (bytes === 0 || bytes > MAX_ROUTE_BYTES) {
        return `route must be 1–${MAX_ROUTE_BYTES} bytes`;
      }
    }
    return null;
  }
}
