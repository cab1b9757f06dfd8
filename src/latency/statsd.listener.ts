import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Socket } from 'node:dgram';
import { bindUdp, closeUdp } from '../infra/udp';
import { CoreSettings } from '../config/core.settings';
import { LatencySettings } from './latency.settings';
import { LatencyService } from './latency.service';
import { UNSUPPORTED_KINDS, UnsupportedKind, parseStatsd } from './statsd';

export interface StatsdStats {
  port: number | null;
  datagrams: number;
  samples: number;
  /** Valid StatsD that is not a timer, by kind (counter, gauge, set, event, serviceCheck). */
  unsupported: Record<UnsupportedKind, number>;
  /** Lines that are not StatsD. */
  malformed: number;
  /** Timers whose id (name and tags) exceeds a metric id's 200 characters. */
  nameTooLong: number;
  /** Samples the latency module refused (LATENCY_MAX_METRICS or sample limits). */
  refused: number;
}

/** StatsD timers over UDP (`STATSD_UDP_PORT`), recorded as latency samples. */
@Injectable()
export class StatsdListener implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('StatsD');
  private socket: Socket | null = null;
  private readonly counts = { datagrams: 0, samples: 0, malformed: 0, nameTooLong: 0, refused: 0 };
  private readonly unsupported: Record<UnsupportedKind, number> = {
    counter: 0,
    gauge: 0,
    set: 0,
    event: 0,
    serviceCheck: 0,
  };

  constructor(
    private readonly latency: LatencyService,
    private readonly coreConfig: CoreSettings,
    private readonly config: LatencySettings,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.STATSD_ENABLED || this.coreConfig.BEACON_WORKER_INDEX !== 0) return;
    const { STATSD_UDP_HOST: host, STATSD_UDP_PORT: port } = this.config;
    const rcvbuf = this.coreConfig.METRICS_UDP_RCVBUF;
    this.socket = await bindUdp(
      host,
      port,
      rcvbuf,
      (msg) => this.receive(msg),
      this.logger,
      'STATSD_UDP_PORT',
    );
    this.logger.log(`StatsD timers on UDP ${host}:${this.port}`);
  }

  get port(): number | null {
    return this.socket ? this.socket.address().port : null;
  }

  receive(msg: Buffer): void {
    this.counts.datagrams++;
    const batch = parseStatsd(msg.toString('utf8'));
    for (const kind of UNSUPPORTED_KINDS) this.unsupported[kind] += batch.unsupported[kind];
    this.counts.malformed += batch.malformed;
    this.counts.nameTooLong += batch.nameTooLong;
    for (const [name, samples] of batch.timers) {
      this.latency.record(name, samples).then(
        () => (this.counts.samples += samples.length),
        () => (this.counts.refused += samples.length),
      );
    }
  }

  stats(): StatsdStats {
    return { port: this.port, ...this.counts, unsupported: { ...this.unsupported } };
  }

  async beforeApplicationShutdown(): Promise<void> {
    await closeUdp(this.socket);
    this.socket = null;
  }
}
