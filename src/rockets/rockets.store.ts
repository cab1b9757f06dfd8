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
}

/**
 * Owns every rocket's state. Async so that a durable or shared implementation (a
 * database, Redis) fits the same seam; such an implementation must serialise `accept`
 * per channel, because its awaits could interleave two messages of one rocket.
 */
export abstract class RocketsStore {
  /** Applies, buffers or recognises the message. Throws `UnavailableError` when full. */
  abstract accept(message: RocketMessage): Promise<Outcome>;
  abstract get(id: string): Promise<RocketState | undefined>;
  abstract list(): Promise<RocketState[]>;
  /**
   * Changes whenever any rocket's visible state changes (applied, buffered, created), so
   * callers can cache what they derive from `list()`.
   */
  abstract version(): Promise<number>;
  abstract stats(): Promise<RocketsStats>;
}
