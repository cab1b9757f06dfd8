import { DIMENSIONS, Post } from './post';
import { FieldRuns, PostStore, PostStoreUsage, WindowRuns } from './post.store';

/** A copy of `a` with twice the room, for arrays that grow by appending. */
function doubled<T extends Float64Array | Uint16Array>(a: T): T {
  const bigger = new (a.constructor as new (n: number) => T)(a.length * 2);
  bigger.set(a);
  return bigger;
}

/** One engagement field's values in a bucket, with each value's arrival offset. */
class Column {
  values: Float64Array;
  arrivals: Uint16Array;
  n = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
    this.arrivals = new Uint16Array(capacity);
  }

  push(value: number, offset: number): void {
    if (this.n === this.values.length) {
      this.values = doubled(this.values);
      this.arrivals = doubled(this.arrivals);
    }
    this.values[this.n] = value;
    this.arrivals[this.n++] = offset;
  }

  /** Sorts by value (arrivals follow) and drops the spare capacity. */
  seal(): void {
    if (this.sealPacked()) return;
    const order = Array.from({ length: this.n }, (_, i) => i);
    const v = this.values;
    order.sort((x, y) => v[x] - v[y]);
    const values = new Float64Array(this.n);
    const arrivals = new Uint16Array(this.n);
    for (let i = 0; i < this.n; i++) {
      values[i] = v[order[i]];
      arrivals[i] = this.arrivals[order[i]];
    }
    this.values = values;
    this.arrivals = arrivals;
  }

  /**
   * The common case, engagement counts (integers in [0, 2^37)): each value and its arrival
   * offset (< 2^16) packed into one exact double, sorted natively, unpacked. Several times
   * faster than sorting indices with a comparator, which a replay of a day's buckets feels.
   * False (nothing done) when some value does not fit.
   */
  private sealPacked(): boolean {
    const n = this.n;
    const v = this.values;
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (!(x >= 0 && x < PACK_LIMIT && Math.floor(x) === x)) return false;
      keys[i] = x * 65536 + this.arrivals[i];
    }
    keys.sort();
    const values = new Float64Array(n);
    const arrivals = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const x = Math.floor(keys[i] / 65536);
      values[i] = x;
      arrivals[i] = keys[i] - x * 65536;
    }
    this.values = values;
    this.arrivals = arrivals;
    return true;
  }
}

/** Values below this pack with a 16-bit offset into a double exactly (2^37 · 2^16 = 2^53). */
const PACK_LIMIT = 2 ** 37;

/** Posts that arrived in [start, start + bucketMs). */
class Bucket {
  n = 0;
  minTs = Infinity;
  maxTs = -Infinity;
  /** Largest arrival offset in the bucket (a late arrival joins at offset 0). */
  lastOffset = 0;
  arrivals: Uint16Array;
  timestamps: Float64Array;
  readonly columns: (Column | null)[] = DIMENSIONS.map(() => null);
  sealed = false;

  /**
   * @param capacity room for this many posts before growing: the previous bucket's count,
   *                 so a steady stream fills its buckets without reallocating.
   */
  constructor(
    readonly start: number,
    private readonly capacity = 16,
  ) {
    this.arrivals = new Uint16Array(capacity);
    this.timestamps = new Float64Array(capacity);
  }

  add(post: Post, offset: number): void {
    if (this.n === this.arrivals.length) {
      this.arrivals = doubled(this.arrivals);
      this.timestamps = doubled(this.timestamps);
    }
    this.arrivals[this.n] = offset;
    this.timestamps[this.n++] = post.timestamp;
    if (offset > this.lastOffset) this.lastOffset = offset;
    if (post.timestamp < this.minTs) this.minTs = post.timestamp;
    if (post.timestamp > this.maxTs) this.maxTs = post.timestamp;
    for (let d = 0; d < DIMENSIONS.length; d++) {
      const v = post.values[d];
      if (v === v) (this.columns[d] ??= new Column(this.capacity)).push(v, offset);
    }
  }

  seal(): void {
    if (this.sealed) return;
    this.arrivals = this.arrivals.slice(0, this.n);
    this.timestamps = this.timestamps.slice(0, this.n);
    for (const c of this.columns) c?.seal();
    this.sealed = true;
  }

  bytes(): number {
    let b = this.arrivals.byteLength + this.timestamps.byteLength;
    for (const c of this.columns) if (c) b += c.values.byteLength + c.arrivals.byteLength;
    return b;
  }
}

/** A sorted column spanning several buckets; arrival offsets are from the block's start. */
interface BlockColumn {
  values: Float64Array;
  arrivals: Uint32Array;
}

/**
 * Consecutive sealed buckets whose columns are merged into one sorted run per field.
 * Blocks of equal size merge (like a binary counter) up to `MAX_BLOCK_BUCKETS`, so a
 * day of 5 s buckets is a few dozen runs to binary-search instead of 17,280.
 */
class Block {
  constructor(
    readonly start: number,
    readonly buckets: Bucket[],
    readonly columns: (BlockColumn | null)[],
  ) {}

  get end(): number {
    return this.buckets[this.buckets.length - 1].start;
  }

