import { SetMetadata } from '@nestjs/common';
import { SettingsClass } from '../config/settings';

/** The variables of a settings group that hold numbers (an interval in ms, a switch's value). */
type NumberKeys<S> = { [K in keyof S]: S[K] extends number ? K : never }[keyof S] & string;

/** One periodic job, as its module declares it on the one service method it runs. */
export interface PeriodicJobSpec<S extends object = object> {
  /** Unique name: the SchedulerRegistry key and what the logs call it. */
  name: string;
  /** The settings group holding the interval… */
  settings: SettingsClass<S>;
  /** …and its variable, in milliseconds. */
  every: NumberKeys<S>;
  /** False when the module or this job is switched off (read once, at start). */
  enabledWhen?: (settings: S) => boolean;
}

export const PERIODIC_JOB = 'beacon:periodic-job';

/**
 * Declares the decorated method a periodic job: the registrar (JobRegistrar) finds it at
 * start, runs it every `settings[every]` ms unless JOBS_ENABLED=false or `enabledWhen`
 * says no, never runs it twice at once, and logs a failure once per outage.
 *
 *     @Periodic({ name: 'rockets-expiry', settings: RocketsSettings, every: 'ROCKETS_EXPIRY_INTERVAL_MS' })
 *     expirePending(): Promise<number> { … }
 */
export function Periodic<S extends object>(spec: PeriodicJobSpec<S>): MethodDecorator {
  return SetMetadata(PERIODIC_JOB, spec);
}
