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
  abstract check(): Promise<ModuleHealth>;
}

export function healthy(details: Record<string, unknown>): ModuleHealth {
  return { problems: [], unreachable: [], details };
}
