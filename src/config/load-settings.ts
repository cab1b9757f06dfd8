import { ApiMetricsSettings } from '../api-metrics/api-metrics.settings';
import { HttpSettings } from '../http/http.settings';
import { LatencySettings } from '../latency/latency.settings';
import { PrometheusSettings } from '../prometheus/prometheus.settings';
import { RequestCounterSettings } from '../request-counter/request-counter.settings';
import { RocketsSettings } from '../rockets/rockets.settings';
import { StateSettings } from '../shared-state/state.settings';
import { StreamSettings } from '../stream-analysis/stream-analysis.settings';
import { TelemetrySettings } from '../telemetry/telemetry.settings';
import { CoreSettings } from './core.settings';
import { LoadedSettings, SettingsClass, validateGroups } from './settings';

/**
 * Every module's settings group, in the order docs/configuration.md lists them. A new
 * module adds its class here; BeaconConfigModule then provides it for injection.
 */
export const SETTINGS_GROUPS: readonly SettingsClass[] = [
  CoreSettings,
  HttpSettings,
  StateSettings,
  LatencySettings,
  RequestCounterSettings,
  RocketsSettings,
  StreamSettings,
  ApiMetricsSettings,
  PrometheusSettings,
  TelemetrySettings,
];

/** Turns raw variables into every validated group, or throws one line naming each bad variable. */
export function loadSettings(raw: Record<string, unknown>): LoadedSettings {
  return validateGroups(raw, SETTINGS_GROUPS);
}

/** One group from `raw` (defaults for the rest), all rules checked: for tests and the bench. */
export function settingsOf<T extends object>(
  cls: SettingsClass<T>,
  raw: Record<string, unknown> = {},
): T {
  return loadSettings(raw).get(cls);
}
