import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createSocket, RemoteInfo, Socket } from 'node:dgram';
import { Clock } from '../common/clock';
import { bindUdp, closeUdp } from '../infra/udp';
import { ApiMetricsSettings } from './api-metrics.settings';
import { CoreSettings } from '../config/core.settings';
import { ApiMetricsService } from './api-metrics.service';
import { DatagramType, decodeDatagram, encodeHeader, MalformedReason } from './metrics-datagram';
import { SequenceStats, SequenceTracker } from './sequence-tracker';

const UPSTREAM = 'upstream';

export interface UdpIngestStats {
  port: number | null;
  datagrams: number;
  records: number;
  malformed: Partial<Record<MalformedReason, number>>;
  sequence: SequenceStats;
  upstream: {
    address: string;
    initsSent: number;
    heartbeatsSent: number;
    lastHeardAt: string | null;
  } | null;
}

/**
 * Receives the seed's binary datagrams: on its own port (senders push to us) and, with
 * METRICS_UPSTREAM, from a seed-style server we dial (ConnectionInit, then HeartBeats).
 * Translates only; the service decides what to keep.
 */
@Injectable()
export class MetricsUdpListener implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('MetricsUdp');
  private socket: Socket | null = null;
  private upstream: Socket | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly tracker = new SequenceTracker();
  private readonly malformed = new Map<MalformedReason, number>();
  private datagrams = 0;
  private records = 0;
  private upstreamSeq = 0;
  private initsSent = 0;
  private heartbeatsSent = 0;
  private lastHeardAt: number | null = null;

  constructor(
    private readonly service: ApiMetricsService,
    private readonly config: ApiMetricsSettings,
    private readonly coreConfig: CoreSettings,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    // In a cluster (WORKERS) worker 0 alone takes datagrams: one sender, one tracker.
    if (!this.config.API_METRICS_ENABLED || this.coreConfig.BEACON_WORKER_INDEX !== 0) return;
    const { METRICS_UDP_HOST: host, METRICS_UDP_PORT: port } = this.config;
    const rcvbuf = this.coreConfig.METRICS_UDP_RCVBUF;
    this.socket = await bindUdp(
      host,
      port,
      rcvbuf,
      (msg, from) => this.receive(msg, from),
      this.logger,
      'METRICS_UDP_PORT',
    );
    this.logger.log(`api-metrics UDP listening on ${host}:${this.port}`);
    if (this.config.metricsUpstream) this.dialUpstream(this.config.metricsUpstream);
  }

  /** The bound port (METRICS_UDP_PORT=0 picks one). */
  get port(): number | null {
    return this.socket ? this.socket.address().port : null;
  }

  /** Handles one datagram; public so the bench can measure decoding without a socket. */
  receive(msg: Buffer, from: RemoteInfo | typeof UPSTREAM): void {
    this.datagrams++;
    const d = decodeDatagram(msg, this.clock.now());
    if (d.type === 'malformed') {
      this.malformed.set(d.reason, (this.malformed.get(d.reason) ?? 0) + 1);
      return;
    }
    const sender = from === UPSTREAM ? UPSTREAM : `${from.address}:${from.port}`;
    if (from === UPSTREAM) this.lastHeardAt = this.clock.now();
    if (d.type === DatagramType.ConnectionInit) {
      this.tracker.restart(sender, d.sequence);
      return;
    }
    if (this.tracker.observe(sender, d.sequence) === 'duplicate') return;
    if (d.type === DatagramType.MetricsData) {
      this.records++;
      this.service.ingest(d.record);
    }
  }

  stats(): UdpIngestStats {
    return {
      port: this.port,
      datagrams: this.datagrams,
      records: this.records,
      malformed: Object.fromEntries(this.malformed),
      sequence: this.tracker.snapshot(),
      upstream: this.config.METRICS_UPSTREAM
        ? {
            address: this.config.METRICS_UPSTREAM,
            initsSent: this.initsSent,
            heartbeatsSent: this.heartbeatsSent,
            lastHeardAt:
              this.lastHeardAt === null ? null : new Date(this.lastHeardAt).toISOString(),
          }
        : null,
    };
  }

  /** Stops intake before the final flush (which runs in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await Promise.all([closeUdp(this.socket), closeUdp(this.upstream)]);
    this.socket = null;
    this.upstream = null;
  }

  private dialUpstream({ host, port }: { host: string; port: number }): void {
    const address = this.config.METRICS_UPSTREAM;
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.upstream = socket;
    // A connected UDP socket surfaces ICMP "port unreachable" as errors: log, keep trying.
    socket.on('error', (err) => this.logger.warn(`upstream ${address}: ${err.message}`));
    socket.on('message', (msg) => this.receive(msg, UPSTREAM));
    socket.connect(port, host, () => {
      this.logger.log(`api-metrics dialling upstream ${address}`);
      this.send(DatagramType.ConnectionInit);
      const everyMs = this.config.METRICS_HEARTBEAT_S * 1000;
      // Not a scheduled job: the heartbeat belongs to one upstream connection and stops with it.
      this.heartbeat = setInterval(() => {
        // Silent for three heartbeats: the server may have restarted and forgotten us.
        const silent = this.clock.now() - (this.lastHeardAt ?? 0) > 3 * everyMs;
        this.send(silent ? DatagramType.ConnectionInit : DatagramType.HeartBeat);
      }, everyMs);
      this.heartbeat.unref();
    });
  }

  private send(type: DatagramType.ConnectionInit | DatagramType.HeartBeat): void {
    if (!this.upstream) return;
    if (type === DatagramType.ConnectionInit) this.initsSent++;
    else this.heartbeatsSent++;
    const header = encodeHeader(type, {
      sequence: this.upstreamSeq++,
      timestamp: Math.floor(this.clock.now() / 1000),
    });
    this.upstream.send(header, (err) => {
      if (err) this.logger.warn(`upstream send failed: ${err.message}`);
    });
  }
}
