/**
 * Saved PromQL queries on the real Prometheus: seed 003's built-in dashboards and the operator's
 * own (PROMETHEUS_SAVED_QUERIES) are MCP resources; the start-up dry run reports the broken ones
 * in telemcp_status; reading one runs promql_query through the pipeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { readResource } from '../../src/tools/prompts-resources.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, callErr, callOk } from '../helpers/es-fixtures.js';
import { requireMetricsUrl } from '../helpers/metrics-env.js';
import { startServerInProcess, type InProcessServer } from '../helpers/server.js';

describe('saved PromQL queries', () => {
  const prom = requireMetricsUrl('TEST_PROMETHEUS_URL');
  let app: App;

  beforeAll(async () => {
    const saved = {
      'node-load': { expr: 'node_load1{job="node"}', description: 'Load of every node.' },
      'node-load-6h': { expr: 'node_load1{job="node"}', range: '6h' },
      'typo': 'sum(rate(node_cpu_seconds_total[5m])',
      'nothing-there': 'absent_metric_for_telemcp_tests{job="none"}',
      'everything': 'count({__name__=~".+"})',
    };
    app = buildApp(testConfig({ PROMETHEUS_URL: prom, PROMETHEUS_SAVED_QUERIES: JSON.stringify(saved), EMBEDDED_STORE: 'off' }));
    await app.rt.backends.start(10_000, (_instance, err) => {
      throw err;
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('reports each broken saved query in telemcp_status after the start-up dry run, and only those', async () => {
    const status = await callOk<{ backends: { name: string; problems?: string[] }[] }>(app, 'telemcp_status', {});
    const problems = status.backends.find((b) => b.name === 'prometheus')!.problems!;
    // The built-in Kubernetes dashboards match nothing here (cAdvisor's may, when a bench planted its series).
    const own = problems.filter((p) => !/^saved query (top-pods-by-cpu|pod-restarts):/.test(p));
    expect(problems).toContainEqual('saved query pod-restarts: its selectors match no series in the last hour');
    expect(own.map((p) => p.split(':')[0])).toEqual(['saved query typo', 'saved query nothing-there', 'saved query everything']);
    expect(own[0]).toMatch(/invalid_input: PromQL syntax error/);
    expect(own[1]).toMatch(/match no series/);
    expect(own[2]).toMatch(/query_denied: .* matches every series/);
  });

  it('lists the built-in dashboards as resources and reads an operator query through its URI', async () => {
    const uris = app.rt.registry.resourcesFor('elk_viewer').map((r) => r.uri ?? r.uriTemplate);
    expect(uris).toEqual(expect.arrayContaining(['res://dashboards/top-pods-by-cpu.promql', 'res://dashboards/pod-restarts.promql', 'res://dashboards/{saved}.promql']));
    const res = await readResource(app.rt, 'res://dashboards/node-load.promql', CALLERS.viewer);
    expect(res.ok).toBe(true);
    const body = JSON.parse((res as { data: { text: string } }).data.text) as { query: { expr: string; kind: string }; series_count: number };
    expect(body.query).toMatchObject({ expr: 'node_load1{job="node"}', kind: 'instant' });
    expect(body.series_count).toBe(1);
  });

  it('runs a saved query with its range, and refuses an unknown name or both expr and saved', async () => {
    const ranged = await callOk<{ query: { kind: string; start: string; end: string } }>(app, 'promql_query', { saved: 'node-load-6h' });
    expect(ranged.query.kind).toBe('range');
    expect(Date.parse(ranged.query.end) - Date.parse(ranged.query.start)).toBeGreaterThan(6 * 3_600_000 - 120_000);
    expect((await callErr(app, 'promql_query', { saved: 'nope' })).error).toMatchObject({ code: 'invalid_input', hint: expect.stringContaining('node-load') });
    expect((await callErr(app, 'promql_query', { saved: 'node-load', expr: 'up' })).error.code).toBe('invalid_input');
  });

  it('refuses a badly shaped PROMETHEUS_SAVED_QUERIES at start-up with one line per problem', () => {
    expect(() => testConfig({ PROMETHEUS_URL: prom, PROMETHEUS_SAVED_QUERIES: JSON.stringify({ 'Bad Name': 'up' }) })).toThrow(/PROMETHEUS_SAVED_QUERIES/);
  });
});

describe("seed 003's warn-events dashboard on the configured log source", () => {
  const prom = requireMetricsUrl('TEST_PROMETHEUS_URL');
  let server: InProcessServer;

  beforeAll(async () => {
    server = await startServerInProcess({ PROMETHEUS_URL: prom, EMBEDDED_STORE: 'on', DEMO_DATA: 'false' });
    const now = Date.now();
    // Events as kube-event exporters log them: a Warning reason, the object, the message.
    const events = [
      ...Array.from({ length: 12 }, (_, i) => `Warning BackOff pod/checkout-${i % 3} Back-off restarting failed container`),
      ...Array.from({ length: 5 }, (_, i) => `Warning FailedScheduling pod/batch-${i} 0/3 nodes are available: 3 Insufficient memory`),
      'Normal Scheduled pod/checkout-0 Successfully assigned payments/checkout-0 to node-1',
    ];
    const records = events.map((message, i) => ({ ts: now - 60_000 + i * 1000, dataset: 'kubernetes-events', service: 'kubernetes-events', level: message.startsWith('Warning') ? 'warn' : 'info', message }));
    expect((await server.app.store!.ingest(records)).rejected).toEqual([]);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('reads res://dashboards/warn-events.logql as the patterns of the Warning events, counted', async () => {
    const res = await readResource(server.app.rt, 'res://dashboards/warn-events.logql', CALLERS.viewer);
    expect(res.ok).toBe(true);
    const body = JSON.parse((res as { data: { text: string } }).data.text) as { total: number; patterns: { template: string; count: number }[] };
    expect(body.total).toBe(17);
    expect(body.patterns.map((p) => p.count)).toEqual([12, 5]);
  });
});
