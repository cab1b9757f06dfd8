import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { InvalidArgumentError, NotFoundError } from '../common/domain-errors';
import { mapInSlices, sortInSlices, stringifyInSlices } from '../common/sliced';
import { Periodic } from '../jobs/periodic';
import { RocketsSettings } from './rockets.settings';
import { MessageAccepted, RocketStatus, SortField, SortOrder } from './rocket';
import { RocketState } from './rocket-channel';
import { RocketMessage } from './rocket-message';
import { RocketsStats, RocketsStore } from './rockets.store';

/** A rocket in `GET /rockets`: what it does not have yet is absent, never null (as in the seed). */
export interface RocketSummary {
  id: string;
  type?: string;
  speed: number;
  mission?: string;
  status: RocketStatus;
  updatedAt?: string;
}

/** Strings compare by code unit, so the order does not depend on the machine's locale. */
const cmp = (a: string | number | null, b: string | number | null): number =>
  a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1;

type Key = string | number | null;
interface Keyed {
  s: RocketSummary;
  key: Key;
}
interface ListCache {
  key: string;
  version: number;
  items: Keyed[];
  json: string | null;
}
interface Cursor {
  sort: SortField;
  order: SortOrder;
  key: Key;
  id: string;
}

/** Every field always set (undefined is left out of the JSON), so all summaries share one shape. */
function summary(s: RocketState): RocketSummary {
  return {
    id: s.id,
    type: s.type ?? undefined,
    speed: s.speed,
    mission: s.mission ?? undefined,
    status: s.status,
    updatedAt: s.updatedAt ?? undefined,
  };
}

function sortKey(s: RocketState, sort: SortField): Key {
  return sort === 'updatedAt' ? (s.updatedAt === null ? null : Date.parse(s.updatedAt)) : s[sort];
}

/** Missing keys last in both orders; ties by id, ascending. */
function comparator(order: SortOrder): (a: Keyed, b: Keyed) => number {
  const sign = order === 'asc' ? 1 : -1;
  return (a, b) => {
    if (a.key === null || b.key === null) return cmp(a.key, b.key) || cmp(a.s.id, b.s.id);
    return sign * cmp(a.key, b.key) || cmp(a.s.id, b.s.id);
  };
}

/** Opaque to clients: base64url of where the page ended, in which order. */
function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.sort, c.order, c.key, c.id])).toString('base64url');
}

function decodeCursor(text: string, sort: SortField, order: SortOrder): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const ok =
    Array.isArray(parsed) &&
    parsed.length === 4 &&
    typeof parsed[3] === 'string' &&
    (parsed[2] === null || typeof parsed[2] === 'string' || typeof parsed[2] === 'number');
  if (!ok) throw new InvalidArgumentError('cursor is not one this service gave out');
  const [s, o, key, id] = parsed as [string, string, Key, string];
  if (s !== sort || o !== order) {
    throw new InvalidArgumentError(
      `cursor belongs to sort=${s}&order=${o}; ask for the same order it came from`,
    );
  }
  return { sort, order, key, id };
}

@Injectable()
export class RocketsService {
  private readonly logger = new Logger('Rockets');
  /** The last list served, sorted (and serialised once asked for whole). */
  private listCache: ListCache | null = null;
  private building: { key: string; version: number; done: Promise<ListCache> } | null = null;

  constructor(
    private readonly store: RocketsStore,
    private readonly clock: Clock,
    private readonly config: RocketsSettings,
  ) {}

  async accept(message: RocketMessage): Promise<MessageAccepted> {
    const out = await this.store.accept(message, this.clock.now());
    if (out.conflict) {
      this.logger.warn(
        `rocket ${message.channel}: message ${message.number} arrived again with different ` +
          'content; the first copy is kept',
      );
    }
    return { channel: message.channel, messageNumber: message.number, status: out.status };
  }

  /** DELETE /rockets/{id}: 404 when there is no such rocket. */
  async remove(id: string): Promise<void> {
    if (!(await this.store.remove(id))) {
      throw new NotFoundError(`No rocket with id ${JSON.stringify(id)}`);
    }
  }

