import { SpecViolation, checkAgainstSpec } from './client/spec-check';

/** The checker guards every other e2e test, so it must itself be shown to fail. */
describe('checkAgainstSpec', () => {
  const url = 'http://127.0.0.1:1/metrics/a';
  const json = 'application/json; charset=utf-8';
  const valid = {
    MetricID: 'a',
    Window: 1,
    MaxSamples: 1,
    Count: 0,
    P50: null,
    P95: null,
    P99: null,
    Truncated: false,
  };

  it('accepts a body that matches the spec', () => {
    expect(() => checkAgainstSpec('GET', url, 200, json, JSON.stringify(valid))).not.toThrow();
  });

  it('rejects an undocumented field', () => {
    const body = JSON.stringify({ ...valid, Secret: 1 });
    expect(() => checkAgainstSpec('GET', url, 200, json, body)).toThrow(SpecViolation);
  });

  it('rejects a missing required field and a wrong type', () => {
    const { Count: _drop, ...rest } = valid;
    expect(() => checkAgainstSpec('GET', url, 200, json, JSON.stringify(rest))).toThrow(
      SpecViolation,
    );
    const wrong = JSON.stringify({ ...valid, Count: 1.5 });
    expect(() => checkAgainstSpec('GET', url, 200, json, wrong)).toThrow(SpecViolation);
  });

  it('rejects a status the operation does not document', () => {
    expect(() => checkAgainstSpec('GET', url, 418, json, '{}')).toThrow(SpecViolation);
  });

  it('rejects an operation the spec does not have, unless it is a proper 404', () => {
    const other = 'http://127.0.0.1:1/nowhere';
    expect(() => checkAgainstSpec('GET', other, 200, json, '{}')).toThrow(SpecViolation);
    const notFound = JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'x' });
    expect(() => checkAgainstSpec('GET', other, 404, json, notFound)).not.toThrow();
  });
});
