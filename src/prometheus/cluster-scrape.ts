import cluster, { Worker } from 'node:cluster';
import { AggregatorRegistry, Registry } from 'prom-client';

/**
 * WORKERS > 1: one scrape of the port covers every worker. node:cluster hands each
 * connection to one worker, so a worker's own registry would show its share of the
 * traffic, and consecutive scrapes would jump between workers. The worker that takes
 * GET /prometheus asks the primary instead; the primary asks every worker that serves for
 * its registry (as JSON), combines them with prom-client's AggregatorRegistry (each series
 * by its `aggregator`: `sum` by default, the shared state's `max`, see common/prometheus)
 * and answers with the exposition.
 *
 * The messages between them, over node:cluster's IPC:
 */
const SCRAPE = 'beacon:prometheus-scrape';
const SCRAPED = 'beacon:prometheus-scraped';
const COLLECT = 'beacon:prometheus-collect';
const COLLECTED = 'beacon:prometheus-collected';

/** How long the primary waits for every worker's registry, and a worker for the answer. */
const SCRAPE_TIMEOUT_MS = 5000;

/** One registry's metrics as JSON, what AggregatorRegistry.aggregate combines. */
type Metrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

interface Message {
  beacon?: string;
  id?: number;
  text?: string;
  error?: string;
  metrics?: Metrics;
}

/**
 * IPC is JSON, which has no NaN or ±Infinity (an empty window's quantile is NaN): they
 * travel as strings and come back as numbers.
 */
const SPECIAL = new Set(['NaN', 'Infinity', '-Infinity']);
function encodeValues(metrics: Metrics) {
  for (const m of metrics) {
    for (const v of m.values) {
      if (!Number.isFinite(v.value)) (v as { value: unknown }).value = String(v.value);
    }
  }
  return metrics;
}
function decodeValues(metrics: Metrics) {
  for (const m of metrics) {
    for (const v of m.values) {
      const raw = v.value as unknown;
      if (typeof raw === 'string' && SPECIAL.has(raw)) v.value = Number(raw);
    }
  }
  return metrics;
}

/** In the primary: answer workers' scrapes with every serving worker's registry, combined. */
export function serveClusterScrapes(): void {
  const serving = new Set<Worker>();
  let nextId = 0;
  const waiting = new Map<number, (worker: Worker, message: Message) => void>();
  cluster.on('exit', (worker) => serving.delete(worker));
  cluster.on('message', (worker: Worker, message: Message) => {
    if (message?.beacon === 'listening') serving.add(worker);
    else if (message?.beacon === COLLECTED) waiting.get(message.id!)?.(worker, message);
    else if (message?.beacon === SCRAPE) {
      void collect().then(
        (text) => send(worker, { beacon: SCRAPED, id: message.id, text }),
        (err: Error) => send(worker, { beacon: SCRAPED, id: message.id, error: err.message }),
      );
    }
  });

  const collect = (): Promise<string> => {
    const id = nextId++;
    const asked = [...serving].filter((w) => w.isConnected());
    return new Promise<string>((resolve, reject) => {
      const parts: Metrics[] = [];
      const answered = new Set<Worker>();
      const done = () => {
        clearTimeout(timer);
        waiting.delete(id);
      };
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`${asked.length - answered.size} worker(s) did not answer in time`));
      }, SCRAPE_TIMEOUT_MS);
      waiting.set(id, (worker, message) => {
        if (answered.has(worker)) return;
        answered.add(worker);
        if (message.error !== undefined || !message.metrics) {
          done();
          return reject(new Error(message.error ?? 'a worker sent no metrics'));
        }
        parts.push(decodeValues(message.metrics));
        if (answered.size < asked.length) return;
        done();
        AggregatorRegistry.aggregate(parts).metrics().then(resolve, reject);
      });
      for (const w of asked) send(w, { beacon: COLLECT, id });
      if (asked.length === 0) {
        done();
        reject(new Error('no worker serves yet'));
      }
    });
  };
}

function send(worker: Worker, message: Message): void {
  // A worker that exits meanwhile: its part is missing, the timeout says so.
  if (worker.isConnected()) worker.send(message);
}

/**
 * In a worker: hand this registry to the primary when it collects, and ask the primary
 * for the whole cluster's exposition.
 */
export class ClusterScrapeClient {
  private nextId = 0;
  private readonly pending = new Map<number, (message: Message) => void>();

  constructor(registry: Registry) {
    process.on('message', (message: Message) => {
      if (message?.beacon === COLLECT) {
        registry.getMetricsAsJSON().then(
          (metrics) =>
            process.send?.({ beacon: COLLECTED, id: message.id, metrics: encodeValues(metrics) }),
          (err: Error) => process.send?.({ beacon: COLLECTED, id: message.id, error: err.message }),
        );
      } else if (message?.beacon === SCRAPED) {
        this.pending.get(message.id!)?.(message);
      }
    });
  }

  /** The exposition of every worker together; rejects when the cluster cannot give it. */
  scrape(): Promise<string> {
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('the cluster primary did not answer in time'));
      }, SCRAPE_TIMEOUT_MS * 2);
      this.pending.set(id, (message) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (message.text !== undefined) resolve(message.text);
        else reject(new Error(message.error ?? 'no answer'));
      });
      process.send?.({ beacon: SCRAPE, id });
    });
  }
}
