/** How far back a late datagram is still recognised as late (not lost, not a duplicate). */
export const REORDER_WINDOW = 1024;
/** A jump forward this large is a sender that restarted its numbering, not a loss. */
export const RESTART_JUMP = 1_000_000;

export type SequenceVerdict = 'new' | 'late' | 'duplicate' | 'restart';

export interface SequenceStats {
  senders: number;
  /** Datagrams never seen: gaps in a sender's numbering, minus those that arrived late. */
  lost: number;
  duplicates: number;
  /** Arrived after a higher number; counted once as lost, then taken back. */
  late: number;
  /** Numbering started over (a ConnectionInit, a big jump or a step far back). */
  restarts: number;
  /** Senders forgotten to bound memory (least recently heard from first). */
  evicted: number;
}

class SenderSequence {
  highest: number;
  /** Lowest number heard, kept within the window: late numbers below it were never counted lost. */
  lowest: number;
  /** Bit per sequence number in (highest − REORDER_WINDOW, highest], indexed modulo the window. */
  readonly seen = new Uint32Array(REORDER_WINDOW / 32);

  constructor(first: number) {
    this.highest = first;
    this.lowest = first;
    this.mark(first);
  }

  has(seq: number): boolean {
    const i = seq % REORDER_WINDOW;
    return (this.seen[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  mark(seq: number): void {
    const i = seq % REORDER_WINDOW;
    this.seen[i >>> 5] |= 1 << (i & 31);
  }

  advance(to: number, steps: number): void {
    if (steps >= REORDER_WINDOW) this.seen.fill(0);
    else {
      for (let k = 1; k <= steps; k++) {
        const i = (this.highest + k) % REORDER_WINDOW;
        this.seen[i >>> 5] &= ~(1 << (i & 31));
      }
    }
    this.highest = to;
    if (((to - this.lowest) | 0) >= REORDER_WINDOW) this.lowest = (to - REORDER_WINDOW + 1) >>> 0;
    this.mark(to);
  }
}

/**
 * Tells loss and duplicates from each sender's uint32 sequence numbers (serial-number
 * arithmetic, so wrapping past 2^32 is just the next number). Memory: about 200 bytes per
 * sender, at most `maxSenders` senders.
 */
export class SequenceTracker {
  private readonly senders = new Map<string, SenderSequence>();
  private readonly stats: Omit<SequenceStats, 'senders'> = {
    lost: 0,
    duplicates: 0,
    late: 0,
    restarts: 0,
    evicted: 0,
  };

  constructor(private readonly maxSenders = 10_000) {}

  /** Records `seq` from `sender`; a `duplicate` should be dropped. */
  observe(sender: string, seq: number): SequenceVerdict {
    const state = this.senders.get(sender);
    if (!state) {
      this.remember(sender, new SenderSequence(seq));
      return 'new';
    }
    // Most recently heard-from last, so eviction takes the quietest sender.
    this.senders.delete(sender);
    this.senders.set(sender, state);
    const delta = (seq - state.highest) | 0;
    if (delta > 0 && delta < RESTART_JUMP) {
      this.stats.lost += delta - 1;
      state.advance(seq, delta);
      return 'new';
    }
    if (delta === 0) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    if (delta < 0 && delta > -REORDER_WINDOW) {
      if (state.has(seq)) {
        this.stats.duplicates++;
        return 'duplicate';
      }
      state.mark(seq);
      this.stats.late++;
      const belowLowest = (seq - state.lowest) | 0;
      if (belowLowest < 0) {
        // Older than anything heard so far: the numbers between it and the lowest are gaps.
        this.stats.lost += -belowLowest - 1;
        state.lowest = seq;
      } else {
        this.stats.lost--;
      }
      return 'late';
    }
    this.restart(sender, seq);
    return 'restart';
  }

  /** A sender said it starts a new session (ConnectionInit): its numbering starts over. */
  restart(sender: string, seq: number): void {
    if (this.senders.delete(sender)) this.stats.restarts++;
    this.remember(sender, new SenderSequence(seq));
  }

  snapshot(): SequenceStats {
    return { senders: this.senders.size, ...this.stats };
  }

  private remember(sender: string, state: SenderSequence): void {
    this.senders.set(sender, state);
    if (this.senders.size > this.maxSenders) {
      const oldest = this.senders.keys().next().value as string;
      this.senders.delete(oldest);
      this.stats.evicted++;
    }
  }
}
