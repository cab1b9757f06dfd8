import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EventSourceMessage, createParser } from 'eventsource-parser';
import { Backoff } from '../common/backoff';
import { Clock } from '../common/clock';
import { errorText } from '../common/error-text';
import { StreamSettings } from './stream-analysis.settings';
import { AnalysisService } from './analysis.service';
import { StreamLeadership } from './stream-leadership';
import { parsePost } from './post';

export type ConnectionState =
  'disabled' | 'connecting' | 'connected' | 'waiting' | 'following' | 'stopped';

export interface ConsumerStatus {
  url: string;
  state: ConnectionState;
  /** This instance holds the upstream connection (always, in memory mode, when enabled). */
  leader: boolean;
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
 * (idle watchdog) with capped exponential backoff and equal jitter. Events larger than
 * STREAM_MAX_EVENT_BYTES end the connection instead of growing a buffer.
 */
@Injectable()
export class StreamConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('StreamConsumer');
  private stopped = false;
  private abort: AbortController | null = null;
  /** Aborted at shutdown: ends a backoff wait at once. */
  private readonly stopping = new AbortController();
  /** Aborted when this instance stops leading: ends a backoff wait at once. */
  private following = new AbortController();
  private readonly backoff: Backoff;
  private lastEventId: string | undefined;
  private serverRetryMs: number | undefined;
  private running: Promise<void> | null = null;
  private readonly st: ConsumerStatus;
  /** Epoch ms of the last event; formatted only when status is asked for, not per event. */
  private lastEventMs: number | null = null;
  private connectedSinceMs: number | null = null;
  private reporter: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: StreamSettings,
    private readonly analysis: AnalysisService,
    private readonly clock: Clock,
    private readonly leadership: StreamLeadership,
  ) {
    this.backoff = new Backoff(BACKOFF_BASE_MS, config.STREAM_BACKOFF_MAX_MS);
    this.st = {
      url: config.STREAM_URL,
      state: config.STREAM_ENABLED ? 'connecting' : 'disabled',
      leader: false,
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
    return {
      ...this.st,
      leader: this.config.STREAM_ENABLED && this.leadership.isLeader,
      connectedSince: iso(this.connectedSinceMs),
      lastEventAt: iso(this.lastEventMs),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.STREAM_ENABLED) return;
    if (!this.leadership.shared) {
      // Local state: resume after the newest post the log kept across the restart.
      this.lastEventId = this.analysis.lastEventId();
      if (this.lastEventId !== undefined) {
        this.logger.log(`resuming the upstream after event ${this.lastEventId}`);
      }
      this.running = this.run();
      return;
    }
    // Redis mode: only the elected instance consumes; the others fold what it appends.
    this.st.state = 'following';
    this.leadership.onChange((leader) => void (leader ? this.lead() : this.follow()));
    await this.leadership.start();
  }

  /**
   * In this order: stop consuming, let the store append what it still has (while the lock
   * is still ours, so the fence takes it), then give the lock up for the next leader.
   */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.reporter) clearInterval(this.reporter);
    this.abort?.abort(new Error('shutting down'));
    this.stopping.abort();
    this.following.abort();
    await this.running;
    this.st.state = 'stopped';
    await this.analysis.close();
    await this.leadership.stop();
  }

  /** Won the lock: resume the upstream after the last event the previous leader appended. */
  private async lead(): Promise<void> {
    try {
      await this.running;
      if (this.stopped || !this.leadership.isLeader) return;
      this.following = new AbortController();
      this.lastEventId = (await this.leadership.lastEventId()) ?? this.lastEventId;
    } catch (err) {
      // Redis failed between winning the lock and reading where to resume: let it go, so
      // this or another instance takes it again once Redis answers.
      this.logger.warn(`could not take over the upstream connection: ${errorText(err)}`);
      this.leadership.lost();
      return;
    }
    this.logger.log(
      `this instance now holds the upstream connection` +
        (this.lastEventId === undefined ? '' : ` (resuming after event ${this.lastEventId})`),
    );
    this.running = this.run();
    this.report();
  }

  /** The leader tells every instance how its connection is, now and every third of the TTL. */
  private report(): void {
    const send = () =>
      void this.leadership
        .publish({ connected: this.st.state === 'connected', lastError: this.st.lastError })
        .catch(() => undefined);
    send();
    if (this.reporter) clearInterval(this.reporter);
    // Not a scheduled job: it reports this connection's state while it is the leader's, and stops with it.
    this.reporter = setInterval(
      () => {
        if (!this.leadership.isLeader) {
          clearInterval(this.reporter!);
          this.reporter = null;
          return;
        }
        send();
      },
      Math.max(100, Math.floor(this.config.STREAM_LEADER_TTL_MS / 3)),
    );
    this.reporter.unref();
  }

  /** Lost the lock: drop the upstream connection at once; the new leader has it. */
  private async follow(): Promise<void> {
    this.abort?.abort(new Error('another instance holds the upstream connection now'));
    this.following.abort();
    await this.running;
    if (!this.stopped) this.st.state = 'following';
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.leadership.isLeader) {
      const gotEvents = await this.connectOnce();
      if (this.stopped || !this.leadership.isLeader) break;
      this.st.reconnects++;
      // A connection that delivered events was a success: back off from the base again.
      if (gotEvents) this.backoff.reset();
      this.st.state = 'waiting';
      await this.clock.sleep(
        this.backoff.fail(this.serverRetryMs),
        AbortSignal.any([this.stopping.signal, this.following.signal]),
      );
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
        () => ac.abort(new Error(`no data for ${this.config.STREAM_IDLE_TIMEOUT_MS} ms`)),
        this.config.STREAM_IDLE_TIMEOUT_MS,
      );
    };
    try {
      arm();
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (this.lastEventId !== undefined) headers['last-event-id'] = this.lastEventId;
      const res = await fetch(this.config.STREAM_URL, { headers, signal: ac.signal });
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        throw new Error(`upstream answered HTTP ${res.status}`);
      }
      this.st.state = 'connected';
      this.connectedSinceMs = this.clock.now();
      const parser = createParser({
        maxBufferSize: this.config.STREAM_MAX_EVENT_BYTES,
        onEvent: (e) => {
          gotEvents = true;
          this.onEvent(e);
        },
        onRetry: (ms) => (this.serverRetryMs = ms),
        onError: (err) => {
          if (err.type === 'max-buffer-size-exceeded') {
            this.st.parseErrors++;
            ac.abort(new Error(`an event exceeded ${this.config.STREAM_MAX_EVENT_BYTES} bytes`));
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
      const message = errorText(ac.signal.aborted ? ac.signal.reason : err);
      if (!this.stopped && this.leadership.isLeader) {
        if (this.st.lastError !== message) this.logger.warn(`stream: ${message}; reconnecting`);
        this.st.lastError = message;
      }
    } finally {
      clearTimeout(watchdog);
      ac.abort();
      this.connectedSinceMs = null;
    }
    return gotEvents;
  }

  private onEvent(e: EventSourceMessage): void {
    this.st.eventsReceived++;
    this.lastEventMs = this.clock.now();
    if (e.id !== undefined) this.lastEventId = e.id;
    // The parser caps what it buffers across chunks; an event that arrived whole is
    // capped here.
    if (e.data.length > this.config.STREAM_MAX_EVENT_BYTES) {
      this.st.parseErrors++;
      return;
    }
    const parsed = parsePost(e.data);
    if (!parsed.ok) {
      this.st.parseErrors++;
      return;
    }
    this.st.postsReceived++;
    void this.analysis.ingest(parsed.post, e.id);
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
