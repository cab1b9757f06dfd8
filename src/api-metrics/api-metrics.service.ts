import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import { setTimeout as sleep } from 'node:timers/promises';
import { Clock } from '../common/clock';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../common/domain-errors';
import { Environment } from '../config/environment';
import { LatencyService } from '../latency/latency.service';
import { MAX_METRIC_ID_LENGTH } from '../latency/metric-id.pipe';
import { msToNs } from '../latency/statsd';
import { ApiMetricRecord, MethodName } from './api-metric';
import { ApiMetricsStore, PercentileResult, StoreInfo } from './api-metrics.store';
import { LiveFeed } from './live-feed';

/** Records from further ahead than this are a sender's broken clock, not data. */
const MAX_FUTURE_MS = 3_600_000;
/** How long shutdown keeps trying to write what is queued while the database is down. */
const SHUTDOWN_FLUSH_MS = 10_000;
const BACKOFF_START_MS = 200;

export interface RouteRecords {
  route: string;
  method: MethodName;
  /** Ascending, epoch ms. */
  timestamps: number[];
  responses: { time: number; status: number }[];
}

export interface Series {
  /** Unix seconds, one per second of the window, ascending. */
  seconds: number[];
  metrics: {
    route: string;
    method: MethodName;
    responseTime: number[];
    responseStatus: number[];
  }[];
}

export interface ApiMetricsStats {
  engine: StoreInfo['engine'] | null;
  timescale: boolean;
  database: 'up' | 'down' | 'opening';
  lastError: string | null;
  /** Records taken into the write queue. */
  accepted: number;
  written: number;
  queued: number;
  /** Refused because the queue was full (the database too slow or down for too long). */
  droppedQueueFull: number;
  /** Batches the database refused as invalid data; dropped so they cannot block the queue. */
  rejectedByDatabase: number;
  /** Timestamps older than the retention or more than an hour ahead. */
  outOfRange: number;
  flushes: number;
  failedWrites: number;
  pruned: number;
  /** Records not fed to the latency module: `<METHOD> <route>` too long, or its limits reached. */
  latencySkipped: number;
}

export function retentionMs(setting: string): number {
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[setting.slice(-1) as 'd' | 'h' | 'm'];
  return Number(setting.slice(0, -1)) * unit;
}

/**
 * The rules of the api-metrics module: which records are kept, the bounded write queue
 * in front of the database, and the queries. Ingest is synchronous and never waits on the
 * database; a writer drains the queue in batches.
 */
