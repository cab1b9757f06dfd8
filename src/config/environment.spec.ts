import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Environment, InvalidEnvironmentError, loadEnvironment } from './environment';

describe('loadEnvironment', () => {
  it('applies defaults when nothing is set', () => {
    const env = loadEnvironment({});
    expect(env.PORT).toBe(8080);
    expect(env.HOST).toBe('127.0.0.1');
    expect(env.DATA_DIR).toBe('./data');
    expect(env.LATENCY_WINDOW_MS).toBe(60_000);
    expect(env.LOG_REQUESTS).toBe(false);
  });

  it('parses strings into typed values and ignores unrelated variables', () => {
    const env = loadEnvironment({ PORT: '9000', JOBS_ENABLED: 'false', PATH: '/usr/bin' });
    expect(env.PORT).toBe(9000);
    expect(env.JOBS_ENABLED).toBe(false);
    expect(env).not.toHaveProperty('PATH');
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
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadEnvironment({ [name]: value })).toThrow(InvalidEnvironmentError);
    expect(() => loadEnvironment({ [name]: value })).toThrow(name);
  });

  it('takes API keys as a list and rejects a weak one without echoing it', () => {
    const env = loadEnvironment({ API_KEYS: ' k-0123456789abcdef , k-fedcba9876543210 ' });
    expect(env.apiKeys).toEqual(['k-0123456789abcdef', 'k-fedcba9876543210']);
    expect(loadEnvironment({}).apiKeys).toEqual([]);
    for (const weak of ['short', 'has a space 0123456789', 'k-0123456789abcdef,tiny']) {
      let message = '';
      try {
        loadEnvironment({ API_KEYS: weak });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/API_KEYS entry \d must be 16–256 printable characters/);
      for (const part of weak.split(',')) expect(message).not.toContain(part);
    }
    expect(() => loadEnvironment({ API_KEYS_FOR_READS: 'true' })).toThrow(/needs API_KEYS/);
  });

  it('rejects a default window larger than the allowed maximum', () => {
    expect(() =>
      loadEnvironment({ LATENCY_WINDOW_MS: '5000', LATENCY_MAX_WINDOW_MS: '1000' }),
    ).toThrow('LATENCY_WINDOW_MS');
  });

  it('rejects a flush interval as long as the counter window', () => {
    expect(() =>
      loadEnvironment({ COUNTER_WINDOW_SECONDS: '1', COUNTER_FLUSH_MS: '1000' }),
    ).toThrow('COUNTER_FLUSH_MS must be shorter than COUNTER_WINDOW_SECONDS');
    expect(loadEnvironment({ COUNTER_WINDOW_SECONDS: '1', COUNTER_FLUSH_MS: '999' })).toMatchObject(
      {
        COUNTER_FLUSH_MS: 999,
      },
    );
  });

  it('derives parsed settings once, so services never parse them again', () => {
    const env = loadEnvironment({
      API_METRICS_RETENTION: '36h',
      CORS_ORIGINS: ' http://a.test , ,http://b.test',
      METRICS_UPSTREAM: '[::1]:5001',
    });
    expect(env.apiMetricsRetentionMs).toBe(36 * 3_600_000);
    expect(env.corsOrigins).toEqual(['http://a.test', 'http://b.test']);
    expect(env.metricsUpstream).toEqual({ host: '::1', port: 5001 });
    const defaults = loadEnvironment({});
    expect(defaults.apiMetricsRetentionMs).toBe(7 * 86_400_000);
    expect(defaults.corsOrigins).toEqual([]);
    expect(defaults.metricsUpstream).toBeNull();
    expect(() => loadEnvironment({ METRICS_UPSTREAM: 'host:70000' })).toThrow('METRICS_UPSTREAM');
  });

  it('does not read derived settings from the environment', () => {
    expect(loadEnvironment({ corsOrigins: 'x', apiMetricsRetentionMs: '1' })).toMatchObject({
      corsOrigins: [],
      apiMetricsRetentionMs: 7 * 86_400_000,
    });
  });
});

describe('docs/configuration.md', () => {
  it('documents every setting Environment reads, and none it does not', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
    const settings = Object.keys(new Environment()).filter((k) => /^[A-Z][A-Z0-9_]+$/.test(k));
    const missing = settings.filter((k) => !doc.includes(`\`${k}\``));
    expect(missing).toEqual([]);
    // Every row of the settings tables names a real setting (the test suites' and the
    // bench's own variables are documented in sections of their own).
    const main = doc.split('## For the test suites')[0];
    const rows = [...main.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]);
    expect(rows.filter((r) => !settings.includes(r))).toEqual([]);
  });
});
