import { redisKey } from '../infra/redis';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { Clock } from '../common/clock';
import { ShutdownReport } from '../common/shutdown-report';
import { CoreSettings } from '../config/core.settings';
import { StateSettings } from './state.settings';
import { FileIo, FileLog } from './file-log';
import { Fold, newInstanceId } from './fold';
import { LogBackend } from './log-backend';
import { RedisLog, RedisLogOptions } from './redis-log';
import { SharedLog, SharedLogOptions, SharedLogStatus } from './shared-log';
import { StateDir } from './state-dir';

/** The header on every answer while this instance cannot reach Redis. */
export const STALE_HEADER = 'Beacon-Stale';

/** What a module asks of its log beyond its name and fold. */
export type LogOptions = Partial<Omit<SharedLogOptions, 'name' | 'instanceId'>> &
  Pick<RedisLogOptions, 'keepMs' | 'fence' | 'alongside' | 'trimGraceMs'>;

/**
 * Where module state is kept (STATE_BACKEND) and the logs opened on it: `local` (files under
 * DATA_DIR/state, held by this process alone), `redis` (streams every instance folds) or
 * `memory` (no log: modules keep their plain in-memory stores). Gives this process's id to
 * the logs, and the logs to health, metrics and the stale header.
 */
@Injectable()
export class SharedState implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly backend: 'local' | 'memory' | 'redis';
  readonly instanceId = newInstanceId();
  private readonly logs: SharedLog<unknown, unknown>[] = [];
  private stateDir: Promise<StateDir> | null = null;
  private readonly logger = new Logger('State');

  constructor(
    private readonly coreConfig: CoreSettings,
    private readonly config: StateSettings,
    private readonly clock: Clock,
    private readonly adapterHost: HttpAdapterHost,
    private readonly fileIo: FileIo,
    private readonly report: ShutdownReport,
  ) {
    this.backend = config.STATE_BACKEND;
  }

  /** Modules keep their state as folds of a log (local files or Redis), not in memory only. */
  get logged(): boolean {
    return this.backend !== 'memory';
  }

  /** Several instances share the state through Redis. */
  get shared(): boolean {
    return this.backend === 'redis';
  }

  /** Opens one module's log on the configured backend; resolves once caught up. */
  async open<Op, Out>(
    name: string,
    fold: Fold<Op, Out>,
    options: LogOptions = {},
  ): Promise<SharedLog<Op, Out>> {
    const { keepMs, fence, alongside, trimGraceMs, ...driver } = options;
    const snapshots = fold.snapshot !== undefined && fold.restore !== undefined;
    let backend: LogBackend;
    if (this.backend === 'redis') {
      backend = new RedisLog({
        name,
        redis: this.config.redis,
        clock: this.clock,
        instanceId: this.instanceId,
        snapshots,
        snapshotEveryMs: driver.snapshotEveryMs,
        keepMs,
        fence,
        alongside,
        trimGraceMs,
      });
    } else {
      // One acquisition for every module's log, however many open at once.
      this.stateDir ??= StateDir.acquire(this.coreConfig.DATA_DIR);
      backend = new FileLog({
        name,
        dir: (await this.stateDir).logDir(name),
        clock: this.clock,
        syncMs: this.config.STATE_SYNC_MS,
        snapshots,
        keepMs,
        io: this.fileIo,
      });
    }
    const onStop = (s: SharedLogStatus) =>
      this.report.add('state', {
        [name]: {
          backend: s.backend,
          lastEntry: s.lastAppliedId,
          snapshotsWritten: s.snapshotsWritten,
          ...(s.dir === null ? {} : { dir: s.dir }),
        },
      });
    const log = new SharedLog(
      fold,
      { name, instanceId: this.instanceId, onStop, ...driver },
      backend,
    );
    await log.start();
    this.logs.push(log as SharedLog<unknown, unknown>);
    return log;
  }

  /** The stream key of a module's log, for messages. */
  keyOf(name: string): string {
    return redisKey(this.config.redis, name, 'log');
  }

  statuses(): SharedLogStatus[] {
    return this.logs.map((l) => l.status());
  }

  /** Why some log cannot take writes now (Redis unreachable, a disk refusing), or null. */
  async problem(): Promise<string | null> {
    for (const log of this.logs) {
      const problem = await log.problem();
      if (problem !== null) return problem;
    }
    return null;
  }

  /** Since when some log has not reached Redis (ISO), or null. */
  staleSince(): string | null {
    const since = this.logs.map((l) => l.status().staleSince).filter((s) => s !== null);
    return since.length === 0 ? null : since.sort()[0];
  }

  onApplicationBootstrap(): void {
    if (this.backend === 'memory') {
      this.logger.warn(
        'STATE_BACKEND=memory: latency, rockets and stream posts live in this process only and ' +
          'are lost when Beacon stops (the default, local, keeps them in DATA_DIR)',
      );
    }
    if (!this.shared) return;
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    // On the server, ahead of routing, so every answer carries it, errors included.
    server?.prependListener('request', (_req, res) => {
      if (!this.logs.some((l) => l.stale)) return;
      res.setHeader(STALE_HEADER, `redis unreachable since ${this.staleSince()}`);
    });
  }

  /** After every module closed its log: the next Beacon may take DATA_DIR. */
  async onApplicationShutdown(): Promise<void> {
    (await this.stateDir?.catch(() => null))?.release();
  }
}