@Injectable()
export class ApiMetricsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ApiMetrics');
  readonly enabled: boolean;
  private readonly retentionMs: number;
  private info: StoreInfo | null = null;
  // The queue is an array read from `head`; it is compacted once the read part dominates.
  private queue: ApiMetricRecord[] = [];
  private head = 0;
  /** Only the writer takes it; nothing waits on it but shutdown. */
  private readonly writer = new Mutex();
  private failures = 0;
  private nextAttemptAt = 0;
  private readonly counts = {
    accepted: 0,
    written: 0,
    droppedQueueFull: 0,
    rejectedByDatabase: 0,
    outOfRange: 0,
    flushes: 0,
    failedWrites: 0,
    pruned: 0,
    latencySkipped: 0,
  };
  private lastError: string | null = null;

  constructor(
    private readonly store: ApiMetricsStore,
    private readonly clock: Clock,
    private readonly env: Environment,
    private readonly latency: LatencyService,
    private readonly live: LiveFeed,
  ) {
    this.enabled = env.API_METRICS_ENABLED;
    this.retentionMs = retentionMs(env.API_METRICS_RETENTION);
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    try {
      await this.open();
    } catch (err) {
      // The embedded engine failing is a broken DATA_DIR: say so at start-up. A server
      // may just be down: start anyway, queue, and let the writer keep trying.
      if (!this.env.DATABASE_URL) throw err;
      this.logger.warn(`PostgreSQL not reachable at start-up, records will queue: ${message(err)}`);
    }
  }

  /** Takes one record: live stream, latency percentiles, then the write queue. */
  ingest(record: ApiMetricRecord): boolean {
    const now = this.clock.now();
    if (record.timeMs < now - this.retentionMs || record.timeMs > now + MAX_FUTURE_MS) {
      this.counts.outOfRange++;
      return false;
    }
    this.live.publish(record);
    this.feedLatency(record);
    const queued = this.queue.length - this.head;
    if (queued >= this.env.API_METRICS_QUEUE_MAX) {
      this.counts.droppedQueueFull++;
      return false;
    }
    this.queue.push(record);
    this.counts.accepted++;
    if (queued + 1 >= this.env.API_METRICS_BATCH_MAX && !this.writer.isLocked()) void this.flush();
    return true;
  }

  /**
   * Writes queued records in batches until the queue is empty or the database fails; the
   * scheduled job calls it every API_METRICS_FLUSH_MS. After a failure it waits out an
   * exponential backoff. Returns the rows written.
   */
  async flush(force = false): Promise<number> {
    if (!this.enabled || this.writer.isLocked()) return 0;
    return this.writer.runExclusive(async () => {
      let written = 0;
      while (this.queue.length > this.head) {
        if (!force && this.clock.now() < this.nextAttemptAt) break;
        const batch = this.queue.slice(this.head, this.head + this.env.API_METRICS_BATCH_MAX);
        try {
          await this.open();
          await this.store.append(batch);
        } catch (err) {
          if (isDataError(err)) {
            // Inputs are validated, so this is a bug or a changed schema; blocking the
            // queue behind one bad batch forever would lose everything after it.
            this.counts.rejectedByDatabase += batch.length;
            this.logger.error(`database refused a batch of ${batch.length}: ${message(err)}`);
            this.take(batch.length);
            continue;
          }
          this.failed(err);
          break;
        }
        this.take(batch.length);
        written += batch.length;
        this.counts.written += batch.length;
        this.counts.flushes++;
        if (this.failures > 0) this.logger.log('api-metrics database is back; draining the queue');
        this.failures = 0;
        this.nextAttemptAt = 0;
        this.lastError = null;
      }
      return written;
    });
  }

  /** Deletes rows past the retention, unless TimescaleDB's policy does it. */
  async prune(): Promise<number> {
    if (!this.enabled || this.info?.timescale) return 0;
    try {
      await this.open();
      const n = await this.store.pruneOlderThan(this.clock.now() - this.retentionMs);
      this.counts.pruned += n;
      return n;
    } catch (err) {
      this.logger.warn(`retention delete failed, retrying next run: ${message(err)}`);
      return 0;
    }
  }

  async recent(minutes: number): Promise<{ metrics: RouteRecords[]; truncated: boolean }> {
    const { records, truncated } = await this.read((s) =>
      s.recent(this.clock.now() - minutes * 60_000, this.env.API_METRICS_MAX_ROWS),
    );
    const groups = new Map<string, RouteRecords>();
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i];
      const key = `${r.method} ${r.route}`;
      let g = groups.get(key);
      if (!g)
        groups.set(key, (g = { route: r.route, method: r.method, timestamps: [], responses: [] }));
      g.timestamps.push(r.timeMs);
      g.responses.push({ time: r.responseTimeMs, status: r.statusCode });
    }
    return { metrics: [...groups.values()].sort(byRouteThenMethod), truncated };
  }

  async series(minutes: number): Promise<Series> {
    const endSecond = Math.floor(this.clock.now() / 1000);
    const width = minutes * 60;
    const first = endSecond - width + 1;
    const maxCells = this.env.API_METRICS_MAX_SERIES_CELLS;
    const cells = await this.read((s) =>
      s.slowestPerSecond(first * 1000, (endSecond + 1) * 1000, maxCells + 1),
    );
    const byKey = new Map<string, Series['metrics'][number]>();
    for (const c of cells) {
      const key = `${c.method} ${c.route}`;
      let m = byKey.get(key);
      if (!m) {
        if ((byKey.size + 1) * width > maxCells) {
          throw new InvalidArgumentError(
            `the grid would exceed ${maxCells} cells (API_METRICS_MAX_SERIES_CELLS): ` +
              `more than ${byKey.size} route/method pairs over ${width} seconds; ask for fewer minutes`,
          );
        }
        m = {
          route: c.route,
          method: c.method,
          responseTime: new Array<number>(width).fill(-1),
          responseStatus: new Array<number>(width).fill(-1),
        };
        byKey.set(key, m);
      }
      m.responseTime[c.second - first] = c.responseTimeMs;
      m.responseStatus[c.second - first] = c.statusCode;
    }
    const seconds = Array.from({ length: width }, (_, i) => first + i);
    return { seconds, metrics: [...byKey.values()].sort(byRouteThenMethod) };
  }

  percentiles(
    minutes: number,
    route: string | undefined,
    method: MethodName | undefined,
  ): Promise<PercentileResult> {
    const sinceMs = this.clock.now() - minutes * 60_000;
    return this.read((s) => s.percentiles({ sinceMs, route, method }, [0.5, 0.95, 0.99]));
  }

  stats(): ApiMetricsStats {
    return {
      engine: this.info?.engine ?? null,
      timescale: this.info?.timescale ?? false,
      database: this.failures > 0 ? 'down' : this.info ? 'up' : 'opening',
      lastError: this.lastError,
      queued: this.queue.length - this.head,
      ...this.counts,
    };
  }

  /** Runs after intake has stopped: writes everything queued, then closes the database. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.enabled) return;
    await this.writer.waitForUnlock();
    const deadline = Date.now() + SHUTDOWN_FLUSH_MS;
    while (this.queue.length > this.head && Date.now() < deadline) {
      await this.flush(true);
      if (this.queue.length > this.head)
        await sleep(Math.max(0, Math.min(500, deadline - Date.now())));
    }
    const lost = this.queue.length - this.head;
    if (lost > 0) {
      this.logger.error(`shutting down with ${lost} records the database did not take`);
    }
    await this.store.close();
  }

  private async open(): Promise<void> {
    if (this.info) return;
    this.info = await this.store.open();
    this.logger.log(
      `api-metrics stored in ${this.info.engine}` +
        (this.info.timescale ? ' (TimescaleDB hypertable with retention policy)' : ''),
    );
  }

  private take(n: number): void {
    this.head += n;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 65_536 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private failed(err: unknown): void {
    this.counts.failedWrites++;
    this.failures++;
    const ceiling = Math.min(
      this.env.API_METRICS_BACKOFF_MAX_MS,
      BACKOFF_START_MS * 2 ** Math.min(this.failures - 1, 20),
    );
    // Full jitter: many instances losing one database do not come back in lockstep.
    this.nextAttemptAt = this.clock.now() + ceiling / 2 + (Math.random() * ceiling) / 2;
    const text = message(err);
    if (this.failures === 1 || text !== this.lastError) {
      this.logger.warn(
        `api-metrics database write failed, ${this.queue.length - this.head} records queued, retrying with backoff: ${text}`,
      );
    }
    this.lastError = text;
  }

  private async read<T>(query: (store: ApiMetricsStore) => Promise<T>): Promise<T> {
    if (!this.enabled) {
      throw new NotFoundError('api-metrics is disabled (API_METRICS_ENABLED=false)');
    }
    try {
      await this.open();
      return await query(this.store);
    } catch (err) {
      this.logger.warn(`api-metrics query failed: ${message(err)}`);
      throw new UnavailableError('the api-metrics database is unavailable; retry shortly', 5);
    }
  }

  private feedLatency(r: ApiMetricRecord): void {
    const id = `${r.method} ${r.route}`;
    const ns = msToNs(r.responseTimeMs);
    if (id.length > MAX_METRIC_ID_LENGTH || ns > Number.MAX_SAFE_INTEGER) {
      this.counts.latencySkipped++;
      return;
    }
    this.latency.record(id, [ns]).catch(() => this.counts.latencySkipped++);
  }
}

function byRouteThenMethod(
  a: { route: string; method: string },
  b: { route: string; method: string },
): number {
  if (a.route !== b.route) return a.route < b.route ? -1 : 1;
  return a.method < b.method ? -1 : a.method > b.method ? 1 : 0;
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation). */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
