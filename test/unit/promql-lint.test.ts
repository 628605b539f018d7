import { describe, expect, it } from 'vitest';
import { parsePromql } from '../../src/backends/metrics/promql-ast.js';
import { lintPromql, type LintFacts } from '../../src/tools/metrics/promql-lint.js';

/** Types as node exporter and Prometheus report them in /api/v1/metadata. */
const FACTS: LintFacts = {
  types: new Map([
    ['node_memory_MemAvailable_bytes', 'gauge'],
    ['node_cpu_seconds_total', 'counter'],
    ['prometheus_http_request_duration_seconds', 'histogram'],
    ['node_load1', 'gauge'],
    ['process_cpu_seconds_total', 'counter'],
  ]),
  scrapeIntervalMs: new Map([
    ['node_cpu_seconds_total', 30_000],
    ['process_cpu_seconds_total', 15_000],
  ]),
};

const rules = (expr: string) => lintPromql(parsePromql(expr), FACTS).map((f) => f.rule);

describe('PromQL lint', () => {
  it('flags rate() over a gauge and delta() over a counter', () => {
    expect(rules('rate(node_memory_MemAvailable_bytes[5m])')).toEqual(['rate_of_gauge']);
    expect(rules('increase(node_load1[1h] offset 1d)')).toEqual(['rate_of_gauge']);
    expect(rules('deriv(node_cpu_seconds_total[10m])')).toEqual(['delta_of_counter']);
    expect(rules('deriv(node_memory_MemAvailable_bytes[10m])')).toEqual([]);
  });

  it('flags histogram_quantile whose aggregation drops le, and accepts one that keeps it', () => {
    expect(rules('histogram_quantile(0.9, sum by (handler) (rate(prometheus_http_request_duration_seconds_bucket[5m])))')).toContain('quantile_without_le');
    expect(rules('histogram_quantile(0.9, sum without (le) (rate(prometheus_http_request_duration_seconds_bucket[5m])))')).toContain('quantile_without_le');
    expect(rules('histogram_quantile(0.9, sum(rate(prometheus_http_request_duration_seconds_bucket[5m])))')).toContain('quantile_without_le');
    expect(rules('histogram_quantile(0.9, sum by (le, handler) (rate(prometheus_http_request_duration_seconds_bucket[5m])))')).toEqual([]);
    expect(rules('histogram_quantile(0.9, rate(node_cpu_seconds_total[5m]))')).toContain('quantile_not_buckets');
  });

  it('flags a range shorter than four scrape intervals (two for irate)', () => {
    const [f] = lintPromql(parsePromql('rate(node_cpu_seconds_total{mode="idle"}[1m])'), FACTS);
    expect(f).toMatchObject({ rule: 'range_too_short', severity: 'warning' });
    expect(f.message).toContain('scraped every 30s');
    expect(f.message).toContain('[2m]');
    expect(rules('rate(node_cpu_seconds_total[2m])')).toEqual([]);
    expect(rules('irate(node_cpu_seconds_total[1m])')).toEqual([]);
    expect(rules('irate(node_cpu_seconds_total[45s])')).toEqual(['range_too_short']);
  });

  it('notes a counter used raw, not one inside rate()', () => {
    expect(rules('process_cpu_seconds_total > 100')).toEqual(['raw_counter']);
    expect(rules('sum(rate(process_cpu_seconds_total[1m]))')).toEqual([]);
    expect(rules('some_unknown_requests_total')).toEqual(['raw_counter']);
  });
});