  static of(b: Bucket): Block {
    const block = new Block(
      b.start,
      [b],
      b.columns.map((c) =>
        c && c.n > 0 ? { values: c.values, arrivals: Uint32Array.from(c.arrivals) } : null,
      ),
    );
    // The block owns the columns now; the bucket keeps only per-post arrivals and
    // timestamps, so merged blocks do not leave a second copy of every value behind.
    b.columns.fill(null);
    return block;
  }

  /** Linear merge of two blocks' sorted columns; `later` starts after `this`. */
  merge(later: Block): Block {
    const shift = later.start - this.start;
    const columns = this.columns.map((a, d) => {
      const b = later.columns[d];
      if (!a && !b) return null;
      if (!b) return a;
      if (!a) {
        const shifted = new Uint32Array(b.arrivals.length);
        for (let j = 0; j < shifted.length; j++) shifted[j] = b.arrivals[j] + shift;
        return { values: b.values, arrivals: shifted };
      }
      // Plain loops over typed arrays, no closure per element: a replay merges a day at once.
      const av = a.values;
      const aa = a.arrivals;
      const bv = b.values;
      const ba = b.arrivals;
      const n = av.length + bv.length;
      const values = new Float64Array(n);
      const arrivals = new Uint32Array(n);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < av.length && j < bv.length) {
        if (av[i] <= bv[j]) {
          values[k] = av[i];
          arrivals[k++] = aa[i++];
        } else {
          values[k] = bv[j];
          arrivals[k++] = ba[j++] + shift;
        }
      }
      for (; i < av.length; i++, k++) {
        values[k] = av[i];
        arrivals[k] = aa[i];
      }
      for (; j < bv.length; j++, k++) {
        values[k] = bv[j];
        arrivals[k] = ba[j] + shift;
      }
      return { values, arrivals };
    });
    return new Block(this.start, this.buckets.concat(later.buckets), columns);
  }

  bytes(): number {
    let n = 0;
    for (const b of this.buckets) n += b.arrivals.byteLength + b.timestamps.byteLength;
    for (const c of this.columns) if (c) n += c.values.byteLength + c.arrivals.byteLength;
    return n;
  }
}

const MAX_BLOCK_BUCKETS = 512;

/** A window's running totals while its buckets are counted. */
interface Totals {
  total: number;
  minTs: number;
  maxTs: number;
  /** Newest arrival (epoch ms) counted so far. */
  newest: number;
}

/**
 * Posts by arrival time in fixed buckets, keeping only what queries need: per post its
 * arrival offset (2 bytes) and timestamp (8); per engagement field it carries, the value
 * (8) and its arrival offset (4). Sealed buckets join blocks whose columns are sorted
 * runs, so a query binary-searches a few dozen runs and filters only the blocks at the
 * window's edges; percentiles are exact (see `kthOfSortedRuns`). `maxPosts` bounds
 * memory: past it the oldest block goes first, and is counted.
 */
export class InMemoryPostStore extends PostStore {
  private readonly blocks: Block[] = [];
  private open: Bucket | null = null;
  private posts = 0;
  evicted = 0;

  constructor(
    readonly bucketMs: number,
    readonly maxPosts: number,
  ) {
    super();
    if (bucketMs > 65_535) throw new RangeError('bucketMs must fit a 16-bit offset');
  }

  get size(): number {
    return this.posts;
  }

  get oldestArrival(): number | null {
    return this.blocks[0]?.start ?? this.open?.start ?? null;
  }

  // The contract, over synchronous internals: Node runs each call to completion, so no
  // lock is needed; the runs a window returns are immutable once built.
  async add(post: Post, arrivalMs: number): Promise<void> {
    this.append(post, arrivalMs);
  }

  async window(fromMs: number, toMs: number, dimensions: readonly number[]): Promise<WindowRuns> {
    return this.windowOf(fromMs, toMs, dimensions);
  }

  async pruneOlderThan(beforeMs: number): Promise<number> {
    return this.prune(beforeMs);
  }

  async usage(): Promise<PostStoreUsage> {
    return {
      postsRetained: this.posts,
      oldestRetainedArrival: this.oldestArrival,
      evictedForMemory: this.evicted,
      bytes: this.bytes(),
    };
  }

  append(post: Post, arrivalMs: number): void {
    const t = Math.floor(arrivalMs);
    const start = t - (t % this.bucketMs);
    // Arrival times come from a monotonic clock; a late one joins the open bucket.
    if (!this.open || start > this.open.start) {
      if (this.open) this.sealOpen();
      this.open = new Bucket(start, Math.max(16, this.open?.n ?? 0));
    }
    this.open.add(post, Math.max(0, t - this.open.start));
    this.posts++;
    while (this.posts > this.maxPosts && this.blocks.length > 0) this.dropOldest(true);
  }

  /** Drops blocks whose last bucket ended at or before `beforeMs`; returns posts dropped. */
  prune(beforeMs: number): number {
    let dropped = 0;
    while (this.blocks.length > 0 && this.blocks[0].end + this.bucketMs <= beforeMs) {
      dropped += this.dropOldest(false);
    }
    if (this.blocks.length === 0 && this.open && this.open.start + this.bucketMs <= beforeMs) {
      dropped += this.open.n;
      this.posts -= this.open.n;
      this.open = null;
    }
    return dropped;
  }

