import { redisKey } from '../infra/redis';
import { Injectable } from '@nestjs/common';
import { StateSettings } from '../shared-state/state.settings';
import { StreamSettings } from './stream-analysis.settings';
import { LeaderLock } from '../shared-state/leader-lock';
import { SharedState } from '../shared-state/shared-state';

/** What the leader says of its upstream connection, for every instance's /health. */
export interface UpstreamReport {
  leader: string;
  connected: boolean;
  lastError: string | null;
}

/**
 * Redis mode: which instance holds the one upstream SSE connection. Elected through a
 * Redis lock with a TTL (STREAM_LEADER_TTL_MS); the lock's value fences every append of
 * posts, and the last event id appended is kept in Redis, so a new leader resumes with
 * Last-Event-ID where the old one stopped. The leader also publishes how its connection
 * is, so every instance reports the same health. In memory mode this instance leads.
 *
 * It has no shutdown hook of its own: the consumer stops it, last (after the last posts
 * are appended), so a final append is never refused by a lock given up too early.
 */
@Injectable()
export class StreamLeadership {
  readonly shared: boolean;
  private lock: LeaderLock | null = null;
  private readonly listeners: ((leader: boolean) => void)[] = [];

  constructor(
    private readonly stateConfig: StateSettings,
    private readonly config: StreamSettings,
    private readonly state: SharedState,
  ) {
    this.shared = state.shared;
  }

  /** The key holding the last upstream event id appended to the shared log. */
  get lastEventIdKey(): string {
    return redisKey(this.stateConfig.redis, 'stream', 'last-event-id');
  }

  get lockKey(): string {
    return redisKey(this.stateConfig.redis, 'stream', 'leader');
  }

  private get upstreamKey(): string {
    return redisKey(this.stateConfig.redis, 'stream', 'upstream');
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
    this.lock = new LeaderLock({
      redis: this.stateConfig.redis,
      name: 'stream',
      instanceId: this.state.instanceId,
      ttlMs: this.config.STREAM_LEADER_TTL_MS,
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
    return (await this.lock?.get(this.lastEventIdKey)) ?? undefined;
  }

  /** The leader's word on its connection, kept for twice the lock's TTL. */
  async publish(report: Omit<UpstreamReport, 'leader'>): Promise<void> {
    if (!this.lock?.isLeader) return;
    const value = JSON.stringify({ leader: this.state.instanceId, ...report });
    await this.lock.setFor(this.upstreamKey, value, 2 * this.config.STREAM_LEADER_TTL_MS);
  }

  /** What the leader last published, or null when no instance leads (or none said so yet). */
  async upstream(): Promise<UpstreamReport | null> {
    const text = await this.lock?.get(this.upstreamKey);
    return text ? (JSON.parse(text) as UpstreamReport) : null;
  }

  /** Gives the lock up, so another instance takes over at once. */
  async stop(): Promise<void> {
    await this.lock?.stop();
  }
}
