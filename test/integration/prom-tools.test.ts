/**
 * The PromQL tools on the real servers of scripts/test-env.sh: Prometheus 3 (scraping itself,
 * the node exporter and a target nobody serves; rules that fire) and VictoriaMetrics as a named
 * instance behind a recording proxy that sees the tenant header and the server's timeout. A
 * series with a planted change point is written into both through their own ingestion APIs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { callErr, callOk } from '../helpers/es-fixtures.js';
import { CountingProxy } from '../helpers/security-counting-proxy.js';
import { UNREACHABLE_TARGET, plantSeries, requireMetricsUrl, waitForScrape } from '../helpers/metrics-env.js';

const STEP_MS = 30_000;
const RUN = `r${Date.now().toString(36)}`;
const METRIC = 'planted_latency_seconds';
/** The change point: on the 30 s grid, 40 minutes ago; the series rose 6× there and stays up. */
const NOW = Math.floor(Date.now() / STEP_MS) * STEP_MS;
const ONSET = NOW - 40 * 60_000;
const START = NOW - 3 * 3_600_000;

/** A level with a little deterministic noise (±3 %), so the detector sees a real spread. */
function noisy(level: number, i: number): number {
  return Number((level * (1 + 0.03 * Math.sin(i * 1.7) * Math.cos(i * 0.31))).toFixed(5));
}

function points(before: number, after: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = START, i = 0; t <= NOW; t += STEP_MS, i++) out.push([t, noisy(t >= ONSET ? after : before, i)]);
  return out;
}

interface QueryAnswer {
  summary: string;
  series_count: number;
  query: { kind: string; step?: string; estimate: { series: number; points_per_series: number } };
  series: { labels: string; what: string; change?: { at: string; direction: string; factor?: number; still: boolean }; value?: number; last?: number }[];
  changed?: { labels: string; what: string }[];
  points?: { labels: string; values: [string, number][] }[];
}

