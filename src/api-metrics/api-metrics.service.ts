import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../common/domain-errors';
import { errorText } from '../common/error-text';
import { ShutdownReport } from '../common/shutdown-report';
import { CoreSettings } from '../config/core.settings';
import { Periodic } from '../jobs/periodic';
import { ApiMetricsSettings } from './api-metrics.settings';
import { LatencyService } from '../latency/latency.service';
import { MAX_METRIC_ID_LENGTH } from '../latency/metric-id.pipe';
import { msToNs } from '../latency/statsd';
import { ApiMetricRecord, MethodName, seriesKey } from './api-metric';
import { ApiMetricsStore, PercentileResult, StoreInfo } from './api-metrics.store';
import { LiveFeed } from './live-feed';
import { LiveRelay } from './live-relay';
import { QUERY_CANCELED, ReadersBusyError } from '../infra/postgres/sql-engine';
import { WriteQueue, WriteQueueStats } from './write-queue';

/** Records from further ahead than this are a sender's broken clock, not data. */
const MAX_FUTURE_MS = 3_600_000;
/**
 * The share of SHUTDOWN_TIMEOUT_MS the stop spends writing what is queued while the
 * database is down: the HTTP drain takes up to half, the database's close the rest.
 */
const SHUTDOWN_FLUSH_SHARE = 0.3;

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

export interface ApiMetricsStats extends WriteQueueStats {
  engine: StoreInfo['engine'] | null;
  timescale: boolean;
  database: 'up' | 'down' | 'opening';
  /** Timestamps older than the retention or more than an hour ahead. */
  outOfRange: number;
  pruned: number;
  /** Records not fed to the latency module: `<METHOD> <route>` too long, or its limits reached. */
  latencySkipped: number;
}

/**
 * The rules of the api-metrics module: which records are kept, where each goes (the live
 * feed, the latency module, the write queue), and the queries. Ingest is synchronous and
 * never waits on the database: the write queue owns records until they are rows.
 */
