/**
 * The user's path end to end: `telemcp serve` on the port the test Prometheus scrapes (job
 * `telemcp`), configured with that Prometheus and Alertmanager. Tool calls over REST count in
 * telemcp's own /metrics; Prometheus scrapes them; telemcp reads them back with promql_query and
 * sees its own target up in prom_targets_rules, and the start-up dry run of the saved queries in
 * telemcp_status. Nothing is faked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { TELEMCP_SCRAPE_PORT, requireMetricsUrl, waitForScrape } from '../helpers/metrics-env.js';

const KEY = 'tk_metrics_self_0123456789abcdef';

describe('telemcp observed by the Prometheus it reads', () => {
  const prom = requireMetricsUrl('TEST_PROMETHEUS_URL');
  const am = requireMetricsUrl('TEST_ALERTMANAGER_URL');
  let server: RunningServer;

  async function call<T>(tool: string, input: unknown): Promise<T> {
    const res = await fetch(`${server.url}/mcp/execute`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: JSON.stringify({ tool_name: tool, input }) });
    const body = (await res.json()) as { ok: boolean; data: T; error?: unknown };
    if (!body.ok) throw new Error(`${tool}: ${JSON.stringify(body.error)}`);
    return body.data;
  }

  beforeAll(async () => {
    server = await startServerProcess({ PORT: String(TELEMCP_SCRAPE_PORT), API_KEYS: `${KEY}:elk_viewer`, PROMETHEUS_URL: prom, ALERTMANAGER_URL: am });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('counts its own calls, is scraped, and reads them back', async () => {
    for (let i = 0; i < 3; i++) await call('alerts_active', {});
    await waitForScrape(prom, 'sum(telemcp_tool_calls_total{job="telemcp", tool="alerts_active", outcome="ok"}) >= 3', { timeoutMs: 30_000 });
    const res = await call<{ series: { labels: string; value: number }[] }>('promql_query', { expr: 'sum by (tool) (telemcp_tool_calls_total{job="telemcp", outcome="ok"})' });
    const alerts = res.series.find((s) => s.labels === '{tool="alerts_active"}');
    expect(alerts?.value).toBeGreaterThanOrEqual(3);
    // Seed 003's dotted name answers on REST as the same tool.
    const dotted = await call<{ series: { labels: string; value: number }[] }>('promql.query', { expr: 'sum by (tool) (telemcp_tool_calls_total{job="telemcp", outcome="ok"})' });
    expect(dotted.series.map((s) => s.labels)).toEqual(res.series.map((s) => s.labels));
    const targets = await call<{ targets: { by_job: { job: string; up: number; down: number }[] } }>('prom_targets_rules', { job: 'telemcp' });
    expect(targets.targets.by_job).toEqual([{ job: 'telemcp', up: 1, down: 0 }]);
  });

  it('reports the built-in saved queries that match nothing here after its start-up dry run', async () => {
    let problems: string[] = [];
    for (let i = 0; i < 50 && !problems.length; i++) {
      const status = await call<{ backends: { name: string; problems?: string[] }[] }>('telemcp_status', {});
      problems = status.backends.find((b) => b.name === 'prometheus')?.problems ?? [];
      if (!problems.length) await new Promise((r) => setTimeout(r, 200));
    }
    // This Prometheus scrapes no Kubernetes: kube-state-metrics' restarts have no series (cAdvisor's may, when a bench planted them).
    expect(problems).toContainEqual(expect.stringMatching(/^saved query pod-restarts: its selectors match no series in the last hour$/));
    for (const p of problems) expect(p).toMatch(/^saved query (pod-restarts|top-pods-by-cpu): its selectors match no series/);
  });
});
