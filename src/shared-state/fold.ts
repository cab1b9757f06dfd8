import { randomUUID } from 'node:crypto';
import { UnavailableError } from '../common/domain-errors';

/**
 * A module's state as a deterministic fold of one ordered log. The fold is the module's
 * in-memory store: `apply` changes it synchronously and returns the op's outcome.
 */
export interface Fold<Op, Out> {
  apply(op: Op): Promise<Out> | Out;
  /** The whole state, for a fold whose log would otherwise grow for ever. */
  snapshot?(): Buffer;
  /** Replaces the whole state with a snapshot's. */
  restore?(data: Buffer): void;
  /**
   * A compact encoding of one batch for the log, or null to write it as JSON. Its first
   * byte must not be `[` (JSON batches start with it, and both may meet in one log).
   */
  encode?(ops: Op[]): Buffer | null;
  /** Reads back what `encode` wrote. */
  decode?(data: Buffer): Op[];
}

/** The write never reached the log (Redis not connected, the disk refused it): retrying cannot double it. */
export class NotAppendedError extends UnavailableError {}

/**
 * The connection failed while the append was on its way: Redis may or may not have taken it.
 * Retrying could double the write, so a writer that must not should not retry.
 */
export class AppendUnknownError extends UnavailableError {}

/** The append was refused: this writer no longer holds the lock that fences the log. */
export class FencedError extends UnavailableError {}

/** A fresh id for this process's log writes. */
export function newInstanceId(): string {
  return randomUUID();
}

/** Entry ids compared as numbers: Redis stream ids `ms-seq`, or a local log's sequence `n`. */
export function compareIds(a: string, b: string): number {
  // Local ids are plain integers: compared without splitting (a replay compares millions).
  if (!a.includes('-') && !b.includes('-')) return Number(a) - Number(b);
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : (as ?? 0) - (bs ?? 0);
}
