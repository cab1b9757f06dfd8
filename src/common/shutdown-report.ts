import { Injectable } from '@nestjs/common';

/**
 * What each module flushed or lost while the app shut down. Modules add to it in their
 * shutdown hooks instead of logging, and main.ts writes it as the one line a graceful
 * stop logs.
 */
@Injectable()
export class ShutdownReport {
  private readonly entries = new Map<string, Record<string, unknown>>();

  add(module: string, facts: Record<string, unknown>): void {
    this.entries.set(module, { ...this.entries.get(module), ...facts });
  }

  toJSON(): Record<string, Record<string, unknown>> {
    return Object.fromEntries(this.entries);
  }
}
