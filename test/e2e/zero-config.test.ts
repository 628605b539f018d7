/**
 * The quick start as a user meets it: `telemcp serve` with nothing configured keeps logs in the
 * embedded store, loads the demo dataset on first start, says so in its banner and in every
 * log result's source, and answers the log tools at once over MCP. A second server on the same
 * DATA_DIR is refused; a restart reuses the store without loading the demo again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { connectHttpClient, connectStdioClient, runCli, tempDir, waitFor } from '../helpers/e2e.js';

const VIEWER = 'viewer-key-zero-config-e2e';

interface Source {
  name: string;
  kind: string;
  scope: string;
  demo_data?: boolean;
}

describe('zero-config default: the embedded store with the demo dataset', () => {
  const dataDir = tempDir('telemcp-zero-config-');
  let server: RunningServer;
  let client: Client;

  const call = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
    const res = await client.callTool({ name, arguments: args });
    expect(res.isError, JSON.stringify(res.structuredContent)).toBeFalsy();
    return res.structuredContent as T;
  };

  beforeAll(async () => {
    // EMBEDDED_STORE and DEMO_DATA at their defaults: the test helper's "off" is overridden.
    server = await startServerProcess({ API_KEYS: `${VIEWER}:elk_viewer`, DATA_DIR: dataDir, EMBEDDED_STORE: 'auto' });
    client = await connectHttpClient(server.url, VIEWER);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    if (server && server.child.exitCode === null) await server.stop();
  });

  it('says in its banner where the store is and that the demo data was loaded', () => {
    const out = server.output();
    expect(out).toMatch(/embedded log store: .*logs\.db — [\d,]+ records in 6 dataset\(s\)/);
    expect(out).toMatch(/demo data loaded on first start/);
    expect(out).toMatch(/tools: .*logs_patterns.*incident_summary/);
    expect(out).toMatch(/toolset elk in part: elk_search_logs, elk_detect_errors served; elk_cluster_health, .* need more: set ES_URL or set OPENSEARCH_URL/);
  });

  it('answers incident_summary at once: the demo incident, marked as demo data', async () => {
    const res = await call<{ status: string; likely_cause: { service: string; signature: string } | null; symptoms: { service: string }[]; source: Source }>(
      'incident_summary',
      { start_time: 'now-2h' },
    );
    expect(res.status).toBe('ongoing');
    expect(res.likely_cause).toMatchObject({ service: 'fraud-service', signature: 'pool_exhausted' });
    expect(res.symptoms[0].service).toBe('payment-service');
    expect(res.source).toEqual({ name: 'embedded', kind: 'embedded', scope: '*', demo_data: true });
  });

  it("names next checks this caller can call, on the same store, and each returns data", async () => {
    const res = await call<{ next_checks: { tool: string; args: Record<string, unknown> }[] }>('incident_summary', { start_time: 'now-2h' });
    const callable = (await client.listTools()).tools.map((t) => t.name);
    expect(res.next_checks.length).toBeGreaterThan(1);
    for (const check of res.next_checks) {
      expect(callable, check.tool).toContain(check.tool);
      const answer = await client.callTool({ name: check.tool, arguments: check.args });
      expect(answer.isError, `${check.tool} ${JSON.stringify(answer.structuredContent)}`).toBeFalsy();
      if (check.tool === 'logs_search') {
        expect(check.args.source).toBe('embedded');
        expect((answer.structuredContent as { total: number }).total, JSON.stringify(check.args)).toBeGreaterThan(0);
      }
    }
  });

  it('telemcp_status lists the embedded source and what the store holds', async () => {
    const status = await call<{ log_sources: { name: string; kind: string; default_scope: string }[]; embedded_store: { records: number; datasets: { name: string; demo?: boolean }[] } }>(
      'telemcp_status',
      {},
    );
    expect(status.log_sources).toEqual([{ name: 'embedded', kind: 'embedded', default_scope: '*' }]);
    expect(status.embedded_store.datasets).toHaveLength(6);
    expect(status.embedded_store.datasets.every((d) => d.name.endsWith('-demo') && d.demo === true)).toBe(true);
    expect(status.embedded_store.records).toBe(Number(/— ([\d,]+) records/.exec(server.output())![1].replace(/,/g, '')));
  });

  it('answers logs_patterns and logs_bursts on the same store', async () => {
    const patterns = await call<{ patterns: { template: string }[]; source: Source }>('logs_patterns', { log_level: 'error', top_n: 3 });
    expect(patterns.patterns[0].template).toBe('timeout to fraud-service after <*>');
    const bursts = await call<{ bursts: { status: string }[]; source: Source }>('logs_bursts', { start_time: 'now-2h' });
    expect(bursts.bursts.some((b) => b.status === 'ongoing')).toBe(true);
    expect(bursts.source.demo_data).toBe(true);
  });

  it("answers the seed's elk_detect_errors and elk_search_logs from the store, index_pattern naming datasets", async () => {
    const errors = await call<{ total_errors: number; errors_by_service: { service: string }[]; top_error_messages: { message: string; trace_id?: string }[]; rising_since: string | null; fields_used: Record<string, string> }>(
      'elk_detect_errors',
      { start_time: 'now-2h', top_n: 3 },
    );
    expect(errors.total_errors).toBeGreaterThan(0);
    expect(errors.errors_by_service[0].service).toBe('payment-service');
    expect(errors.top_error_messages.map((m) => m.message)).toContain('timeout to fraud-service after <*>');
    expect(errors.rising_since).not.toBeNull();
    expect(errors.fields_used.message).toBe('message');
    const traced = errors.top_error_messages.find((m) => m.trace_id)!;
    const trace = await call<{ total: number; hits: { trace_id?: string; index: string }[] }>('elk_search_logs', { index_pattern: 'logs-*-demo', trace_id: traced.trace_id, start_time: 'now-2h' });
    expect(trace.total).toBeGreaterThan(0);
    expect(trace.hits.every((h) => h.trace_id === traced.trace_id && h.index.endsWith('-demo'))).toBe(true);
  });

  it('refuses a second process on the same DATA_DIR with a clear message', async () => {
    const second = await runCli(['serve'], { DATA_DIR: dataDir, PORT: '0', API_KEYS: `${VIEWER}:elk_viewer` });
    expect(second.code).not.toBe(0);
    expect(`${second.stdout}${second.stderr}`).toMatch(new RegExp(`in use by another telemcp process \\(pid ${server.child.pid}`));
  });

  it('after a restart the store is reused and the demo is not loaded twice', async () => {
    const before = /— ([\d,]+) records/.exec(server.output())![1];
    await client.close();
    expect(await server.stop()).toBe(0);
    server = await startServerProcess({ API_KEYS: `${VIEWER}:elk_viewer`, DATA_DIR: dataDir, EMBEDDED_STORE: 'auto' });
    client = await connectHttpClient(server.url, VIEWER);
    expect(server.output()).toContain(`— ${before} records`);
    expect(server.output()).not.toMatch(/demo data loaded on first start/);
  });
});

describe('zero-config default over stdio (what Claude Desktop starts)', () => {
  it('answers initialize while the demo data loads, then serves it', async () => {
    const { client } = await connectStdioClient({ DATA_DIR: tempDir('telemcp-zero-config-stdio-'), EMBEDDED_STORE: 'auto' });
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toEqual(expect.arrayContaining(['logs_patterns', 'logs_bursts', 'logs_correlate', 'incident_summary']));
      const datasets = await waitFor(async () => {
        const res = await client.callTool({ name: 'telemcp_status', arguments: {} });
        const store = (res.structuredContent as { embedded_store?: { datasets: unknown[]; records: number } }).embedded_store;
        return store && store.datasets.length === 6 && store.records > 20_000 ? store.datasets.length : undefined;
      }, 'the demo dataset to be loaded', 30_000);
      expect(datasets).toBe(6);
      const res = await client.callTool({ name: 'incident_summary', arguments: { start_time: 'now-2h' } });
      expect((res.structuredContent as { likely_cause: { service: string } }).likely_cause.service).toBe('fraud-service');
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe('zero-config default from the command line', () => {
  it('`telemcp call` on a fresh DATA_DIR loads the demo first, so elk_detect_errors has errors to find', async () => {
    const run = await runCli(['call', 'elk_detect_errors', '--input', '{"start_time":"now-2h","top_n":3}'], { DATA_DIR: tempDir('telemcp-zero-config-call-'), EMBEDDED_STORE: 'auto' });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { ok: boolean; data: { total_errors: number; errors_by_service: { service: string }[]; summary: string } };
    expect(out.ok).toBe(true);
    expect(out.data.total_errors).toBeGreaterThan(0);
    expect(out.data.errors_by_service[0].service).toBe('payment-service');
    expect(out.data.summary).toMatch(/ in \* from /);
  }, 60_000);
});
