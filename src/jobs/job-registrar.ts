import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import { errorText } from '../common/error-text';
import { CoreSettings } from '../config/core.settings';
import { PERIODIC_JOB, PeriodicJobSpec } from './periodic';

/** A job found on a provider, with the state its runs share. */
export interface RegisteredJob {
  readonly name: string;
  readonly everyMs: number;
  /** The setting that sets `everyMs`, for logs and docs. */
  readonly setting: string;
  runs: number;
  skipped: number;
  failures: number;
  /** Ticks skipped while the current run goes on. */
  skippedThisRun: number;
  /** Failed runs in a row (the current outage). */
  failingRuns: number;
  busy: boolean;
  /** The current outage's first error; null while runs succeed. */
  failing: string | null;
}

/** A run still going after this many of its intervals is logged as stuck. */
const STUCK_AFTER_TICKS = 10;

/**
 * Puts every `@Periodic` method on @nestjs/schedule's registry: the one place that honours
 * JOBS_ENABLED, skips a tick while the previous run of the same job is still busy, and
 * logs a failing job once when it starts failing and once when it recovers (not on every
 * tick of an outage). Modules declare jobs as data; none of them owns a timer for it.
 */
@Injectable()
export class JobRegistrar implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  private readonly jobs: RegisteredJob[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly modules: ModuleRef,
    private readonly registry: SchedulerRegistry,
    private readonly core: CoreSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.core.JOBS_ENABLED) {
      this.logger.log('JOBS_ENABLED=false: no pruning, expiry or flushing jobs run');
      return;
    }
    for (const { instance } of this.discovery.getProviders()) {
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const target = instance as Record<string, unknown>;
        const fn = target[method];
        if (typeof fn !== 'function') continue;
        const spec = Reflect.getMetadata(PERIODIC_JOB, fn) as PeriodicJobSpec | undefined;
        if (spec) this.add(spec, () => (fn as () => unknown).call(instance));
      }
    }
  }

  onModuleDestroy(): void {
    for (const job of this.jobs) {
      if (this.registry.doesExist('interval', job.name)) this.registry.deleteInterval(job.name);
    }
  }

  /** What ran, for tests and diagnostics. */
  list(): readonly RegisteredJob[] {
    return this.jobs;
  }

  private add(spec: PeriodicJobSpec, run: () => unknown): void {
    const settings = this.modules.get(spec.settings, { strict: false });
    if (spec.enabledWhen && !spec.enabledWhen(settings)) return;
    const everyMs = (settings as Record<string, unknown>)[spec.every] as number;
    const job: RegisteredJob = {
      name: spec.name,
      everyMs,
      setting: spec.every,
      runs: 0,
      skipped: 0,
      skippedThisRun: 0,
      failures: 0,
      failingRuns: 0,
      busy: false,
      failing: null,
    };
    const timer = setInterval(() => void this.tick(job, run), everyMs);
    timer.unref();
    this.registry.addInterval(job.name, timer);
    this.jobs.push(job);
  }

  private async tick(job: RegisteredJob, run: () => unknown): Promise<void> {
    if (job.busy) {
      job.skipped++;
      // A run that never settles would hide behind the skips: say so once per run.
      if (++job.skippedThisRun === STUCK_AFTER_TICKS) {
        this.logger.warn(
          `job ${job.name} has been running for ${STUCK_AFTER_TICKS} of its intervals (${job.setting}); later ticks are skipped until it ends`,
        );
      }
      return;
    }
    job.skippedThisRun = 0;
    job.busy = true;
    try {
      await run();
      job.runs++;
      if (job.failing !== null) {
        this.logger.log(`job ${job.name} works again after ${job.failingRuns} failed runs`);
        job.failing = null;
        job.failingRuns = 0;
      }
    } catch (err) {
      job.failures++;
      job.failingRuns++;
      if (job.failing === null) {
        job.failing = errorText(err);
        this.logger.error(
          `job ${job.name} failed: ${job.failing} (retried every ${job.everyMs} ms, ${job.setting}; logged again when it recovers)`,
        );
      }
    } finally {
      job.busy = false;
    }
  }
}
