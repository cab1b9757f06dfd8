import { Injectable, OnModuleInit } from '@nestjs/common';
import { PrometheusRegistry, SHARED, perScrape } from '../common/prometheus';
import { PrometheusSettings } from '../prometheus/prometheus.settings';
import { RocketsService } from './rockets.service';

/** The rockets module's series: what became of every message, and what is held. */
@Injectable()
export class RocketsPrometheus implements OnModuleInit {
  constructor(
    private readonly prometheus: PrometheusRegistry,
    private readonly rockets: RocketsService,
    private readonly config: PrometheusSettings,
  ) {}

  onModuleInit(): void {
    if (!this.config.PROMETHEUS_ENABLED) return;
    const p = this.prometheus;
    const stats = perScrape(() => this.rockets.stats());
    // Every figure is the shared state's (each instance folds every message): in a cluster
    // (WORKERS) the same in every worker, so never summed.
    p.gauge('beacon_rockets', 'Rockets tracked.', async () => (await stats()).channels, SHARED);
    p.gauge(
      'beacon_rockets_buffered_messages',
      'Out-of-order messages held until the ones before them arrive.',
      async () => (await stats()).buffered,
      SHARED,
    );
    // Separate counters, not one with an outcome label: they overlap (a conflicting
    // duplicate is also a duplicate; one message can apply several buffered ones).
    const counters: [string, string, (s: Awaited<ReturnType<typeof stats>>) => number][] = [
      ['applied', 'Messages applied to their rocket, in order.', (s) => s.applied],
      ['duplicates', 'Messages whose number was seen before.', (s) => s.duplicates],
      [
        'conflicting_duplicates',
        'Duplicates whose content differs from the applied message (logged).',
        (s) => s.conflictingDuplicates,
      ],
      ['ignored', 'Messages for a rocket that had exploded.', (s) => s.ignored],
      [
        'discarded',
        'Buffered messages dropped: their rocket exploded first, was deleted or expired.',
        (s) => s.discarded,
      ],
      ['refused', 'Messages answered 503 because a cap was full.', (s) => s.refusedForCapacity],
    ];
    for (const [name, help, read] of counters) {
      p.counter(
        `beacon_rockets_messages_${name}_total`,
        help,
        async () => read(await stats()),
        SHARED,
      );
    }
    p.counter(
      'beacon_rockets_expired_total',
      'Rockets dropped after ROCKETS_PENDING_EXPIRY_MS without launching or receiving anything.',
      async () => (await stats()).expiredPending,
      SHARED,
    );
    p.counter(
      'beacon_rockets_deleted_total',
      'Rockets removed by DELETE /rockets/{id}.',
      async () => (await stats()).deleted,
      SHARED,
    );
  }
}
