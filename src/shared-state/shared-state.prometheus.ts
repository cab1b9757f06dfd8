import { Injectable, OnModuleInit } from '@nestjs/common';
import { ALL, ANY, PrometheusRegistry, SHARED, Series, perScrape } from '../common/prometheus';
import { PrometheusSettings } from '../prometheus/prometheus.settings';
import { StateSettings } from './state.settings';
import { SharedLogStatus } from './shared-log';
import { SharedState } from './shared-state';

/** Redis mode's series: whether this instance reads the shared logs, and what it did with them. */
@Injectable()
export class SharedStatePrometheus implements OnModuleInit {
  constructor(
    private readonly prometheus: PrometheusRegistry,
    private readonly shared: SharedState,
    private readonly promConfig: PrometheusSettings,
    private readonly config: StateSettings,
  ) {}

  onModuleInit(): void {
    if (!this.promConfig.PROMETHEUS_ENABLED) return;
    const p = this.prometheus;
    p.gauges(
      'beacon_shared_state_backend',
      'Where module state lives: 1 for the STATE_BACKEND in use.',
      ['backend'],
      () => [[{ backend: this.config.STATE_BACKEND }, 1]],
      SHARED,
    );
    if (!this.shared.logged) return;
    p.gauge(
      'beacon_shared_state_stale',
      '1 while Redis is unreachable and reads answer from local state (Beacon-Stale).',
      () => (this.shared.staleSince() === null ? 0 : 1),
      ANY,
    );
    const statuses = perScrape(() => this.shared.statuses());
    const perLog = (read: (s: SharedLogStatus) => number) => (): Series[] =>
      statuses().map((s) => [{ log: s.name }, read(s)]);
    p.gauges(
      'beacon_shared_log_connected',
      '1 while this instance tails the log.',
      ['log'],
      perLog((s) => (s.connected ? 1 : 0)),
      ALL,
    );
    p.gauges(
      'beacon_shared_log_write_refused',
      '1 while the disk (local) or Redis (redis mode: full, read-only) refuses writes to this log.',
      ['log'],
      perLog((s) => (s.writeError === null ? 0 : 1)),
      ANY,
    );
    p.gauges(
      'beacon_shared_log_whole_state',
      '0 while this instance waits for a re-seed after Redis lost the log (it is not ready).',
      ['log'],
      perLog((s) => (s.wholeState ? 1 : 0)),
      ALL,
    );
    const counters: [string, string, (s: SharedLogStatus) => number][] = [
      [
        'entries_applied',
        'Log entries folded into local state (replay included).',
        (s) => s.entriesApplied,
      ],
      ['ops_applied', 'Operations in those entries.', (s) => s.opsApplied],
      ['ops_appended', 'Operations this instance appended.', (s) => s.opsAppended],
      ['append_failures', 'Appends that failed (answered 503).', (s) => s.appendFailures],
      [
        'duplicates_skipped',
        'Entries seen a second time (a resent append) and skipped.',
        (s) => s.duplicatesSkipped,
      ],
      [
        'snapshots_written',
        'Snapshots this instance stored (then trimmed the log).',
        (s) => s.snapshotsWritten,
      ],
      [
        'snapshots_loaded',
        'Snapshot restores, at start or after falling behind a trim.',
        (s) => s.snapshotsLoaded,
      ],
      ['snapshot_failures', 'Snapshots that failed to store.', (s) => s.snapshotFailures],
      ['syncs', 'fdatasync calls on a local log.', (s) => s.syncs],
      [
        'damage',
        'Damaged parts a local log dropped at start (torn tails, bad checksums).',
        (s) => s.damage.length,
      ],
    ];
    for (const [name, help, read] of counters) {
      p.counters(`beacon_shared_log_${name}_total`, help, ['log'], perLog(read));
    }
  }
}
