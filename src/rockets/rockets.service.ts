import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { NotFoundError } from '../common/domain-errors';
import { Environment } from '../config/environment';
import { MessageAccepted, SortField, SortOrder } from './rocket';
import { RocketState } from './rocket-channel';
import { RocketMessage } from './rocket-message';
import { RocketsStats, RocketsStore } from './rockets.store';

export type RocketSummary = Pick<
  RocketState,
  'id' | 'type' | 'speed' | 'mission' | 'status' | 'updatedAt'
>;

/** Strings compare by code unit, so the order does not depend on the machine's locale. */
const cmp = (a: string | number | null, b: string | number | null): number =>
  a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1;

@Injectable()
export class RocketsService {
  private readonly logger = new Logger('Rockets');
  /** The last list served, serialised: dashboards poll one order again and again. */
  private listCache: { key: string; version: number; json: string } | null = null;

  constructor(
    private readonly store: RocketsStore,
    private readonly clock: Clock,
    private readonly env: Environment,
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
  expirePending(): Promise<number> {
    const idleMs = this.env.ROCKETS_PENDING_EXPIRY_MS;
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
   * launched has no type or mission) sort last in both orders.
   */
  async list(sort: SortField = 'id', order: SortOrder = 'asc'): Promise<RocketSummary[]> {
    const sign = order === 'asc' ? 1 : -1;
    const keyed = (await this.store.list()).map((s) => ({
      s,
      key: sort === 'updatedAt' ? (s.updatedAt === null ? null : Date.parse(s.updatedAt)) : s[sort],
    }));
    keyed.sort((a, b) => {
      if (a.key === null || b.key === null) return cmp(a.key, b.key) || cmp(a.s.id, b.s.id);
      return sign * cmp(a.key, b.key) || cmp(a.s.id, b.s.id);
    });
    return keyed.map(({ s }) => ({
      id: s.id,
      type: s.type,
      speed: s.speed,
      mission: s.mission,
      status: s.status,
      updatedAt: s.updatedAt,
    }));
  }

  /**
   * `list()` as JSON text, reused while no rocket has changed. One entry only, so memory
   * stays at one serialised list (about 130 bytes per rocket).
   */
  async listJson(sort: SortField = 'id', order: SortOrder = 'asc'): Promise<string> {
    const key = `${sort}:${order}`;
    const version = await this.store.version();
    const hit = this.listCache;
    if (hit && hit.key === key && hit.version === version) return hit.json;
    const json = JSON.stringify(await this.list(sort, order));
    this.listCache = { key, version, json };
    return json;
  }

  stats(): Promise<RocketsStats> {
    return this.store.stats();
  }
}