describe('PromQL tools on Prometheus 3 and VictoriaMetrics', () => {
  const prom = requireMetricsUrl('TEST_PROMETHEUS_URL');
  const vm = requireMetricsUrl('TEST_VICTORIAMETRICS_URL');
  const proxy = new CountingProxy({ target: vm });
  let app: App;

  beforeAll(async () => {
    await plantSeries(prom, vm, [
      { name: METRIC, labels: { service: 'checkout', run: RUN }, points: points(0.12, 0.72) },
      { name: METRIC, labels: { service: 'cart', run: RUN }, points: points(0.05, 0.05) },
    ]);
    await proxy.start();
    // The query cache off: these tests look at what each call sends, and several ask the same range twice.
    app = buildApp(testConfig({ PROMETHEUS_URL: prom, PROMETHEUS_INSTANCES: 'vm', PROMETHEUS_VM_URL: proxy.url, PROMETHEUS_VM_HEADERS: 'X-Scope-OrgID=tenant-a', EMBEDDED_STORE: 'off', QUERY_CACHE_MAX_BYTES: '0' }));
    await waitForScrape(prom, `up{instance="${UNREACHABLE_TARGET}"} == 0`);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await proxy.stop();
  });

  const range = { expr: `${METRIC}{run="${RUN}"}`, start: new Date(START).toISOString(), end: new Date(NOW).toISOString(), step: '30s' };

  it.each(['prometheus', 'vm'])('finds the planted change point at its step on %s, the flat series unchanged', async (source) => {
    const res = await callOk<QueryAnswer>(app, 'promql_query', { ...range, source });
    expect(res.series_count).toBe(2);
    expect(res.query).toMatchObject({ kind: 'range', step: '30s', estimate: { series: 2, points_per_series: 361 } });
    const checkout = res.series.find((s) => s.labels.includes('checkout'))!;
    expect(checkout.change).toMatchObject({ at: new Date(ONSET).toISOString().replace('.000Z', 'Z'), direction: 'rise', still: true });
    expect(checkout.change!.factor).toBeGreaterThan(5.5);
    expect(checkout.change!.factor).toBeLessThan(6.5);
    expect(checkout.what).toMatch(/^rose 6(\.\d)?× at \d\d:\d\d(:\d\d)?Z .*still up/);
    expect(res.series.find((s) => s.labels.includes('cart'))!.change).toBeUndefined();
    expect(res.changed?.map((c) => c.labels)).toEqual([`{__name__="${METRIC}", run="${RUN}", service="checkout"}`]);
    expect(res.summary).toContain('1 of 2 changed');
    // The sentences name what tells the series apart, not the metric name and run they share.
    expect(res.summary).toMatch(/top by max: \{service="checkout"\} max 0\.7\d+; \{service="cart"\} max/);
  });

  it('warns that topk over a range hides a series entering the top as missing steps', async () => {
    const res = await callOk<QueryAnswer & { warnings?: string[] }>(app, 'promql_query', { ...range, expr: `topk(1, ${METRIC}{run="${RUN}"})` });
    expect(res.warnings).toEqual([expect.stringContaining('topk/bottomk over a range keeps only the series in the top k at each step')]);
  });

  it('answers an instant query with the exact planted value, top series first', async () => {
    const res = await callOk<QueryAnswer>(app, 'promql_query', { expr: `${METRIC}{run="${RUN}"}`, time: new Date(NOW).toISOString() });
    expect(res.series.map((s) => [s.labels.includes('checkout'), s.value])).toEqual([
      [true, noisy(0.72, (NOW - START) / STEP_MS)],
      [false, noisy(0.05, (NOW - START) / STEP_MS)],
    ]);
  });

  it('returns points only when asked, downsampled to max_points', async () => {
    const without = await callOk<QueryAnswer>(app, 'promql_query', range);
    expect(without.points).toBeUndefined();
    const withPoints = await callOk<QueryAnswer>(app, 'promql_query', { ...range, include_points: true, max_points: 20, top_k: 1 });
    expect(withPoints.points).toHaveLength(1);
    expect(withPoints.points![0].values).toHaveLength(20);
    expect(withPoints.points![0].values[0]).toEqual([new Date(START).toISOString().replace('.000Z', 'Z'), noisy(0.72, 0) === 0 ? 0 : noisy(0.12, 0)]);
  });

  it('sends the tenant header fixed by configuration and the server timeout, never a caller value', async () => {
    const mark = proxy.count;
    await callOk(app, 'promql_query', { ...range, source: 'vm' });
    const seen = proxy.since(mark);
    expect(seen.map((r) => new URL(r.url, 'http://x').pathname)).toEqual(['/api/v1/series', '/api/v1/query_range']);
    for (const r of seen) expect(r.headers['x-scope-orgid']).toBe('tenant-a');
    expect(new URL(seen[1].url, 'http://x').searchParams.get('timeout')).toBe('29s');
    const series = new URL(seen[0].url, 'http://x').searchParams;
    expect([series.getAll('match[]'), series.get('start'), series.get('limit')]).toEqual([[`{__name__="${METRIC}",run="${RUN}"}`], String((START - 0) / 1000 - 300), '10001']);
    const err = await callErr(app, 'promql_query', { ...range, source: 'vm', tenant: 'other' });
    expect(err.error.code).toBe('invalid_input');
  });

  it('refuses before running: a selector matching everything, a huge subquery, too many points, too many series', async () => {
    const mark = proxy.count;
    expect((await callErr(app, 'promql_query', { expr: 'count by (__name__)({__name__=~".+"})', source: 'vm' })).error.code).toBe('query_denied');
    expect((await callErr(app, 'promql_query', { expr: 'max_over_time(up[365d:1s])', source: 'vm' })).error).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/longer than|at most/) });
    expect((await callErr(app, 'promql_query', { expr: 'up', start: 'now-7d', step: '15s', source: 'vm' })).error.message).toContain('at most 11000');
    // A source nobody configured is the caller's to fix, on every metrics tool, before any request.
    for (const [tool, args] of [['promql_query', { expr: 'up' }], ['metrics_changes', { expr: 'up' }], ['prom_discover', { what: 'metrics' }], ['prom_targets_rules', {}]] as const) {
      const unknown = await callErr(app, tool, { ...args, source: 'eu' });
      expect(unknown.error, tool).toMatchObject({ code: 'invalid_input', message: expect.stringContaining('"eu"'), hint: expect.stringMatching(/vm/) });
    }
    expect(proxy.since(mark)).toEqual([]);
    const small = buildApp(testConfig({ PROMETHEUS_URL: prom, PROMETHEUS_MAX_SERIES: '5', EMBEDDED_STORE: 'off' }));
    try {
      const err = await callErr(small, 'promql_query', { expr: '{__name__=~"node_cpu.*"}' });
      expect(err.error).toMatchObject({ code: 'invalid_input', message: expect.stringContaining('more than 5 series') });
    } finally {
      await small.close();
    }
  });

  it("passes Prometheus' own parse errors of the caller's expression on, and only the type of an execution error (its text names series)", async () => {
    const parse = await callErr(app, 'promql_query', { expr: 'node_load1[5m] + 1' });
    expect(parse.error).toMatchObject({ code: 'invalid_input', message: expect.stringContaining('binary expression must contain only scalar and instant vector types') });
    const exec = await callErr(app, 'promql_query', { expr: 'node_load1 * on() group_left node_cpu_seconds_total' });
    expect(exec.error).toMatchObject({ code: 'backend_error', message: 'prometheus refused the query (execution).' });
    expect(JSON.stringify(exec.error)).not.toContain('127.0.0.1:19100');
  });

  it('prom_targets_rules: the unreachable target down with its error, TargetDown firing, the broken rule failing', async () => {
    const res = await callOk<{
      summary: string;
      down_targets: { job: string; instance: string; last_error: string }[];
      alerts: { alertname: string; state: string; since?: string; expr: string }[];
      rule_errors: { rule: string; last_error: string }[];
    }>(app, 'prom_targets_rules', {});
    expect(res.down_targets.find((t) => t.instance === UNREACHABLE_TARGET)).toMatchObject({ job: 'unreachable', last_error: expect.stringContaining('connection refused') });
    expect(res.alerts.find((a) => a.alertname === 'TargetDown')).toMatchObject({ state: 'firing', since: expect.stringMatching(/Z$/), expr: expect.stringContaining('up{job="unreachable"}') });
    expect(res.rule_errors.map((r) => r.rule)).toContain('job:up:broken_match');
    expect(res.summary).toMatch(/unreachable 127\.0\.0\.1:19099: connection refused/);
  });

  it('prom_discover: names, labels, values, series and metadata, bounded; lint with the series count', async () => {
    const names = await callOk<{ items: string[]; count_exact: boolean }>(app, 'prom_discover', { what: 'metrics', filter: 'node_load' });
    expect(names.items).toEqual(['node_load1', 'node_load15', 'node_load5']);
    const jobs = await callOk<{ items: string[] }>(app, 'prom_discover', { what: 'label_values', label: 'job' });
    expect(jobs.items).toEqual(expect.arrayContaining(['node', 'prometheus', 'unreachable']));
    const capped = await callOk<{ items: string[]; count_exact: boolean; truncated: boolean }>(app, 'prom_discover', { what: 'metrics', limit: 3 });
    expect([capped.items.length, capped.count_exact, capped.truncated]).toEqual([3, false, true]);
    const series = await callOk<{ items: string[] }>(app, 'prom_discover', { what: 'series', match: 'up{job="node"}' });
    expect(series.items).toEqual(['{__name__="up", instance="127.0.0.1:19100", job="node"}']);
    const meta = await callOk<{ items: { metric: string; type: string }[] }>(app, 'prom_discover', { what: 'metadata', metric: 'node_load1' });
    expect(meta.items).toEqual([expect.objectContaining({ metric: 'node_load1', type: 'gauge' })]);
    const lint = await callOk<{ lint: { findings: { rule: string }[]; series: number } }>(app, 'prom_discover', { what: 'lint', expr: 'rate(node_load1[1m]) + histogram_quantile(0.9, sum(rate(prometheus_http_request_duration_seconds_bucket[5m])))' });
    expect(lint.lint.findings.map((f) => f.rule)).toEqual(['rate_of_gauge', 'quantile_without_le']);
    expect(lint.lint.series).toBeGreaterThan(1);
    expect((await callErr(app, 'prom_discover', { what: 'series', match: '{__name__=~".+"}' })).error.code).toBe('query_denied');
  });

  it('on VictoriaMetrics (no targets, rules or metadata of its own) says so instead of "all up"', async () => {
    const targets = await callOk<{ summary: string; targets: { total: number } }>(app, 'prom_targets_rules', { source: 'vm' });
    expect(targets.targets.total).toBe(0);
    expect(targets.summary).toMatch(/^no scrape targets \(this server scrapes nothing itself/);
    const lint = await callOk<{ lint: { findings: { rule: string; message: string }[] } }>(app, 'prom_discover', { what: 'lint', expr: `rate(${METRIC}[5m])`, source: 'vm' });
    expect(lint.lint.findings).toEqual([expect.objectContaining({ rule: 'no_metadata', message: expect.stringContaining(METRIC) })]);
  });
});

