/**
 * elk_apm_summary's pure parts: where it looks for APM data by default, and how it decides
 * that a service's latency or errors are rising and since when.
 */
import { describe, expect, it } from 'vitest';
import { defaultApmIndices, trendOf } from '../../src/tools/elk/elk_apm_summary.js';
import { testConfig } from '../helpers/config.js';

const START = Date.parse('2026-04-26T09:00:00Z');
const STEP = 120_000;

function series(n: number, point: (i: number) => { count: number; p95: number | null; failed: number }) {
  return Array.from({ length: n }, (_, i) => ({ at: START + i * STEP, ...point(i) }));
}

describe('defaultApmIndices', () => {
  it('adds the 8.x error data streams when the allowlist covers them', () => {
    expect(defaultApmIndices(testConfig())).toBe('traces-apm*,apm-*,logs-apm.error-*');
  });

  it('keeps to what the allowlist covers', () => {
    expect(defaultApmIndices(testConfig({ ALLOWED_INDEX_PATTERNS: 'traces-apm*,metrics-*' }))).toBe('traces-apm*');
    expect(defaultApmIndices(testConfig({ ALLOWED_INDEX_PATTERNS: 'apm-*,logs-apm.error-*' }))).toBe('apm-*,logs-apm.error-*');
  });

  it('leaves the configured pattern for the guard to refuse when nothing is covered', () => {
    expect(defaultApmIndices(testConfig({ ALLOWED_INDEX_PATTERNS: 'logs-*' }))).toBe('traces-apm*,apm-*');
  });
});

describe('trendOf', () => {
  it('finds a latency and error rise and the bucket it started in', () => {
    const t = trendOf(series(30, (i) => (i >= 18 ? { count: 20, p95: 9000, failed: 10 } : { count: 20, p95: 100 + (i % 3), failed: 0 })))!;
    expect(t.latency_rising).toBe(true);
    expect(t.errors_rising).toBe(true);
    expect(t.baseline_p95_ms).toBe(101);
    expect(t.recent_p95_ms).toBe(9000);
    expect(t.rising_since).toBe(new Date(START + 18 * STEP).toISOString());
  });

  it('is not fooled by an incident that began inside the baseline half', () => {
    const t = trendOf(series(30, (i) => (i >= 12 ? { count: 20, p95: 5000, failed: 8 } : { count: 20, p95: 80, failed: 0 })))!;
    expect(t.baseline_p95_ms).toBe(80);
    expect(t.baseline_error_rate_pct).toBe(0);
    expect(t.rising_since).toBe(new Date(START + 12 * STEP).toISOString());
  });

  it('reports a resolved spike as not rising', () => {
    const t = trendOf(series(24, (i) => (i >= 5 && i < 8 ? { count: 20, p95: 10_000, failed: 15 } : { count: 20, p95: 150, failed: 0 })))!;
    expect(t.latency_rising).toBe(false);
    expect(t.errors_rising).toBe(false);
    expect(t.rising_since).toBeUndefined();
  });

  it('ignores a steady service and small wobbles', () => {
    const t = trendOf(series(24, (i) => ({ count: 30, p95: 40 + (i % 5) * 10, failed: i % 4 === 0 ? 1 : 0 })))!;
    expect(t.latency_rising).toBe(false);
    expect(t.errors_rising).toBe(false);
  });

  it('skips empty buckets and needs enough of the window to judge', () => {
    expect(trendOf(series(5, () => ({ count: 10, p95: 100, failed: 0 })))).toBeUndefined();
    const gaps = trendOf(series(20, (i) => (i % 2 ? { count: 0, p95: null, failed: 0 } : i >= 14 ? { count: 9, p95: 3000, failed: 0 } : { count: 9, p95: 90, failed: 0 })))!;
    expect(gaps.latency_rising).toBe(true);
    expect(gaps.rising_since).toBe(new Date(START + 14 * STEP).toISOString());
  });
});
