import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/**
 * The machinery behind every module's settings. A module declares its settings as one
 * class in its own folder (`latency/latency.settings.ts`…): one field per environment
 * variable with its default and its class-validator rules. The class is also the
 * injection token, so a constructor shows exactly which settings it depends on. All the
 * classes are validated together, once, at start (`loadSettings`).
 */

export class InvalidConfigurationError extends Error {}

/** Environment variables arrive as strings; anything else (tests) is passed through untouched. */
export const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

export const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
};

/** A comma-separated setting as a list, blanks dropped. */
export function list(setting: string): string[] {
  return setting
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
}

/** Reads another module's (already validated) settings, for rules that span modules. */
export type SettingsLookup = <T extends object>(cls: SettingsClass<T>) => T;

/**
 * What a module's settings class looks like. Upper-case fields are environment
 * variables (`@Expose()`d); lower-case fields are derived from them by `derive`.
 */
export interface SettingsClass<T extends object = object> {
  new (): T;
  /** The heading of this group's table in docs/configuration.md. */
  readonly section: string;
  /** Variables whose values never appear in an error message (keys). */
  readonly secret?: readonly string[];
}

/** A settings class may check rules across its fields and compute derived values, once. */
export interface DerivedSettings {
  /** Throws InvalidConfigurationError naming the variable when a rule is broken. */
  derive(lookup: SettingsLookup): void;
}

/** The environment variables a settings class declares (its upper-case fields). */
export function variablesOf(cls: SettingsClass): string[] {
  return Object.keys(new cls()).filter((k) => /^[A-Z][A-Z0-9_]+$/.test(k));
}

/** Every group validated from one source, each reachable by its class. */
export class LoadedSettings {
  constructor(private readonly groups: ReadonlyMap<SettingsClass, object>) {}

  get<T extends object>(cls: SettingsClass<T>): T {
    const settings = this.groups.get(cls);
    if (!settings) throw new Error(`${cls.name} is not a registered settings group`);
    return settings as T;
  }

  entries(): [SettingsClass, object][] {
    return [...this.groups];
  }
}

/**
 * Validates `raw` against every class, reports every bad variable in one line, then runs
 * each group's cross-field rules in the order given.
 */
export function validateGroups(
  raw: Record<string, unknown>,
  classes: readonly SettingsClass[],
): LoadedSettings {
  const groups = new Map<SettingsClass, object>();
  const problems: string[] = [];
  for (const cls of classes) {
    const settings = plainToInstance(cls, raw, {
      excludeExtraneousValues: true,
      exposeDefaultValues: true,
    });
    for (const e of validateSync(settings, { forbidUnknownValues: true })) {
      const got = cls.secret?.includes(e.property) ? '(hidden)' : raw[e.property];
      problems.push(
        `${Object.values(e.constraints ?? {}).join('; ')} (got ${JSON.stringify(got)})`,
      );
    }
    groups.set(cls, settings);
  }
  if (problems.length > 0) {
    throw new InvalidConfigurationError(`Invalid configuration: ${problems.join(' | ')}`);
  }
  const loaded = new LoadedSettings(groups);
  const lookup: SettingsLookup = (cls) => loaded.get(cls);
  for (const settings of groups.values()) {
    (settings as Partial<DerivedSettings>).derive?.(lookup);
  }
  return loaded;
}

/** Throws the one-line configuration error every rule uses. */
export function invalid(message: string): never {
  throw new InvalidConfigurationError(`Invalid configuration: ${message}`);
}
