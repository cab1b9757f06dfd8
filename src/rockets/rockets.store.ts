import { RocketMessage } from './rocket-message';
import { Outcome, RocketState } from './rocket-channel';

export interface RocketsStats {
  channels: number;
  buffered: number;
  applied: number;
  duplicates: number;
  conflictingDuplicates: number;
  ignored: number;
  discarded: number;
  refusedForCapacity: number;
  /** Rockets dropped by ROCKETS_PENDING_EXPIRY_MS (never launched, silent that long). */
  expiredPending: number;
  /** Rockets removed by DELETE. */
  deleted: number;
}

/**
 * Owns every rocket's state. Async so that a durable or shared implementation (a
 * database, Redis) fits the same seam; such an implementation must serialise `accept`
 * per channel, because its awaits could interleave two messages of one rocket.
 */
export abstract class RocketsStore {
  /**
   * Applies, buffers or recognises the message, received at `at` (what pending expiry
   * measures silence from). Throws `UnavailableError` when full.
   */
  abstract accept(message: RocketMessage, at: number): Promise<Outcome>;
  /**
   * Forgets a rocket, its buffered messages counted as discarded; false when there was
   * none. A message for it that arrives later starts a new rocket.
   */
  abstract remove(id: string): Promise<boolean>;
  /**
   * Drops every rocket that never launched (message 1 never applied) and has received
   * nothing since `at − idleMs`, its buffered messages counted as discarded; returns how
   * many went.
   */
  abstract expirePending(at: number, idleMs: number): Promise<number>;
  abstract get(id: string): Promise<RocketState | undefined>;
  abstract list(): Promise<RocketState[]>;
  /**
   * Changes whenever any rocket's visible state changes (applied, buffered, created), so
   * callers can cache what they derive from `list()`.
   */
  abstract version(): Promise<number>;
  abstract stats(): Promise<RocketsStats>;
}
