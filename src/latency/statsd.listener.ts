import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Socket } from 'node:dgram';
import { bindUdp, closeUdp } from '../common/udp';
import { Environment } from '../config/environment';
import { LatencyService } from './latency.service';
import { parseStatsd } from './statsd';

export interface StatsdStats {
  port: number | null;
  datagrams: number;
  samples: number;
  unsupported: number;
  malformed: number;
  /** Samples the latency module refused (LATENCY_MAX_METRICS or sample limits). */
  refused: number;
}

/** StatsD timers over UDP (`STATSD_UDP_PORT`), recorded as latency samples. */
@Injectable()
export class StatsdListener implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('StatsD');
  private socket: Socket | null = null;
  private readonly counts = { datagrams: 0, samples: 0, unsupported: 0, malformed: 0, refused: 0 };

  constructor(
    private readonly latency: LatencyService,
    private readonly env: Environment,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.env.STATSD_ENABLED || this.env.BEACON_WORKER_INDEX !== 0) return;
    const { STATSD_UDP_HOST: host, STATSD_UDP_PORT: port, METRICS_UDP_RCVBUF: rcvbuf } = this.env;
    this.socket = await bindUdp(host, port, rcvbuf, (msg) => this.receive(msg), this.logger);
    this.logger.log(`StatsD timers on UDP ${host}:${this.port}`);
  }

  get port(): number | null {
    return this.socket ? this.socket.address().port : null;
  }

  receive(msg: Buffer): void {
    this.counts.datagrams++;
    const batch = parseStatsd(msg.toString('utf8'));
    this.counts.unsupported += batch.unsupported;
    this.counts.malformed += batch.malformed;
    for (const [name, samples] of batch.timers) {
      this.latency.record(name, samples).then(
        () => (this.counts.samples += samples.length),
        () => (this.counts.refused += samples.length),
      );
    }
  }

  stats(): StatsdStats {
    return { port: this.port, ...this.counts };
  }

  async beforeApplicationShutdown(): Promise<void> {
    await closeUdp(this.socket);
    this.socket = null;
  }
}
