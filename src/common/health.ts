/**
 * What one module says about itself. The health module only assembles these: each module
 * owns its indicator and decides what "down" means for it.
 */
export interface ModuleHealth {
  /**
   * Why part of the module's work fails right now (a full cap, a failing disk, an upstream
   * it cannot reach). Any problem makes `GET /health` answer 503.
   */
  problems: string[];
  /**
   * Dependencies the module cannot serve without that are unreachable (the database,
   * Redis). Any of these also makes `GET /health/ready` answer 503.
   */
  unreachable: string[];
  details: Record<string, unknown>;
}

/** Each module's indicator: a provider it exports, keyed by the name `/health` reports it under. */
export abstract class HealthIndicator {
  abstract readonly key: string;
  /**
   * @param detailed whether the caller may see paths, URLs and raw error text (see
   *                 `ApiKeys.maySeeDetails`); without it, `shown` stands in for them.
   */
  abstract check(detailed: boolean): Promise<ModuleHealth>;
}

/** What a caller who may not see details gets in place of a path, a URL or raw error text. */
export const HIDDEN = 'hidden (ask with an API key, or from loopback when API_KEYS is off)';

/** `text` for a caller who may see details, `HIDDEN` for one who may not (null stays null). */
export function shown<T extends string | null>(text: T, detailed: boolean): T | string {
  return text === null || detailed ? text : HIDDEN;
}

export function healthy(details: Record<string, unknown>): ModuleHealth {
  return { problems: [], unreachable: [], details };
}
