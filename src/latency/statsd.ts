import { MAX_METRIC_ID_LENGTH } from './metric-id.pipe';

/** Largest timer value, in ms, whose nanoseconds are still an exact integer. */
const MAX_TIMER_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1e6);
const TIMER_TYPES = new Set(['ms', 'h', 'd']);
const UNSUPPORTED_TYPES = new Set(['c', 'g', 's']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface StatsdBatch {
  /** Timer samples per metric name, in nanoseconds (≥ 1: a 0 ms timing counts as 1 ns). */
  timers: Map<string, number[]>;
  samples: number;
  /** Well-formed counters, gauges and sets: valid StatsD this service does not aggregate. */
  unsupported: number;
  malformed: number;
}

/** Milliseconds to the latency module's unit: positive integer nanoseconds. */
export function msToNs(ms: number): number {
  return Math.max(1, Math.round(ms * 1e6));
}

/**
 * Parses one datagram of StatsD lines (`name:value|ms`, also `|h` and `|d`; DogStatsD's
 * `name:v1:v2|ms`; `|@rate` and `|#tags` sections tolerated). A bad line is counted and
 * skipped; the rest of the datagram still counts.
 *
 * The sample rate is checked but does not weight percentiles: each received timing is one
 * sample of the distribution, which is how StatsD itself computes timer percentiles.
 */
export function parseStatsd(text: string): StatsdBatch {
  const batch: StatsdBatch = { timers: new Map(), samples: 0, unsupported: 0, malformed: 0 };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.length === 0) continue;
    parseLine(line, batch);
  }
  return batch;
}

function parseLine(line: string, batch: StatsdBatch): void {
  const sections = line.split('|');
  const colon = sections[0].indexOf(':');
  if (sections.length < 2 || colon <= 0) return void batch.malformed++;
  const name = sections[0].slice(0, colon);
  const values = sections[0].slice(colon + 1).split(':');
  const type = sections[1];
  if (name.length > MAX_METRIC_ID_LENGTH || values.some((v) => !NUMBER.test(v))) {
    return void batch.malformed++;
  }
  for (const extra of sections.slice(2)) {
    if (extra.startsWith('@')) {
      const rate = Number(extra.slice(1));
      if (!NUMBER.test(extra.slice(1)) || !(rate > 0 && rate <= 1)) return void batch.malformed++;
    } else if (!/^[#ce]/.test(extra) && extra !== '') {
      // DogStatsD adds `#tags`, `c:container`, `e:external data`; anything else is not StatsD.
      return void batch.malformed++;
    }
  }
  if (UNSUPPORTED_TYPES.has(type)) return void batch.unsupported++;
  if (!TIMER_TYPES.has(type)) return void batch.malformed++;
  const ns: number[] = [];
  for (const v of values) {
    const ms = Number(v);
    if (!(ms >= 0 && ms <= MAX_TIMER_MS)) return void batch.malformed++;
    ns.push(msToNs(ms));
  }
  const list = batch.timers.get(name);
  if (list) list.push(...ns);
  else batch.timers.set(name, ns);
  batch.samples += ns.length;
}
