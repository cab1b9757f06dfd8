import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Metric, MetricValue, Registry } from 'prom-client';

type Labels = Record<string, string>;
type Read<T> = () => T | Promise<T>;
/** One labelled value of a metric family. */
export type Series = [labels: Labels, value: number];

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
  gauge(name: string, help: string, read: Read<number | null>): void {
    this.gauges(name, help, [], async () => {
      const value = await read();
      return value === null ? [] : [[{}, value]];
    });
  }

  /** A gauge family: one series per label set. */
  gauges(name: string, help: string, labelNames: string[], read: Read<Series[]>): void {
    const collect = refill<Gauge>(read, (g, labels, value) => g.set(labels, value));
    new Gauge({ name, help, labelNames, registers: [this.registry], collect });
  }

  /** A count the module keeps (it only grows while the process lives), read at scrape time. */
  counter(name: string, help: string, read: Read<number>): void {
    this.counters(name, help, [], async () => [[{}, await read()]]);
  }

  /** A counter family: one series per label set. */
  counters(name: string, help: string, labelNames: string[], read: Read<Series[]>): void {
    const collect = refill<Counter>(read, (c, labels, value) => c.inc(labels, value));
    new Counter({ name, help, labelNames, registers: [this.registry], collect });
  }

  /**
   * A summary whose quantiles someone else computed (the latency module's windows): per
   * label set, its quantiles and its count. No `_sum`: the windows do not keep one.
   */
  summary(
    name: string,
    help: string,
    read: Read<{ labels: Labels; quantiles: [number, number | null][]; count: number }[]>,
  ): void {
    this.registry.registerMetric(new ComputedSummary(name, help, read) as unknown as Metric);
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
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: 'summary';
    values: MetricValue<string>[];
    aggregator: 'sum';
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
      aggregator: 'sum',
    };
  }

  reset(): void {}
}
