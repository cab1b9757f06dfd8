import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { Clock } from '../common/clock';
import { Environment } from '../config/environment';
import { Fold, SharedLog, SharedLogOptions, SharedLogStatus, newInstanceId } from './shared-log';

/** The header on every answer while this instance cannot reach Redis. */
export const STALE_HEADER = 'Beacon-Stale';

/**
 * Redis mode's common ground: this process's id in the logs, the settings every shared log
 * uses, and the logs opened, for health and for the stale header. In memory mode it is
 * there but opens nothing.
 */
@Injectable()
export class SharedState implements OnApplicationBootstrap {
  readonly enabled: boolean;
  readonly instanceId = newInstanceId();
  private readonly logs: SharedLog<unknown, unknown>[] = [];

  constructor(
    private readonly env: Environment,
    private readonly clock: Clock,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.enabled = env.STATE_BACKEND === 'redis';
  }

  /** Opens, catches up and registers one module's log. */
  async open<Op, Out>(
    name: string,
    fold: Fold<Op, Out>,
    extra: Partial<SharedLogOptions> = {},
  ): Promise<SharedLog<Op, Out>> {
    const log = new SharedLog(fold, {
      name,
      redis: { url: this.env.REDIS_URL, prefix: this.env.REDIS_PREFIX },
      clock: this.clock,
      instanceId: this.instanceId,
      ...extra,
    });
    await log.start();
    this.logs.push(log as SharedLog<unknown, unknown>);
    return log;
  }

  /** The stream key of a module's log, for messages. */
  keyOf(name: string): string {
    return `${this.env.REDIS_PREFIX}:${name}:log`;
  }

  statuses(): SharedLogStatus[] {
    return this.logs.map((l) => l.status());
  }

  /** Pings Redis through each log; the first failure's text, or null when all answer. */
  async unreachable(): Promise<string | null> {
    for (const log of this.logs) {
      try {
        await log.ping();
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    }
    return null;
  }

  /** Since when some log has not reached Redis (ISO), or null. */
  staleSince(): string | null {
    const since = this.logs.map((l) => l.status().staleSince).filter((s) => s !== null);
    return since.length === 0 ? null : since.sort()[0];
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    // On the server, ahead of routing, so every answer carries it, errors included.
    server?.prependListener('request', (_req, res) => {
      if (!this.logs.some((l) => l.stale)) return;
      res.setHeader(STALE_HEADER, `redis unreachable since ${this.staleSince()}`);
    });
  }
}