describe("the same tools on Prometheus 2 (Debian's 2.42: plain label names only, no series limit)", () => {
  const prom2 = requireMetricsUrl('TEST_PROMETHEUS2_URL');
  let app: App;

  beforeAll(async () => {
    app = buildApp(testConfig({ PROMETHEUS_URL: prom2, EMBEDDED_STORE: 'off' }));
    await waitForScrape(prom2, `up{instance="${UNREACHABLE_TARGET}"} == 0`);
    await waitForScrape(prom2, 'ALERTS{alertname="TargetDown", alertstate="firing"}');
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  it('queries, counts series first, and summarises', async () => {
    const range = await callOk<QueryAnswer>(app, 'promql_query', { expr: 'node_load1{job="node"}', start: 'now-5m' });
    expect([range.series_count, range.query.estimate.series]).toEqual([1, 1]);
    const instant = await callOk<QueryAnswer>(app, 'promql_query', { expr: 'up{job="unreachable"}' });
    expect(instant.series).toEqual([{ labels: `{__name__="up", instance="${UNREACHABLE_TARGET}", job="unreachable"}`, value: 0 }]);
    // 2.42 ignores the series API's limit: the whole list comes back, and the limit still holds.
    const small = buildApp(testConfig({ PROMETHEUS_URL: prom2, PROMETHEUS_MAX_SERIES: '5', EMBEDDED_STORE: 'off' }));
    try {
      expect((await callErr(small, 'promql_query', { expr: '{__name__=~"node_cpu.*"}' })).error.message).toContain('more than 5 series');
    } finally {
      await small.close();
    }
  });

  it('lists targets, firing rules and the failing rule; discovers and lints', async () => {
    const tr = await callOk<{ down_targets: { instance: string }[]; alerts: { alertname: string; state: string }[]; rule_errors: { rule: string }[] }>(app, 'prom_targets_rules', {});
    expect(tr.down_targets.map((t) => t.instance)).toEqual([UNREACHABLE_TARGET]);
    expect(tr.alerts.find((a) => a.alertname === 'TargetDown')?.state).toBe('firing');
    expect(tr.rule_errors.map((r) => r.rule)).toEqual(['job:up:broken_match']);
    const names = await callOk<{ items: string[] }>(app, 'prom_discover', { what: 'metrics', filter: 'node_load' });
    expect(names.items).toEqual(['node_load1', 'node_load15', 'node_load5']);
    const series = await callOk<{ items: string[] }>(app, 'prom_discover', { what: 'series', match: 'up{job="node"}' });
    expect(series.items).toEqual(['{__name__="up", instance="127.0.0.1:19100", job="node"}']);
    const lint = await callOk<{ lint: { findings: { rule: string }[] } }>(app, 'prom_discover', { what: 'lint', expr: 'rate(node_load1[4s])' });
    expect(lint.lint.findings.map((f) => f.rule)).toEqual(['rate_of_gauge', 'range_too_short']);
    expect((await callErr(app, 'promql_query', { expr: 'node_load1[5m] + 1' })).error.code).toBe('invalid_input');
  });
});
