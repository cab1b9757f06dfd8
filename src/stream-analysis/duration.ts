/** The shortest and longest window a query may ask for: 5 s and 24 h. */
export const MIN_DURATION_MS = 5000;
export const MAX_DURATION_MS = 86_400_000;

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Go's `time.ParseDuration` grammar (`5s`, `1h30m`, `1.5h`, `300ms`), to milliseconds.
 * Returns null when the text is not a duration. Signs are not accepted: a window is
 * positive.
 */
export function parseGoDuration(text: string): number | null {
  if (text.length === 0 || text.length > 64) return null;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return null;
    total += Number(m[1]) * UNITS[m[2]];
    at = re.lastIndex;
  }
  return total;
}

/** A whole number of hours, minutes or seconds, as messages say it: `5m`, `24h`, `30s`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