  bytes(): number {
    return this.blocks.reduce((b, k) => b + k.bytes(), this.open?.bytes() ?? 0);
  }

  /**
   * The window's totals and the sorted runs of each field asked for, in one pass over its
   * blocks. The runs are immutable (merges build new arrays; the open bucket's are copies),
   * so percentiles may be taken from them later, in separate turns of the event loop,
   * while posts keep arriving.
   */
  windowOf(fromMs: number, toMs: number, dimensions: readonly number[]): WindowRuns {
    const fields: FieldRuns[] = dimensions.map(() => ({ runs: [], count: 0 }));
    const acc: Totals = { total: 0, minTs: Infinity, maxTs: -Infinity, newest: -Infinity };
    const B = this.bucketMs;
    for (const block of this.blocks) {
      if (block.end + B - 1 <= fromMs || block.start > toMs) continue;
      const inside = block.start > fromMs && block.end + B - 1 <= toMs;
      for (const b of block.buckets) this.countPosts(b, fromMs, toMs, acc);
      dimensions.forEach((d, i) => {
        const col = block.columns[d];
        if (!col) return;
        const kept = inside
          ? col.values
          : filterByArrival(col.values, col.arrivals, fromMs - block.start, toMs - block.start);
        if (kept.length > 0) fields[i].runs.push(kept);
        fields[i].count += kept.length;
      });
    }
    const open = this.open;
    if (open && open.start + B - 1 > fromMs && open.start <= toMs) {
      this.countPosts(open, fromMs, toMs, acc);
      dimensions.forEach((d, i) => {
        const col = open.columns[d];
        if (!col || col.n === 0) return;
        const kept = filterByArrival(
          col.values.subarray(0, col.n),
          col.arrivals.subarray(0, col.n),
          fromMs - open.start,
          toMs - open.start,
        )
          .slice() // a copy: the open column is still being appended to, unsorted
          .sort();
        if (kept.length > 0) fields[i].runs.push(kept);
        fields[i].count += kept.length;
      });
    }
    const empty = acc.total === 0;
    return {
      fields,
      stats: {
        totalPosts: acc.total,
        minTimestamp: empty ? null : acc.minTs,
        maxTimestamp: empty ? null : acc.maxTs,
        newestArrival: empty ? null : acc.newest,
      },
    };
  }

  /** Adds a bucket's posts in (fromMs, toMs] to the totals: whole, or filtered at an edge. */
  private countPosts(b: Bucket, fromMs: number, toMs: number, acc: Totals): void {
    const end = b.start + this.bucketMs - 1;
    if (end <= fromMs || b.start > toMs) return;
    if (b.start > fromMs && end <= toMs) {
      if (b.n === 0) return;
      acc.total += b.n;
      if (b.minTs < acc.minTs) acc.minTs = b.minTs;
      if (b.maxTs > acc.maxTs) acc.maxTs = b.maxTs;
      if (b.start + b.lastOffset > acc.newest) acc.newest = b.start + b.lastOffset;
      return;
    }
    const lo = fromMs - b.start;
    const hi = toMs - b.start;
    for (let i = 0; i < b.n; i++) {
      const off = b.arrivals[i];
      if (off > lo && off <= hi) {
        acc.total++;
        const ts = b.timestamps[i];
        if (ts < acc.minTs) acc.minTs = ts;
        if (ts > acc.maxTs) acc.maxTs = ts;
        if (b.start + off > acc.newest) acc.newest = b.start + off;
      }
    }
  }

  private sealOpen(): void {
    const bucket = this.open!;
    bucket.seal();
    let block = Block.of(bucket);
    // Merge equal-sized neighbours, binary-counter style, up to the cap.
    for (;;) {
      const prev = this.blocks[this.blocks.length - 1];
      if (
        !prev ||
        prev.buckets.length !== block.buckets.length ||
        prev.buckets.length * 2 > MAX_BLOCK_BUCKETS
      ) {
        break;
      }
      this.blocks.pop();
      block = prev.merge(block);
    }
    this.blocks.push(block);
  }

  private dropOldest(forCapacity: boolean): number {
    const block = this.blocks.shift()!;
    const n = block.buckets.reduce((s, b) => s + b.n, 0);
    this.posts -= n;
    if (forCapacity) this.evicted += n;
    return n;
  }
}

/** The values whose arrival offset lies in (lo, hi], in their existing order, in an array of exactly that size. */
function filterByArrival(
  values: Float64Array,
  arrivals: Uint16Array | Uint32Array,
  lo: number,
  hi: number,
): Float64Array {
  let n = 0;
  for (let i = 0; i < arrivals.length; i++) if (arrivals[i] > lo && arrivals[i] <= hi) n++;
  if (n === values.length) return values;
  const kept = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const off = arrivals[i];
    if (off > lo && off <= hi) kept[k++] = values[i];
  }
  return kept;
}
