import { UnavailableError } from '../common/domain-errors';
import { mapInSlices } from '../common/sliced';
import { RocketMessage } from './rocket-message';
import { Outcome, RocketChannel, RocketChannelSnapshot, RocketState } from './rocket-channel';
import { RocketsStats, RocketsStore } from './rockets.store';

export interface RocketsLimits {
  maxChannels: number;
  maxBufferedPerChannel: number;
  maxBuffered: number;
  /** Applied messages per channel whose fingerprints are kept to spot conflicting duplicates. */
  dedupHistory: number;
}

/**
 * In memory. `accept` has no await between reading and writing a channel, and Node runs
 * one callback at a time, so each message is applied atomically without a lock.
 */
export class InMemoryRocketsStore extends RocketsStore {
  private readonly channels = new Map<string, RocketChannel>();
  /** When each rocket last received a message (its creation counts). */
  private readonly lastAt = new Map<string, number>();
  private changes = 0;
  private readonly counters: RocketsStats = {
    channels: 0,
    buffered: 0,
    applied: 0,
    duplicates: 0,
    conflictingDuplicates: 0,
    ignored: 0,
    discarded: 0,
    refusedForCapacity: 0,
    expiredPending: 0,
    deleted: 0,
  };

  constructor(private readonly limits: RocketsLimits) {
    super();
  }

  async accept(message: RocketMessage, at: number): Promise<Outcome> {
    return this.acceptNow(message, at);
  }

  /** `accept` without the promise, for a log's replay. */
  acceptNow(message: RocketMessage, at: number): Outcome {
    let channel = this.channels.get(message.channel);
    if (!channel) {
      if (this.channels.size >= this.limits.maxChannels) {
        this.counters.refusedForCapacity++;
        throw new UnavailableError(
          `Rocket limit reached (ROCKETS_MAX_CHANNELS=${this.limits.maxChannels}); retry later`,
          1,
        );
      }
      channel = new RocketChannel(message.channel, this.limits.dedupHistory);
      this.channels.set(message.channel, channel);
      this.changes++;
    }
    if (at > (this.lastAt.get(message.channel) ?? -Infinity)) this.lastAt.set(message.channel, at);
    if (channel.needsBufferSlot(message.number)) {
      if (channel.buffered >= this.limits.maxBufferedPerChannel) {
        return this.refuse(
          `Rocket ${message.channel} already holds ${channel.buffered} out-of-order messages ` +
            `(ROCKETS_MAX_BUFFERED_PER_CHANNEL); retry once the gap before ${message.number} fills`,
        );
      }
      if (this.counters.buffered >= this.limits.maxBuffered) {
        return this.refuse(
          `${this.counters.buffered} out-of-order messages are buffered (ROCKETS_MAX_BUFFERED); retry later`,
        );
      }
    }
    const out = channel.offer(message);
    if (out.applied > 0 || out.bufferedDelta !== 0) this.changes++;
    const c = this.counters;
    c.buffered += out.bufferedDelta;
    c.applied += out.applied;
    c.discarded += out.discarded;
    if (out.status === 'duplicate') c.duplicates++;
    if (out.conflict) c.conflictingDuplicates++;
    if (out.status === 'ignored') c.ignored++;
    return out;
  }

  async remove(id: string): Promise<boolean> {
    if (!this.drop(id)) return false;
    this.counters.deleted++;
    return true;
  }

  async expirePending(at: number, idleMs: number): Promise<number> {
    const ids = this.pendingIds(at, idleMs);
    for (const id of ids) this.drop(id);
    this.counters.expiredPending += ids.length;
    return ids.length;
  }

  /** The rockets `expirePending(at, idleMs)` would drop, without dropping them. */
  pendingIds(at: number, idleMs: number): string[] {
    const ids: string[] = [];
    for (const [id, c] of this.channels) {
      if (c.pending && (this.lastAt.get(id) ?? 0) + idleMs <= at) ids.push(id);
    }
    return ids;
  }

  private drop(id: string): boolean {
    const channel = this.channels.get(id);
    if (!channel) return false;
    this.counters.buffered -= channel.buffered;
    this.counters.discarded += channel.buffered;
    this.channels.delete(id);
    this.lastAt.delete(id);
    this.changes++;
    return true;
  }

  async get(id: string): Promise<RocketState | undefined> {
    return this.channels.get(id)?.state();
  }

  /**
   * In slices (see `mapInSlices`), over the rockets there were when it began (a copy of
   * the references: one deleted and re-created meanwhile is listed once); a rocket that
   * changes meanwhile shows a newer state.
   */
  list(): Promise<RocketState[]> {
    return mapInSlices(Array.from(this.channels.values()), (c) => c.state());
  }

  async version(): Promise<number> {
    return this.changes;
  }

  async stats(): Promise<RocketsStats> {
    return { ...this.counters, channels: this.channels.size };
  }

  /**
   * Every rocket and the counters, as lines of JSON (the counters, then one rocket a line):
   * never one string of the whole state, which could pass what a JS string may hold.
   */
  toSnapshot(): Buffer {
    const lines = [Buffer.from(JSON.stringify(this.counters))];
    for (const c of this.channels.values()) {
      lines.push(Buffer.from(JSON.stringify({ ...c.toSnapshot(), lastAt: this.lastAt.get(c.id) })));
    }
    return Buffer.from(lines.map((l) => l.toString('utf8')).join('\n'));
  }

  /** Replaces every rocket and the counters with a snapshot's. */
  restoreSnapshot(data: Buffer): void {
    this.channels.clear();
    this.lastAt.clear();
    let start = 0;
    let first = true;
    while (start <= data.length) {
      let end = data.indexOf(10, start);
      if (end < 0) end = data.length;
      const line = data.subarray(start, end).toString('utf8');
      start = end + 1;
      if (first) {
        const counts = JSON.parse(line) as RocketsStats;
        Object.assign(this.counters, { expiredPending: 0, deleted: 0 }, counts);
        first = false;
      } else if (line.length > 0) {
        const c = JSON.parse(line) as RocketChannelSnapshot & { lastAt?: number };
        this.channels.set(c.id, RocketChannel.fromSnapshot(c));
        // A snapshot from before pending expiry: its rockets count as heard from at 0, so
        // its never-launched ones go at the first expiry pass (the same on every instance).
        this.lastAt.set(c.id, c.lastAt ?? 0);
      }
    }
    this.changes++;
  }

  private refuse(message: string): never {
    this.counters.refusedForCapacity++;
    throw new UnavailableError(message, 1);
  }
}
