import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { errorText } from './error-text';

/**
 * Registers a scheduled job that runs `job` every `everyMs`. A run that rejects is logged
 * and the job keeps its schedule; a run still going when the next is due is not doubled
 * (each job guards itself, e.g. with its mutex). The timer never keeps the process alive.
 */
export function addIntervalJob(
  registry: SchedulerRegistry,
  name: string,
  everyMs: number,
  job: () => unknown,
  logger: Logger,
): void {
  const timer = setInterval(() => {
    Promise.resolve()
      .then(job)
      .catch((err: unknown) => logger.error(`job ${name} failed: ${errorText(err)}`));
  }, everyMs);
  timer.unref();
  registry.addInterval(name, timer);
}

/** Stops the named jobs that were registered; the others are ignored. */
export function removeIntervalJobs(registry: SchedulerRegistry, names: readonly string[]): void {
  for (const name of names) {
    if (registry.doesExist('interval', name)) registry.deleteInterval(name);
  }
}
