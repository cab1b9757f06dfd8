import {
  AcceptStatus,
  RocketExploded,
  RocketLaunched,
  RocketMissionChanged,
  RocketStatus,
  SpeedChange,
} from './rocket';
import { RocketMessage, fingerprint } from './rocket-message';

export interface RocketState {
  id: string;
  type: string | null;
  speed: number;
  mission: string | null;
  status: RocketStatus;
  exploded: boolean;
  reason: string | null;
  launchedAt: string | null;
  updatedAt: string | null;
  lastMessageNumber: number;
  bufferedMessages: number;
}

export interface Outcome {
  status: AcceptStatus;
  /** Messages applied by this call: this one and any buffered ones it unblocked. */
  applied: number;
  /** A duplicate number whose content differs from the first copy (which was kept). */
  conflict: boolean;
  /** Change in the number of buffered messages (negative when the buffer drained). */
  bufferedDelta: number;
  /** Buffered messages discarded because the rocket exploded before them. */
  discarded: number;
}

/** Fingerprints of the last `limit` applied numbers, in a ring that grows on demand. */
class FingerprintHistory {
  private ring = new Uint32Array(16);
  constructor(private readonly limit: number) {}

  /** The ring's bytes, base64. */
  toText(): string {
    return Buffer.from(this.ring.buffer, this.ring.byteOffset, this.ring.byteLength).toString(
      'base64',
    );
  }

  static fromText(limit: number, text: string): FingerprintHistory {
    const h = new FingerprintHistory(limit);
    const bytes = Buffer.from(text, 'base64');
    h.ring = new Uint32Array(bytes.length / 4);
    Buffer.from(h.ring.buffer).set(bytes);
    return h;
  }

  /** `n` must be one more than the previous call's. */
  set(n: number, fp: number): void {
    if (n >= this.ring.length && this.ring.length < this.limit) {
      const bigger = new Uint32Array(Math.min(this.limit, this.ring.length * 2));
      const keep = this.ring.length;
      for (let k = Math.max(1, n - keep); k < n; k++)
        bigger[k % bigger.length] = this.ring[k % keep];
      this.ring = bigger;
    }
    this.ring[n % this.ring.length] = fp;
  }

  /** The fingerprint of applied number `n`, or undefined if it has left the history. */
  get(n: number, lastApplied: number): number | undefined {
    return n > lastApplied - this.ring.length ? this.ring[n % this.ring.length] : undefined;
  }
}

/**
 * One rocket's channel: applies messages strictly in `messageNumber` order from 1,
 * buffers those that arrive early, recognises duplicates of applied and of buffered
 * messages, and treats an explosion as final. Pure and synchronous: the store decides
 * whether there is room to buffer.
 */
/** A channel's whole state as JSON-safe values, for snapshots of the shared log. */
export interface RocketChannelSnapshot {
  id: string;
  type: string | null;
  speed: number;
  mission: string | null;
  reason: string | null;
  explodedAt: number | null;
  launchedAt: string | null;
  updatedAt: string | null;
  next: number;
  buffer: [RocketMessage, number][];
  historyLimit: number;
  history: string;
}

export class RocketChannel {
  private type: string | null = null;
  private speed = 0;
  private mission: string | null = null;
  private reason: string | null = null;
  private explodedAt: number | null = null;
  private launchedAt: string | null = null;
  private updatedAt: string | null = null;
  private next = 1;
  private readonly buffer = new Map<number, { message: RocketMessage; fp: number }>();
  private history: FingerprintHistory;

  constructor(
    readonly id: string,
    private readonly historyLimit: number,
  ) {
    this.history = new FingerprintHistory(historyLimit);
  }

  /** Nothing applied yet: message 1 (the launch) has not arrived. */
  get pending(): boolean {
    return this.next === 1;
  }