  /** ROCKETS_PENDING_EXPIRY_MS: drops rockets that never launched and went silent (0 = never). */
  @Periodic({
    name: 'rockets-expiry',
    settings: RocketsSettings,
    every: 'ROCKETS_EXPIRY_INTERVAL_MS',
    enabledWhen: (s) => s.ROCKETS_PENDING_EXPIRY_MS > 0,
  })
  expirePending(): Promise<number> {
    const idleMs = this.config.ROCKETS_PENDING_EXPIRY_MS;
    return idleMs > 0 ? this.store.expirePending(this.clock.now(), idleMs) : Promise.resolve(0);
  }

  async get(id: string): Promise<RocketState> {
    const state = await this.store.get(id);
    if (!state) throw new NotFoundError(`No rocket with id ${JSON.stringify(id)}`);
    return state;
  }

  /**
   * Sorted by `sort`, then by id, so the order is total and repeatable. `updatedAt`
   * sorts by instant, not by text (offsets differ). Missing values (a rocket not yet
   * launched has no type or mission) sort last in both orders. Built in slices: 100,000
   * rockets never hold up other requests for more than a slice's time.
   */
  async list(sort: SortField = 'id', order: SortOrder = 'asc'): Promise<RocketSummary[]> {
    return (await this.sorted(sort, order)).map((k) => k.s);
  }

  /**
   * One page of `list()` as JSON text, and the cursor of the next page (null on the last).
   * Without `limit`, every rocket (the seed's answer). The whole sorted list and its JSON
   * are kept while no rocket changes (one entry: dashboards poll one order again and
   * again), so a repeated request costs no sorting and, unpaged, no serialising.
   */
  async listPage(
    sort: SortField = 'id',
    order: SortOrder = 'asc',
    limit?: number,
    cursor?: string,
  ): Promise<{ json: string; next: string | null }> {
    const entry = await this.cached(sort, order);
    if (limit === undefined && cursor === undefined) {
      entry.json ??= await stringifyInSlices(entry.items.map((k) => k.s));
      return { json: entry.json, next: null };
    }
    const from =
      cursor === undefined ? 0 : this.after(entry.items, decodeCursor(cursor, sort, order), order);
    const page = entry.items.slice(from, from + (limit ?? entry.items.length));
    const last = page.at(-1);
    const more = from + page.length < entry.items.length;
    return {
      json: JSON.stringify(page.map((k) => k.s)),
      next: more && last ? encodeCursor({ sort, order, key: last.key, id: last.s.id }) : null,
    };
  }

  private async cached(sort: SortField, order: SortOrder): Promise<ListCache> {
    const key = `${sort}:${order}`;
    const version = await this.store.version();
    const hit = this.listCache;
    if (hit && hit.key === key && hit.version === version) return hit;
    // A build already running for this very state: share it.
    const building = this.building;
    if (building && building.key === key && building.version === version) return building.done;
    const done = this.sorted(sort, order)
      .then((items) => {
        const entry: ListCache = { key, version, items, json: null };
        // Kept under the version it began at: if a rocket changed meanwhile, the next
        // request sees a new version and builds again. A build that began earlier and
        // ends later does not replace a newer one.
        const kept = this.listCache;
        if (!kept || kept.key !== key || kept.version <= version) this.listCache = entry;
        return entry;
      })
      .finally(() => {
        if (this.building?.done === done) this.building = null;
      });
    this.building = { key, version, done };
    return done;
  }

  private async sorted(sort: SortField, order: SortOrder): Promise<Keyed[]> {
    const keyed = await mapInSlices(await this.store.list(), (s) => ({
      s: summary(s),
      key: sortKey(s, sort),
    }));
    return sortInSlices(keyed, comparator(order));
  }

  /** The index of the first rocket after the cursor's in this order. */
  private after(items: Keyed[], c: Cursor, order: SortOrder): number {
    const compare = comparator(order);
    const probe: Keyed = { key: c.key, s: { id: c.id } as RocketSummary };
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(items[mid], probe) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  stats(): Promise<RocketsStats> {
    return this.store.stats();
  }
}
