import { MAX_METRIC_ID_LENGTH } from './metric-id.pipe';

/** Largest timer value, in ms, whose nanoseconds are still an exact integer. */
const MAX_TIMER_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1e6);
const TIMER_TYPES = new Set(['ms', 'h', 'd']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const EVENT = /^_e\{(\d+),(\d+)\}:/;

/** Valid StatsD that Beacon does not turn into latency samples, by kind. */
export const UNSUPPORTED_KINDS = ['counter', 'gauge', 'set', 'event', 'serviceCheck'] as const;
export type UnsupportedKind = (typeof UNSUPPORTED_KINDS)[number];
const KIND_OF_TYPE: Record<string, UnsupportedKind> = { c: 'counter', g: 'gauge', s: 'set' };

export interface StatsdBatch {
  /** Timer samples per metric id, in nanoseconds (≥ 1: a 0 ms timing counts as 1 ns). */
  timers: Map<string, number[]>;
  samples: number;
  /** Well-formed StatsD this service does not aggregate, by kind. */
  unsupported: Record<UnsupportedKind, number>;
  /** Lines that are not StatsD at all. */
  malformed: number;
  /** Timers whose metric id (name and tags) is longer than a metric id may be. */
  nameTooLong: number;
}

/** Milliseconds to the latency module's unit: positive integer nanoseconds. */
export function msToNs(ms: number): number {
  return Math.max(1, Math.round(ms * 1e6));
}

/**
 * The metric id of a tagged name, one canonical form whichever client sent it:
 * `name{k=v,…}` with the tags sorted by key (then value); a tag without a value is just
 * `k`. Untagged names are unchanged.
 */
export function metricId(name: string, tags: readonly string[]): string {
  if (tags.length === 0) return name;
  const sorted = [...tags].sort((a, b) => {
    const [ka, va = ''] = splitTag(a);
    const [kb, vb = ''] = splitTag(b);
    return ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0;
  });
  return `${name}{${sorted.join(',')}}`;
}

function splitTag(tag: string): [string, string?] {
  const eq = tag.indexOf('=');
  return eq < 0 ? [tag] : [tag.slice(0, eq), tag.slice(eq + 1)];
}

/**
 * Parses one datagram of StatsD lines: `name:value|type`, several values per line
 * (DogStatsD's `name:v1:v2|ms`), the sections `|@rate`, `|#tags`, `|c:container`,
 * `|e:external` and `|T<timestamp>`, DogStatsD tags (`|#k:v,flag`; a value may hold `:`)
 * and Telegraf tags (`name,k=v,flag:value|ms`, one value: a Telegraf line with a second
 * `:` is malformed, since a `:` in a tag value and several values look the same). Timers (`ms`, `h`, `d`) become samples of the metric
 * `metricId(name, tags)`; counters, gauges, sets, events (`_e{…}`) and service checks
 * (`_sc|…`) are counted by kind; only lines that are not StatsD are malformed.
 *
 * The sample rate is checked but does not weight percentiles: each received timing is one
 * sample of the distribution, which is how StatsD itself computes timer percentiles.
 */
export function parseStatsd(text: string): StatsdBatch {
  const batch: StatsdBatch = {
    timers: new Map(),
    samples: 0,
    unsupported: { counter: 0, gauge: 0, set: 0, event: 0, serviceCheck: 0 },
    malformed: 0,
    nameTooLong: 0,
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.length === 0) continue;
    parseLine(line, batch);
  }
  return batch;
}

function parseLine(line: string, batch: StatsdBatch): void {
  if (line.startsWith('_e{'))
    return void (isEvent(line) ? batch.unsupported.event++ : batch.malformed++);
  if (line.startsWith('_sc|')) {
    return void (isServiceCheck(line) ? batch.unsupported.serviceCheck++ : batch.malformed++);
  }
  const sections = line.split('|');
  const colon = sections[0].indexOf(':');
  if (sections.length < 2 || colon <= 0) return void batch.malformed++;
  // Telegraf puts tags in the name: `name,k=v,flag`.
  const [name, ...telegrafTags] = sections[0].slice(0, colon).split(',');
  const values = sections[0].slice(colon + 1).split(':');
  const type = sections[1];
  if (name.length === 0 || telegrafTags.some((t) => t.length === 0)) return void batch.malformed++;
  // With Telegraf tags, a `:` in a tag value (`name,host=db:5432:12|ms`) reads exactly like
  // DogStatsD's several values (host=db, timings 5432 and 12): the line is ambiguous, so it
  // is malformed rather than recorded as bogus samples. Telegraf itself sends one value.
  if (telegrafTags.length > 0 && values.length > 1) return void batch.malformed++;
  const tags = [...telegrafTags];
  for (const extra of sections.slice(2)) {
    if (extra.startsWith('@')) {
      const rate = Number(extra.slice(1));
      if (!NUMBER.test(extra.slice(1)) || !(rate > 0 && rate <= 1)) return void batch.malformed++;
    } else if (extra.startsWith('#')) {
      for (const tag of extra.slice(1).split(',')) {
        if (tag.length === 0) continue;
        // DogStatsD writes `k:v`; the canonical form is `k=v`.
        const c = tag.indexOf(':');
        tags.push(c < 0 ? tag : `${tag.slice(0, c)}=${tag.slice(c + 1)}`);
      }
    } else if (!/^(c:|e:|T\d+$)/.test(extra) && extra !== '') {
      // Container id, external data and timestamp are DogStatsD's; anything else is not StatsD.
      return void batch.malformed++;
    }
  }
  const kind = KIND_OF_TYPE[type];
  if (kind) {
    // A set's members are any strings; counters and gauges are numbers.
    if (kind !== 'set' && values.some((v) => !NUMBER.test(v))) return void batch.malformed++;
    return void batch.unsupported[kind]++;
  }
  if (!TIMER_TYPES.has(type) || values.some((v) => !NUMBER.test(v))) return void batch.malformed++;
  const ns: number[] = [];
  for (const v of values) {
    const ms = Number(v);
    if (!(ms >= 0 && ms <= MAX_TIMER_MS)) return void batch.malformed++;
    ns.push(msToNs(ms));
  }
  const id = metricId(name, tags);
  if (id.length > MAX_METRIC_ID_LENGTH) return void batch.nameTooLong++;
  const list = batch.timers.get(id);
  if (list) list.push(...ns);
  else batch.timers.set(id, ns);
  batch.samples += ns.length;
}

/** `_e{title length,text length}:title|text|…`, the lengths matching. */
function isEvent(line: string): boolean {
  const m = EVENT.exec(line);
  if (!m) return false;
  const rest = line.slice(m[0].length);
  const titleLength = Number(m[1]);
  const textLength = Number(m[2]);
  return rest.length >= titleLength + 1 + textLength && rest[titleLength] === '|';
}

/** `_sc|name|status|…`, status 0 (OK) to 3 (UNKNOWN). */
function isServiceCheck(line: string): boolean {
  const parts = line.split('|');
  return parts.length >= 3 && parts[1].length > 0 && /^[0-3]$/.test(parts[2]);
}
