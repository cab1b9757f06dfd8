import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiMetricsSettings } from '../api-metrics/api-metrics.settings';
import { HttpSettings } from '../http/http.settings';
import { LatencySettings } from '../latency/latency.settings';
import { RequestCounterSettings } from '../request-counter/request-counter.settings';
import { TelemetrySettings } from '../telemetry/telemetry.settings';
import { CoreSettings } from './core.settings';
import { SETTINGS_GROUPS, loadSettings, settingsOf } from './load-settings';
import { InvalidConfigurationError, variablesOf } from './settings';

describe('loadSettings', () => {
  it('applies defaults when nothing is set', () => {
    const core = settingsOf(CoreSettings);
    expect(core.PORT).toBe(8080);
    expect(core.HOST).toBe('127.0.0.1');
    expect(core.DATA_DIR).toBe('./data');
    expect(settingsOf(LatencySettings).LATENCY_WINDOW_MS).toBe(60_000);
    expect(settingsOf(HttpSettings).LOG_REQUESTS).toBe(false);
  });

  it('parses strings into typed values and ignores unrelated variables', () => {
    const loaded = loadSettings({ PORT: '9000', JOBS_ENABLED: 'false', PATH: '/usr/bin' });
    expect(loaded.get(CoreSettings).PORT).toBe(9000);
    expect(loaded.get(CoreSettings).JOBS_ENABLED).toBe(false);
    for (const [, group] of loaded.entries()) expect(group).not.toHaveProperty('PATH');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['JOBS_ENABLED', 'maybe'],
    ['BODY_LIMIT', 'lots'],
    ['LATENCY_MAX_SAMPLES', '0'],
    ['COUNTER_WINDOW_SECONDS', '0'],
    ['COUNTER_WINDOW_SECONDS', '3601'],
    ['COUNTER_FLUSH_MS', '5'],
    ['COUNTER_ENABLED', 'perhaps'],
    ['HTTP_ADAPTER', 'koa'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadSettings({ [name]: value })).toThrow(InvalidConfigurationError);
    expect(() => loadSettings({ [name]: value })).toThrow(name);
  });

  it('reports every bad variable of every group in one line', () => {
    expect(() => loadSettings({ PORT: 'abc', ROCKETS_MAX_CHANNELS: '0', WS_TICK_MS: 'x' })).toThrow(
      /^Invalid configuration: .*PORT.* \| .*ROCKETS_MAX_CHANNELS.* \| .*WS_TICK_MS[^\n]*$/,
    );
  });

  it('takes API keys as a list and rejects a weak one without echoing it', () => {
    const http = settingsOf(HttpSettings, {
      API_KEYS: ' k-0123456789abcdef , k-fedcba9876543210 ',
    });
    expect(http.apiKeys).toEqual(['k-0123456789abcdef', 'k-fedcba9876543210']);
    expect(settingsOf(HttpSettings).apiKeys).toEqual([]);
    for (const weak of ['short', 'has a space 0123456789', 'k-0123456789abcdef,tiny']) {
      let message = '';
      try {
        loadSettings({ API_KEYS: weak });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/API_KEYS entry \d must be 16–256 printable characters/);
      for (const part of weak.split(',')) expect(message).not.toContain(part);
    }
    expect(() => loadSettings({ API_KEYS_FOR_READS: 'true' })).toThrow(/needs API_KEYS/);
  });

  it('rejects a default window larger than the allowed maximum', () => {
    expect(() =>
      loadSettings({ LATENCY_WINDOW_MS: '5000', LATENCY_MAX_WINDOW_MS: '1000' }),
    ).toThrow('LATENCY_WINDOW_MS');
  });

  it('rejects a flush interval as long as the counter window', () => {
    expect(() => loadSettings({ COUNTER_WINDOW_SECONDS: '1', COUNTER_FLUSH_MS: '1000' })).toThrow(
      'COUNTER_FLUSH_MS must be shorter than COUNTER_WINDOW_SECONDS',
    );
    expect(
      settingsOf(RequestCounterSettings, { COUNTER_WINDOW_SECONDS: '1', COUNTER_FLUSH_MS: '999' }),
    ).toMatchObject({ COUNTER_FLUSH_MS: 999 });
  });

  it('checks rules that span groups: several workers need the shared state', () => {
    expect(() => loadSettings({ WORKERS: '2' })).toThrow('WORKERS > 1 needs STATE_BACKEND=redis');
    expect(loadSettings({ WORKERS: '2', STATE_BACKEND: 'redis' }).get(CoreSettings).WORKERS).toBe(
      2,
    );
    // ALLOWED_HOSTS (the edge) defaults from HOST (the process).
    expect(settingsOf(HttpSettings).allowedHosts).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(settingsOf(HttpSettings, { HOST: '0.0.0.0' }).allowedHosts).toBeNull();
  });

  it('derives parsed settings once, so services never parse them again', () => {
    const loaded = loadSettings({
      API_METRICS_RETENTION: '36h',
      CORS_ORIGINS: ' http://a.test , ,http://b.test',
      METRICS_UPSTREAM: '[::1]:5001',
    });
    expect(loaded.get(ApiMetricsSettings).apiMetricsRetentionMs).toBe(36 * 3_600_000);
    expect(loaded.get(HttpSettings).corsOrigins).toEqual(['http://a.test', 'http://b.test']);
    expect(loaded.get(ApiMetricsSettings).metricsUpstream).toEqual({ host: '::1', port: 5001 });
    const defaults = loadSettings({});
    expect(defaults.get(ApiMetricsSettings).apiMetricsRetentionMs).toBe(7 * 86_400_000);
    expect(defaults.get(HttpSettings).corsOrigins).toEqual([]);
    expect(defaults.get(ApiMetricsSettings).metricsUpstream).toBeNull();
    expect(defaults.get(ApiMetricsSettings).compat002Origins).toEqual([
      'http://localhost:3000',
      'http://127.0.0.1:3000',
    ]);
    expect(() => loadSettings({ METRICS_UPSTREAM: 'host:70000' })).toThrow('METRICS_UPSTREAM');
  });

  it('turns tracing on only with an OTLP endpoint, and takes only an http(s) URL for one', () => {
    expect(settingsOf(TelemetrySettings)).toMatchObject({
      tracing: false,
      OTEL_SERVICE_NAME: 'beacon',
    });
    for (const url of [
      'http://127.0.0.1:4318',
      'https://otel_collector:4318/',
      'http://[::1]:4318',
    ]) {
      expect(settingsOf(TelemetrySettings, { OTEL_EXPORTER_OTLP_ENDPOINT: url }).tracing).toBe(
        true,
      );
    }
    expect(
      settingsOf(TelemetrySettings, {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
      }).tracing,
    ).toBe(true);
    for (const [name, value] of [
      ['OTEL_EXPORTER_OTLP_ENDPOINT', '127.0.0.1:4318'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://collector:4317'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url'],
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'http://'],
      ['OTEL_SERVICE_NAME', ''],
    ]) {
      expect(() => loadSettings({ [name]: value })).toThrow(name);
    }
  });

  it('does not read derived settings from the environment', () => {
    const loaded = loadSettings({ corsOrigins: 'x', apiMetricsRetentionMs: '1' });
    expect(loaded.get(HttpSettings).corsOrigins).toEqual([]);
    expect(loaded.get(ApiMetricsSettings).apiMetricsRetentionMs).toBe(7 * 86_400_000);
  });

  it('gives every variable to exactly one group', () => {
    const all = SETTINGS_GROUPS.flatMap((cls) => variablesOf(cls));
    expect(all.filter((name, i) => all.indexOf(name) !== i)).toEqual([]);
    expect(all.length).toBeGreaterThan(70);
  });
});

describe('docs/configuration.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');

  it.each(SETTINGS_GROUPS.map((cls) => [cls.section, cls] as const))(
    'lists exactly the %s settings under their heading, in the order of the class',
    (section, cls) => {
      const body = doc.split(`\n## ${section}\n`)[1]?.split('\n## ')[0];
      expect(body).toBeDefined();
      const rows = [...body.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]);
      // BEACON_WORKER_INDEX is set by the cluster's primary; the doc names it in prose.
      const documented = variablesOf(cls).filter((v) => v !== 'BEACON_WORKER_INDEX');
      expect(rows).toEqual(documented);
    },
  );

  it('names every setting somewhere, and no table row names one that does not exist', () => {
    const settings = SETTINGS_GROUPS.flatMap((cls) => variablesOf(cls));
    expect(settings.filter((k) => !doc.includes(`\`${k}\``))).toEqual([]);
    // The test suites' and the bench's own variables are documented in sections of their own.
    const main = doc.split('## For the test suites')[0];
    const rows = [...main.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]);
    expect(rows.filter((r) => !settings.includes(r))).toEqual([]);
  });
});