@Injectable()
export class ApiMetricsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ApiMetrics');
  readonly enabled: boolean;
  private info: StoreInfo | null = null;
  private readonly counts = { outOfRange: 0, pruned: 0, latencySkipped: 0 };

  constructor(
    private readonly store: ApiMetricsStore,
    private readonly queue: WriteQueue,
    private readonly clock: Clock,
    private readonly config: ApiMetricsSettings,
    private readonly latency: LatencyService,
    private readonly live: LiveFeed,
    private readonly relay: LiveRelay,
    private readonly shutdown: ShutdownReport,
    private readonly core: CoreSettings,
  ) {
    this.enabled = config.API_METRICS_ENABLED;
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    try {
      await this.open();
    } catch (err) {
      // The embedded engine failing is a broken DATA_DIR: say so at start-up. A server
      // may just be down: start anyway, queue, and let the writer keep trying.
      if (!this.config.DATABASE_URL) throw err;
      this.logger.warn(
        `PostgreSQL not reachable at start-up, records will queue: ${errorText(err)}`,
      );
    }
  }

  /** Takes one record: live stream, latency percentiles, then the write queue. */
  ingest(record: ApiMetricRecord): boolean {
    const now = this.clock.now();
    if (
      record.timeMs < now - this.config.apiMetricsRetentionMs ||
      record.timeMs > now + MAX_FUTURE_MS
    ) {
      this.counts.outOfRange++;
      return false;
    }
    this.live.publish(record);
    this.relay.relay(record);
    this.feedLatency(record);
    return this.queue.offer(record);
  }

  /** The flush job: writes what is queued (a full batch is written at once, without it). */
  @Periodic({
    name: 'api-metrics-flush',
    settings: ApiMetricsSettings,
    every: 'API_METRICS_FLUSH_MS',
    enabledWhen: (s) => s.API_METRICS_ENABLED,
  })
  flushQueue(): Promise<number> {
    return this.queue.flush();
  }

  /** Deletes rows past the retention, unless TimescaleDB's policy does it. */
  @Periodic({
    name: 'api-metrics-prune',
    settings: ApiMetricsSettings,
    every: 'API_METRICS_PRUNE_INTERVAL_MS',
    enabledWhen: (s) => s.API_METRICS_ENABLED,
  })
  async prune(): Promise<number> {
    if (!this.enabled || this.info?.timescale) return 0;
    try {
      await this.open();
      const n = await this.store.pruneOlderThan(
        this.clock.now() - this.config.apiMetricsRetentionMs,
      );
      this.counts.pruned += n;
      return n;
    } catch (err) {
      this.logger.warn(`retention delete failed, retrying next run: ${errorText(err)}`);
      return 0;
    }
  }

  async recent(minutes: number): Promise<{ metrics: RouteRecords[]; truncated: boolean }> {
    const { records, truncated } = await this.read((s) =>
      s.recent(this.clock.now() - minutes * 60_000, this.config.API_METRICS_MAX_ROWS),
    );
    const groups = new Map<string, RouteRecords>();
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i];
      const key = seriesKey(r);
      let g = groups.get(key);
      if (!g)
        groups.set(key, (g = { route: r.route, method: r.method, timestamps: [], responses: [] }));
      g.timestamps.push(r.timeMs);
      g.responses.push({ time: r.responseTimeMs, status: r.statusCode });
    }
    return { metrics: [...groups.values()].sort(byRouteThenMethod), truncated };
  }

  /**
   * One column per second, ending at the current one: `minutes × 60` of them, or `seconds`
   * (the seed-002 dashboard asks for now − 10 min … now, 601 columns).
   */
  async series(minutes: number, columns = minutes * 60): Promise<Series> {
    const endSecond = Math.floor(this.clock.now() / 1000);
    const width = columns;
    const first = endSecond - width + 1;
    const maxCells = this.config.API_METRICS_MAX_SERIES_CELLS;
    const cells = await this.read((s) =>
      s.slowestPerSecond(first * 1000, (endSecond + 1) * 1000, maxCells + 1),
    );
    const byKey = new Map<string, Series['metrics'][number]>();
    for (const c of cells) {
      const key = seriesKey(c);
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
      database: this.store.connection(),
      ...this.queue.stats(),
      ...this.counts,
    };
  }

  /** Asks the database one question now: whether it answers, and if not, why. */
  async probe(): Promise<string | null> {
    try {
      await this.open();
      await this.store.ping();
      return null;
    } catch (err) {
      return errorText(err);
    }
  }

  /** Runs after intake has stopped: writes everything queued, then closes the database. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.enabled) return;
    const { written, lost } = await this.queue.drain(
      this.core.SHUTDOWN_TIMEOUT_MS * SHUTDOWN_FLUSH_SHARE,
    );
    await this.store.close();
    this.shutdown.add('apiMetrics', { rowsWritten: written, recordsLost: lost });
  }

  private async open(): Promise<void> {
    if (this.info) return;
    this.info = await this.store.open();
    this.logger.log(
      `api-metrics stored in ${this.info.engine === 'embedded' ? 'the embedded PostgreSQL' : 'PostgreSQL'}` +
        (this.info.timescale ? ' (TimescaleDB hypertable with retention policy)' : ''),
    );
  }

  private async read<T>(query: (store: ApiMetricsStore) => Promise<T>): Promise<T> {
    if (!this.enabled) {
      throw new NotFoundError('api-metrics is disabled (API_METRICS_ENABLED=false)');
    }
    try {
      await this.open();
      return await query(this.store);
    } catch (err) {
      if (err instanceof ReadersBusyError) {
        throw new UnavailableError(
          `the api-metrics database is busy with other queries (${err.message}); retry shortly`,
          5,
        );
      }
      if ((err as { code?: unknown }).code === QUERY_CANCELED) {
        // The database answered, just not in time: say so, not "unavailable".
        throw new UnavailableError(
          `the query ran past API_METRICS_QUERY_TIMEOUT_MS (${this.config.API_METRICS_QUERY_TIMEOUT_MS} ms) ` +
            'and was cancelled: ask for a shorter window, or retry when the database is less busy',
          5,
        );
      }
      this.logger.warn(`api-metrics query failed: ${errorText(err)}`);
      throw new UnavailableError('the api-metrics database is unavailable; retry shortly', 5);
    }
  }

  private feedLatency(r: ApiMetricRecord): void {
    const id = seriesKey(r);
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
