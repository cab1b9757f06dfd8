import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EventSourceMessage, createParser } from 'eventsource-parser';
import { Environment } from '../config/environment';
import { AnalysisService } from './analysis.service';
import { parsePost } from './post';

export type ConnectionState = 'disabled' | 'connecting' | 'connected' | 'waiting' | 'stopped';

export interface ConsumerStatus {
  url: string;
  state: ConnectionState;
  connectedSince: string | null;
  lastEventAt: string | null;
  eventsReceived: number;
  postsReceived: number;
  parseErrors: number;
  reconnects: number;
  lastError: string | null;
}

const BACKOFF_BASE_MS = 250;

/**
 * The one upstream connection, for the whole process: reads the SSE stream with a
 * spec-following parser (multi-line data, comments, id, retry), sends Last-Event-ID on
 * reconnect, and reconnects after errors, non-200 answers, end of stream and silence
 * (idle watchdog) with capped exponential backoff and full jitter. Events larger than
 * STREAM_MAX_EVENT_BYTES end the connection instead of growing a buffer.
 */
@Injectable()
export class StreamConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('StreamConsumer');
  private stopped = false;
  private abort: AbortController | null = null;
  private wake: (() => void) | null = null;
  private lastEventId: string | undefined;
  private serverRetryMs: number | undefined;
  private running: Promise<void> | null = null;
  private readonly st: ConsumerStatus;
  /** Epoch ms of the last event; formatted only when status is asked for, not per event. */
  private lastEventMs: number | null = null;

  constructor(
    private readonly env: Environment,
    private readonly analysis: AnalysisService,
  ) {
    this.st = {
      url: env.STREAM_URL,
      state: env.STREAM_ENABLED ? 'connecting' : 'disabled',
      connectedSince: null,
      lastEventAt: null,
      eventsReceived: 0,
      postsReceived: 0,
      parseErrors: 0,
      reconnects: 0,
      lastError: null,
    };
  }

  status(): ConsumerStatus {
    const at = this.lastEventMs;
    return { ...this.st, lastEventAt: at === null ? null : new Date(at).toISOString() };
  }

  onApplicationBootstrap(): void {
    if (this.env.STREAM_ENABLED) this.running = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.abort?.abort(new Error('shutting down'));
    this.wake?.();
    await this.running;
    this.st.state = 'stopped';
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const gotEvents = await this.connectOnce();
      if (this.stopped) break;
      this.st.reconnects++;
      failures = gotEvents ? 0 : failures + 1;
      const cap = Math.min(
        this.env.STREAM_BACKOFF_MAX_MS,
        (this.serverRetryMs ?? BACKOFF_BASE_MS) * 2 ** Math.min(failures, 20),
      );
      const delay = cap / 2 + Math.random() * (cap / 2);
      this.st.state = 'waiting';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** One connection, until it ends for any reason. True if any event arrived on it. */
  private async connectOnce(): Promise<boolean> {
    const ac = new AbortController();
    this.abort = ac;
    this.st.state = 'connecting';
    let gotEvents = false;
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(
        () => ac.abort(new Error(`no data for ${this.env.STREAM_IDLE_TIMEOUT_MS} ms`)),
        this.env.STREAM_IDLE_TIMEOUT_MS,
      );
    };
    try {
      arm();
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (this.lastEventId !== undefined) headers['last-event-id'] = this.lastEventId;
      const res = await fetch(this.env.STREAM_URL, { headers, signal: ac.signal });
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        throw new Error(`upstream answered HTTP ${res.status}`);
      }
      this.st.state = 'connected';
      this.st.connectedSince = new Date().toISOString();
      const parser = createParser({
        maxBufferSize: this.env.STREAM_MAX_EVENT_BYTES,
        onEvent: (e) => {
          gotEvents = true;
          this.onEvent(e);
        },
        onRetry: (ms) => (this.serverRetryMs = ms),
        onError: (err) => {
          if (err.type === 'max-buffer-size-exceeded') {
            this.st.parseErrors++;
            ac.abort(new Error(`an event exceeded ${this.env.STREAM_MAX_EVENT_BYTES} bytes`));
          }
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        arm();
        parser.feed(decoder.decode(chunk, { stream: true }));
      }
      throw new Error('upstream ended the stream');
    } catch (err) {
      const reason: unknown = ac.signal.aborted ? ac.signal.reason : err;
      const message =
        typeof reason === 'object' && reason !== null && 'message' in reason
          ? String(reason.message)
          : String(reason);
      if (!this.stopped) {
        if (this.st.lastError !== message) this.logger.warn(`stream: ${message}; reconnecting`);
        this.st.lastError = message;
      }
    } finally {
      clearTimeout(watchdog);
      ac.abort();
      this.st.connectedSince = null;
    }
    return gotEvents;
  }

  private onEvent(e: EventSourceMessage): void {
    this.st.eventsReceived++;
    this.lastEventMs = this.analysis.now();
    if (e.id !== undefined) this.lastEventId = e.id;
    // The parser caps what it buffers across chunks; an event that arrived whole is
    // capped here.
    if (e.data.length > this.env.STREAM_MAX_EVENT_BYTES) {
      this.st.parseErrors++;
      return;
    }
    const parsed = parsePost(e.data);
    if (!parsed.ok) {
      this.st.parseErrors++;
      return;
    }
    this.st.postsReceived++;
    void this.analysis.ingest(parsed.post);
  }
}
