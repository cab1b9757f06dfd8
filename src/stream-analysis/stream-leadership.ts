import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { Environment } from '../config/environment';
import { LeaderLock } from '../shared-state/leader-lock';
import { connectRedis } from '../shared-state/redis';
import { SharedState } from '../shared-state/shared-state';

/**
 * Redis mode: which instance holds the one upstream SSE connection. Elected through a
 * Redis lock with a TTL (STREAM_LEADER_TTL_MS); the lock's value fences every append of
 * posts, and the last event id appended is kept in Redis, so a new leader resumes with
 * Last-Event-ID where the old one stopped. In memory mode this instance always leads.
 */
@Injectable()
export class StreamLeadership implements OnApplicationShutdown {
  readonly shared: boolean;
  private lock: LeaderLock | null = null;
  private redis: Redis | null = null;
  private readonly listeners: ((leader: boolean) => void)[] = [];

  constructor(
    private readonly env: Environment,
    private readonly state: SharedState,
  ) {
    this.shared = state.enabled;
  }

  /** The key holding the last upstream event id appended to the shared log. */
  get lastEventIdKey(): string {
    return `${this.env.REDIS_PREFIX}:stream:last-event-id`;
  }

  get lockKey(): string {
    return `${this.env.REDIS_PREFIX}:stream:leader`;
  }

  /** The fencing value of the current holding, '' when not leading. */
  get value(): string {
    return this.lock?.value ?? '';
  }

  get isLeader(): boolean {
    return this.shared ? (this.lock?.isLeader ?? false) : true;
  }

  onChange(listener: (leader: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Starts campaigning (redis mode); the listeners hear when this instance wins or loses. */
  async start(): Promise<void> {
    if (!this.shared) return;
    const redis = { url: this.env.REDIS_URL, prefix: this.env.REDIS_PREFIX };
    this.redis = await connectRedis(redis, 'stream-leadership');
    this.lock = new LeaderLock({
      redis,
      name: 'stream',
      instanceId: this.state.instanceId,
      ttlMs: this.env.STREAM_LEADER_TTL_MS,
      onChange: (leader) => this.listeners.forEach((l) => l(leader)),
    });
    await this.lock.start();
  }

  /** An append was fenced off: another instance leads now. */
  lost(): void {
    this.lock?.lost();
  }

  /** Where the previous leader stopped: the last event id it appended. */
  async lastEventId(): Promise<string | undefined> {
    return (await this.redis?.get(this.lastEventIdKey)) ?? undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lock?.stop();
    this.redis?.disconnect();
  }
}