  toSnapshot(): RocketChannelSnapshot {
    return {
      id: this.id,
      type: this.type,
      speed: this.speed,
      mission: this.mission,
      reason: this.reason,
      explodedAt: this.explodedAt,
      launchedAt: this.launchedAt,
      updatedAt: this.updatedAt,
      next: this.next,
      buffer: [...this.buffer.values()].map((b) => [b.message, b.fp]),
      historyLimit: this.historyLimit,
      history: this.history.toText(),
    };
  }

  static fromSnapshot(s: RocketChannelSnapshot): RocketChannel {
    const c = new RocketChannel(s.id, s.historyLimit);
    c.type = s.type;
    c.speed = s.speed;
    c.mission = s.mission;
    c.reason = s.reason;
    c.explodedAt = s.explodedAt;
    c.launchedAt = s.launchedAt;
    c.updatedAt = s.updatedAt;
    c.next = s.next;
    for (const [message, fp] of s.buffer) c.buffer.set(message.number, { message, fp });
    c.history = FingerprintHistory.fromText(s.historyLimit, s.history);
    return c;
  }

  get buffered(): number {
    return this.buffer.size;
  }

  /** Would accepting this message need a buffer slot? */
  needsBufferSlot(n: number): boolean {
    return n > this.next && this.explodedAt === null && !this.buffer.has(n);
  }

  offer(message: RocketMessage): Outcome {
    const n = message.number;
    const fp = fingerprint(message);
    const out: Outcome = {
      status: 'applied',
      applied: 0,
      conflict: false,
      bufferedDelta: 0,
      discarded: 0,
    };
    if (n < this.next) {
      const first = this.history.get(n, this.next - 1);
      out.status = 'duplicate';
      out.conflict = first !== undefined && first !== fp;
      return out;
    }
    if (this.explodedAt !== null) {
      out.status = 'ignored';
      return out;
    }
    const held = this.buffer.get(n);
    if (held) {
      out.status = 'duplicate';
      out.conflict = held.fp !== fp;
      return out;
    }
    if (n > this.next) {
      this.buffer.set(n, { message, fp });
      out.status = 'buffered';
      out.bufferedDelta = 1;
      return out;
    }
    this.apply(message, fp);
    out.applied = 1;
    for (
      let h = this.buffer.get(this.next);
      h && this.explodedAt === null;
      h = this.buffer.get(this.next)
    ) {
      this.buffer.delete(this.next);
      out.bufferedDelta--;
      this.apply(h.message, h.fp);
      out.applied++;
    }
    if (this.explodedAt !== null && this.buffer.size > 0) {
      out.discarded = this.buffer.size;
      out.bufferedDelta -= this.buffer.size;
      this.buffer.clear();
    }
    return out;
  }

  private apply(m: RocketMessage, fp: number): void {
    switch (m.type) {
      case 'RocketLaunched': {
        const p = m.payload as RocketLaunched;
        this.type = p.type;
        this.speed = p.launchSpeed;
        this.mission = p.mission;
        this.launchedAt = m.time;
        break;
      }
      case 'RocketSpeedIncreased':
        this.speed = Math.min(Number.MAX_SAFE_INTEGER, this.speed + (m.payload as SpeedChange).by);
        break;
      case 'RocketSpeedDecreased':
        this.speed = Math.max(0, this.speed - (m.payload as SpeedChange).by);
        break;
      case 'RocketExploded':
        this.reason = (m.payload as RocketExploded).reason;
        this.explodedAt = m.number;
        break;
      case 'RocketMissionChanged':
        this.mission = (m.payload as RocketMissionChanged).newMission;
        break;
    }
    this.updatedAt = m.time;
    this.history.set(m.number, fp);
    this.next = m.number + 1;
  }

  state(): RocketState {
    const exploded = this.explodedAt !== null;
    return {
      id: this.id,
      type: this.type,
      speed: this.speed,
      mission: this.mission,
      status: exploded ? 'exploded' : this.next === 1 ? 'pending' : 'active',
      exploded,
      reason: this.reason,
      launchedAt: this.launchedAt,
      updatedAt: this.updatedAt,
      lastMessageNumber: this.next - 1,
      bufferedMessages: this.buffer.size,
    };
  }
}
