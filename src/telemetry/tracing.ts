import cluster from 'node:cluster';
import { CoreSettings } from '../config/core.settings';
import { validateGroups } from '../config/settings';
import { TelemetrySettings } from './telemetry.settings';
import type { Tracing } from './tracing-sdk';

let active: Tracing | null = null;

/**
 * Starts OpenTelemetry tracing when an OTLP endpoint is set, and does nothing else
 * otherwise: the SDK is required only then, so a Beacon without it loads no OTel module
 * and pays nothing per request. It must run before anything requires `http`, `pg` or
 * `ioredis` (main.ts imports start-tracing.ts first), or those are not instrumented.
 * Returns whether tracing runs.
 */
export function startTracing(env: NodeJS.ProcessEnv): boolean {
  if (active) return true;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return false;
  let core: CoreSettings;
  let telemetry: TelemetrySettings;
  try {
    const loaded = validateGroups(env, [CoreSettings, TelemetrySettings]);
    core = loaded.get(CoreSettings);
    telemetry = loaded.get(TelemetrySettings);
  } catch {
    // main.ts validates every group again and reports the bad value, then exits 1.
    return false;
  }
  if (!telemetry.tracing) return false;
  // A cluster's primary only forks and supervises; its workers serve and trace.
  if (cluster.isPrimary && core.WORKERS > 1) return false;
  // Required here, synchronously, and only here: an `import` would load the SDK always,
  // and `await import()` would run after the modules it has to instrument.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('./tracing-sdk') as typeof import('./tracing-sdk');
  active = sdk.startSdk(core.LOG_LEVEL);
  return true;
}

/**
 * Exports the spans still buffered and stops the SDK, within `withinMs`: a collector that
 * does not answer must not hold up a graceful stop. Resolves false when it gave up.
 */
export async function stopTracing(withinMs: number): Promise<boolean> {
  const tracing = active;
  active = null;
  if (!tracing) return true;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), withinMs);
  });
  try {
    return await Promise.race([tracing.shutdown().then(() => true), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}
