import { Injectable } from '@nestjs/common';
import { Aggregator, Counter, Gauge, Metric, MetricValue, Registry } from 'prom-client';

type Labels = Record<string, string>;
type Read<T> = () => T | Promise<T>;
/** One labelled value of a metric family. */
export type Series = [labels: Labels, value: number];

/**
 * How one scrape of a cluster (WORKERS > 1) combines a series from every worker
 * (prom-client's AggregatorRegistry). The default, `sum`, is right for what each worker
 * counts or holds of its own (requests, datagrams, memory). A figure read from the shared
 * state, which every worker folds alike, would count N times: it takes `SHARED` (the most
 * caught-up worker's). A 1-while-fine gauge takes `ALL` (1 only while every worker is), a
 * 1-while-wrong one `ANY` (1 while any worker is).
 */
export const SHARED: Aggregator = 'max';
export const ALL: Aggregator = 'min';
export const ANY: Aggregator = 'max';

/**
 * The app's Prometheus registry (one per app, so apps built side by side in a test never
 * share series). Each module owns the series it exports and registers them here, read
 * from its own figures at scrape time, so the hot paths pay nothing for them; the
 * prometheus module only serves the registry.
 */
@Injectable()
export class PrometheusRegistry {
  readonly registry = new Registry();

  /** A value that goes up and down, read at scrape time; null leaves the series out. */
  gauge(name: string, help: string, read: Read<number | null>, aggregator?: Aggregator): void {
    const series = async (): Promise<Series[]> => {
      const value = await read();
      return value === null ? [] : [[{}, value]];
    };
    this.gauges(name, help, [], series, aggregator);
  }

  /** A gauge family: one series per label set. */
  gauges(
    name: string,
    help: string,
    labelNames: string[],
    read: Read<Series[]>,
    aggregator: Aggregator = 'sum',
  ): void {
    const collect = refill<Gauge>(read, (g, labels, value) => g.set(labels, value));
    new Gauge({ name, help, labelNames, registers: [this.registry], collect, aggregator });
  }

  /** A count the module keeps (it only grows while the process lives), read at scrape time. */
  counter(name: string, help: string, read: Read<number>, aggregator?: Aggregator): void {
    this.counters(name, help, [], async () => [[{}, await read()]], aggregator);
  }

  /** A counter family: one series per label set. */
  counters(
    name: string,
    help: string,
    labelNames: string[],
    read: Read<Series[]>,
    aggregator: Aggregator = 'sum',
  ): void {
    const collect = refill<Counter>(read, (c, labels, value) => c.inc(labels, value));
    new Counter({ name, help, labelNames, registers: [this.registry], collect, aggregator });
  }

  /**
   * A summary whose quantiles someone else computed (the latency module's windows): per
   * label set, its quantiles and its count. No `_sum`: the windows do not keep one.
   */
  summary(
    name: string,
    help: string,
    read: Read<{ labels: Labels; quantiles: [number, number | null][]; count: number }[]>,
    aggregator: Aggregator = 'sum',
  ): void {
    this.registry.registerMetric(
      new ComputedSummary(name, help, read, aggregator) as unknown as Metric,
    );
  }
}

/** prom-client's collect hook: the metric's series replaced by what `read` says now. */
function refill<M extends { reset(): void }>(
  read: Read<Series[]>,
  put: (metric: M, labels: Labels, value: number) => void,
): (this: M) => Promise<void> {
  return async function (this: M) {
    const series = await read();
    this.reset();
    for (const [labels, value] of series) put(this, labels, value);
  };
}

/**
 * `read`, called at most once per scrape however many series use it: the registry asks
 * every metric in the same tick, and the value is forgotten on the next one.
 */
export function perScrape<T>(read: () => T): () => T {
  let cached: { value: T } | null = null;
  return () => {
    if (cached === null) {
      cached = { value: read() };
      setImmediate(() => (cached = null));
    }
    return cached.value;
  };
}

/** A metric object prom-client's registry can print: `get()` is all it asks of one. */
class ComputedSummary {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: Read<
      { labels: Labels; quantiles: [number, number | null][]; count: number }[]
    >,
    private readonly aggregator: Aggregator,
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: 'summary';
    values: MetricValue<string>[];
    aggregator: Aggregator;
  }> {
    const values: MetricValue<string>[] = [];
    for (const { labels, quantiles, count } of await this.read()) {
      for (const [q, value] of quantiles) {
        values.push({ labels: { ...labels, quantile: String(q) }, value: value ?? NaN });
      }
      values.push({
        labels,
        value: count,
        metricName: `${this.name}_count`,
      } as MetricValue<string>);
    }
    return {
      name: this.name,
      help: this.help,
      type: 'summary',
      values,
      aggregator: this.aggregator,
    };
  }

  reset(): void {}
}
