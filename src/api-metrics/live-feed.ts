import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { WebSocket } from 'ws';
import { Clock } from '../common/clock';
import { ApiMetricsSettings } from './api-metrics.settings';
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

/**
 * A record as the seed-002 server sent it, which its dashboard expects: the series key
 * `"<METHOD> - <route>"` as `route`, an empty `method`, the time to the second.
 */
export function seed002RecordJson(record: ApiMetricRecord): string {
  return JSON.stringify({
    route: `${record.method} - ${record.route}`,
    method: '',
    timestamp: rfc3339Seconds(record.timeMs),
    time: record.responseTimeMs,
    status: record.statusCode,
  });
}

/** `2025-01-15T12:00:00Z`: RFC 3339, whole seconds. */
export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * How a client gets its records: `batched` (Beacon's default: one object, or an array when
 * several arrived within a tick), `single` (one object per message, `?batch=false`), or
 * `seed002` (one object per message in the seed-002 server's shape).
 */
export type LiveFormat = 'batched' | 'single' | 'seed002';

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

/** Subscribers with the same filter and format share one pending list and encoded messages. */
interface Group {
  key: string;
  route: string | null;
  format: LiveFormat;
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
  private readonly groups = new Map<string, Group>();
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
    private readonly config: ApiMetricsSettings,
    private readonly clock: Clock,
  ) {
    this.lastPingAt = clock.now();
    // Not a scheduled job: pings and lag checks are the WebSocket protocol's, with or without JOBS_ENABLED.
    this.housekeeping = setInterval(
      () => this.keepHouse(),
      Math.min(NOTICE_INTERVAL_MS, config.WS_PING_MS),
    );
    this.housekeeping.unref();
  }

  /**
   * Adds a client with the filters from its URL (`?route=`, `?batch=false`), or closes it
   * saying why. A `seed002` client takes no parameters.
   * @returns false when the client was refused
   */
  subscribe(socket: WebSocket, query: URLSearchParams, seed002 = false): boolean {
    const problem = seed002 ? null : this.checkQuery(query);
    if (problem) {
      socket.close(CLOSE_POLICY, problem);
      return false;
    }
    if (this.subscribers.size >= this.config.WS_MAX_CLIENTS) {
      this.counts.refusedFull++;
      socket.close(
        CLOSE_TRY_LATER,
        `too many clients (WS_MAX_CLIENTS=${this.config.WS_MAX_CLIENTS})`,
      );
      return false;
    }
    const route = seed002 ? null : query.get('route');
    const format: LiveFormat = seed002
      ? 'seed002'
      : query.get('batch') === 'false'
        ? 'single'
        : 'batched';
    const key = `${format} ${route ?? ''}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { key, route, format, subscribers: new Set(), pending: [] };
      this.groups.set(key, group);
    }
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
    // Encoded once per format, however many groups and clients.
    let beacon: string | null = null;
    let seed: string | null = null;
    let queued = false;
    for (const group of this.groups.values()) {
      if (group.route !== null && group.route !== record.route) continue;
      const json =
        group.format === 'seed002'
          ? (seed ??= seed002RecordJson(record))
          : (beacon ??= liveRecordJson(record));
      this.queue(group, json);
      queued = true;
    }
    if (queued) this.scheduleTick();
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
    const wait = Math.max(0, this.lastTickAt + this.config.WS_TICK_MS - this.clock.now());
    this.tickTimer = setTimeout(() => this.tick(), wait);
  }

  /**
   * Sends what arrived since the last tick: for a batched group one message per client (a
   * record object, or an array when several arrived); otherwise one message per record.
   */
  private tick(): void {
    this.tickTimer = null;
    const now = this.clock.now();
    this.lastTickAt = now;
    for (const group of this.groups.values()) {
      const n = group.pending.length;
      if (n === 0) continue;
      // Encoded once for every client of the group (ws would encode a string per send).
      const payloads =
        group.format === 'batched'
          ? [Buffer.from(n === 1 ? group.pending[0] : `[${group.pending.join(',')}]`)]
          : group.pending.map((json) => Buffer.from(json));
      const perPayload = group.format === 'batched' ? n : 1;
      group.pending = [];
      for (const sub of group.subscribers) {
        if (sub.socket.readyState !== WebSocket.OPEN) continue;
        let sent = 0;
        for (; sent < payloads.length; sent++) {
          if (sub.socket.bufferedAmount > this.config.WS_MAX_BUFFERED_BYTES) break;
          sub.socket.send(payloads[sent], { binary: false });
          this.counts.messages++;
          this.counts.delivered += perPayload;
        }
        // Kept up with the whole tick, or lost the rest of it (counted, and timed for WS_MAX_LAG_MS).
        if (sent === payloads.length) sub.laggingSince = null;
        else this.lose(sub, (payloads.length - sent) * perPayload, now);
      }
    }
  }

  private lose(sub: Subscriber, n: number, now: number): void {
    sub.dropped += n;
    sub.droppedSinceNotice += n;
    this.counts.dropped += n;
    sub.laggingSince ??= now;
    if (now - sub.laggingSince > this.config.WS_MAX_LAG_MS) {
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
        sub.socket.bufferedAmount <= this.config.WS_MAX_BUFFERED_BYTES
      ) {
        sub.socket.send(
          JSON.stringify({ type: 'dropped', count: sub.droppedSinceNotice, total: sub.dropped }),
        );
        sub.droppedSinceNotice = 0;
        sub.lastNoticeAt = now;
      }
    }
    if (now - this.lastPingAt < this.config.WS_PING_MS) return;
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
    if (sub.group.subscribers.size === 0) this.groups.delete(sub.group.key);
  }

  private checkQuery(query: URLSearchParams): string | null {
    for (const key of new Set(query.keys())) {
      if (key !== 'route' && key !== 'batch') {
        return `unknown query parameter '${key}' (route filters, batch=false sends one record per message)`;
      }
    }
    const batch = query.getAll('batch');
    if (batch.length > 1 || (batch.length === 1 && batch[0] !== 'true' && batch[0] !== 'false')) {
      return 'batch must be given once, true or false';
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
