import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { errorText } from '../common/error-text';
import { ApiMetricsSettings } from './api-metrics.settings';
import { StateSettings } from '../shared-state/state.settings';
import { connectRedis, redisKey } from '../infra/redis';
import { SharedState } from '../shared-state/shared-state';
import { ApiMetricRecord } from './api-metric';
import { LiveFeed } from './live-feed';

/** Records waiting to be relayed, at most; beyond, the newest are dropped and counted. */
const MAX_PENDING = 50_000;
const TICK_MS = 10;

export interface LiveRelayStats {
  enabled: boolean;
  /** Records this instance sent to the others, and got from them. */
  sent: number;
  received: number;
  /** Records that never left this instance: Redis away, or the relay queue full. */
  dropped: number;
}

interface RelayMessage {
  /** The instance that received the records (it fed its own clients already). */
  i: string;
  r: ApiMetricRecord[];
}

/**
 * Redis mode: the `/ws` live feed across instances. Every instance publishes the records
 * it receives (by UDP) to one Redis channel, every TICK_MS as one message, and feeds its
 * own clients the records the others publish; its own it fed directly. One sender's
 * datagrams reach one instance and are published in order, so each sender's records
 * reach every client in order. Live only: while Redis is away, remote records are dropped
 * (counted) and local clients still get local ones; the feed resumes when Redis returns.
 */
@Injectable()
export class LiveRelay implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('LiveRelay');
  private readonly enabled: boolean;
  private readonly channel: string;
  private publisher: Redis | null = null;
  private subscriber: Redis | null = null;
  private pending: ApiMetricRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly counts = { sent: 0, received: 0, dropped: 0 };

  constructor(
    private readonly config: ApiMetricsSettings,
    private readonly stateConfig: StateSettings,
    private readonly shared: SharedState,
    private readonly live: LiveFeed,
  ) {
    this.enabled = shared.shared && config.API_METRICS_ENABLED;
    this.channel = redisKey(stateConfig.redis, 'api-metrics', 'live');
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    const redis = this.stateConfig.redis;
    this.publisher = await connectRedis(redis, 'live-publish');
    this.subscriber = await connectRedis(redis, 'live-subscribe');
    // ioredis subscribes again by itself after a reconnect.
    this.subscriber.on('messageBuffer', (_channel: Buffer, data: Buffer) => this.receive(data));
    await this.subscriber.subscribe(this.channel);
  }

  /** A record this instance received: queued for the others (its own clients have it). */
  relay(record: ApiMetricRecord): void {
    if (!this.enabled) return;
    if (this.pending.length >= MAX_PENDING) {
      this.counts.dropped++;
      return;
    }
    this.pending.push(record);
    this.timer ??= setTimeout(() => this.flush(), TICK_MS);
  }

  stats(): LiveRelayStats {
    return { enabled: this.enabled, ...this.counts };
  }

  onApplicationShutdown(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscriber?.disconnect();
    this.publisher?.disconnect();
  }

  private flush(): void {
    this.timer = null;
    const records = this.pending;
    this.pending = [];
    if (records.length === 0 || !this.publisher) return;
    const message: RelayMessage = { i: this.shared.instanceId, r: records };
    this.publisher.publish(this.channel, JSON.stringify(message)).then(
      () => (this.counts.sent += records.length),
      (err: unknown) => {
        if (this.counts.dropped === 0) {
          this.logger.warn(`live records not relayed (Redis away?): ${errorText(err)}`);
        }
        this.counts.dropped += records.length;
      },
    );
  }

  private receive(data: Buffer): void {
    let message: RelayMessage;
    try {
      message = JSON.parse(data.toString('utf8')) as RelayMessage;
    } catch {
      return;
    }
    if (message.i === this.shared.instanceId) return;
    this.counts.received += message.r.length;
    for (const record of message.r) this.live.publish(record);
  }
}
