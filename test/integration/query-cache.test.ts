/**
 * The query cache through the real HTTP app and pipeline, on the real VictoriaLogs of
 * scripts/test-env.sh behind a counting proxy that sees every request telemcp sends: a repeated
 * call makes no request and says cached_at at every front door (REST, JSON-RPC, MCP with the
 * official SDK client validating against the listed output schema); another role, another
 * source or an expired entry reads again; an error is never kept; /metrics counts hits and
 * misses; the embedded store is never cached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { QueryCache } from '../../src/tools/query-cache.js';
import { CountingProxy } from '../helpers/security-counting-proxy.js';
import { connectHttpClient } from '../helpers/e2e.js';
import { startServerInProcess, type InProcessServer } from '../helpers/server.js';
import { forceFlush, requireVlogsUrl } from '../helpers/vlogs-env.js';
import { ecsDoc, ingestEcsLines } from '../helpers/vlogs-seed.js';
import { RUN, seedRecords } from '../helpers/vlogs-query.js';

const MINUTE = 60_000;
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;
const seed = seedRecords(NOW);
const KEYS = { viewer: 'qc-viewer-key', admin: 'qc-admin-key' } as const;
/** A closed window over the seeded records: its answers are kept ten minutes. */
const WINDOW = { start: new Date(NOW - 4 * 60 * MINUTE).toISOString(), end: new Date(NOW + MINUTE).toISOString() };

type Answer = Record<string, unknown> & { cached_at?: string };

describe('query cache on VictoriaLogs', () => {
  const url = requireVlogsUrl();
  const proxy = new CountingProxy({ target: url });
  let server: InProcessServer;
  let mcp: Client;

  beforeAll(async () => {
    await ingestEcsLines(url, seed.records.map((r) => ecsDoc(r, { run: RUN })));
    await forceFlush(url);
    await proxy.start();
    server = await startServerInProcess({
      API_KEYS: `${KEYS.viewer}:elk_viewer,${KEYS.admin}:elk_admin_readonly`,
      VICTORIALOGS_URL: proxy.url,
      // A second instance of the same server: another source, as a second tenant would be.
      VICTORIALOGS_INSTANCES: 'tenant',
      VICTORIALOGS_TENANT_URL: proxy.url,
      BACKEND_MAX_RETRIES: '0',
      RATE_LIMIT_PER_MINUTE: '10000',
    });
    mcp = await connectHttpClient(server.url, KEYS.viewer);
  }, 60_000);

  afterAll(async () => {
    await mcp?.close();
    await server?.close();
    await proxy.stop();
  });

  const selects = (mark: number) => proxy.since(mark).filter((r) => r.url.startsWith('/select/'));

  async function rest(tool: string, input: Record<string, unknown>, key: string = KEYS.viewer): Promise<{ status: number; body: { ok: boolean; data?: Answer; error?: { code: string } } }> {
    const res = await fetch(`${server.url}/mcp/execute`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ tool_name: tool, input }) });
    return { status: res.status, body: (await res.json()) as { ok: boolean; data?: Answer; error?: { code: string } } };
  }
  async function restOk(tool: string, input: Record<string, unknown>, key: string = KEYS.viewer): Promise<Answer> {
    const res = await rest(tool, input, key);
    if (!res.body.ok) throw new Error(`${tool} failed: ${JSON.stringify(res.body)}`);
    return res.body.data!;
  }

  it('answers a repeated vlogs_query from the cache: no request, the same answer, cached_at', async () => {
    const args = { filter: { run: RUN, 'service.name': 'api' }, ...WINDOW, limit: 1000 };
    const mark = proxy.count;
    const first = await restOk('vlogs_query', args);
    const afterFirst = proxy.count;
    expect(selects(mark).length).toBeGreaterThan(0);
    expect(first.cached_at).toBeUndefined();
    expect(first.total).toBe(seed.api);
    const again = await restOk('vlogs_query', args);
    expect(proxy.since(afterFirst)).toEqual([]);
    const { cached_at, ...rest } = again;
    expect(rest).toEqual(first);
    expect(Date.parse(cached_at!)).toBeGreaterThan(NOW - MINUTE);
    expect(new Date(Date.parse(cached_at!)).toISOString()).toBe(cached_at);
  });

  it('says cached_at over JSON-RPC mcp.execute and MCP tools/call (structuredContent and text), validated by the SDK client', async () => {
    const args = { source: 'victorialogs', start_time: WINDOW.start, end_time: WINDOW.end };
    await restOk('logs_patterns', args);
    const mark = proxy.count;
    const rpc = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': KEYS.viewer },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'mcp.execute', params: { tool_name: 'logs_patterns', input: args } }),
    });
    const body = (await rpc.json()) as { result: { ok: boolean; data: Answer } };
    expect(body.result.ok).toBe(true);
    expect(body.result.data.cached_at).toEqual(expect.any(String));
    // The SDK client validates structuredContent against the listed outputSchema: a cached answer passes.
    const called = await mcp.callTool({ name: 'logs_patterns', arguments: args });
    expect(called.isError).toBeFalsy();
    const structured = called.structuredContent as Answer;
    expect(structured.cached_at).toBe(body.result.data.cached_at);
    const text = (called.content as { type: string; text: string }[])[0].text;
    expect(JSON.parse(text)).toEqual(structured);
    expect(proxy.since(mark)).toEqual([]);
  });

  it('reads again for another role and for another source', async () => {
    const args = { query: `run:="${RUN}" "service.name":="api"`, ...WINDOW, limit: 50 };
    await restOk('vlogs_query', args, KEYS.viewer);
    let mark = proxy.count;
    const asAdmin = await restOk('vlogs_query', args, KEYS.admin);
    expect(asAdmin.cached_at).toBeUndefined();
    expect(selects(mark).length).toBeGreaterThan(0);
    mark = proxy.count;
    const onTenant = await restOk('vlogs_query', { ...args, source: 'tenant' }, KEYS.viewer);
    expect(onTenant.cached_at).toBeUndefined();
    expect(onTenant.source).toBe('tenant');
    expect(selects(mark).length).toBeGreaterThan(0);
    // Each role's answer is kept for that role.
    mark = proxy.count;
    expect((await restOk('vlogs_query', args, KEYS.admin)).cached_at).toEqual(expect.any(String));
    expect(proxy.since(mark)).toEqual([]);
  });

  it('reads again once the entry has expired', async () => {
    const rt = server.app.rt;
    const real = rt.queryCache;
    const clock = { now: Date.now() };
    rt.queryCache = new QueryCache({ maxBytes: 1024 * 1024, maxTtlMs: rt.config.QUERY_CACHE_MAX_TTL_MS, metrics: rt.metrics, now: () => clock.now });
    try {
      // A window that closed two hours ago: kept ten minutes.
      const args = { filter: { run: RUN }, start: new Date(NOW - 4 * 60 * MINUTE).toISOString(), end: new Date(NOW - 2 * 60 * MINUTE).toISOString() };
      await restOk('vlogs_query', args);
      clock.now += 10 * MINUTE - 1000;
      let mark = proxy.count;
      expect((await restOk('vlogs_query', args)).cached_at).toEqual(expect.any(String));
      expect(proxy.since(mark)).toEqual([]);
      clock.now += 1000;
      mark = proxy.count;
      expect((await restOk('vlogs_query', args)).cached_at).toBeUndefined();
      expect(selects(mark).length).toBeGreaterThan(0);
    } finally {
      rt.queryCache = real;
    }
  });

  it('never keeps an error', async () => {
    const args = { filter: { run: RUN, 'service.name': 'batch' }, ...WINDOW };
    proxy.respond = (req) => (req.url.startsWith('/select/') ? { status: 400, body: '{"error":"injected failure"}' } : undefined);
    try {
      const failed = await rest('vlogs_query', args);
      expect(failed.body.ok).toBe(false);
    } finally {
      proxy.respond = undefined;
    }
    let mark = proxy.count;
    const ok = await restOk('vlogs_query', args);
    expect(ok.cached_at).toBeUndefined();
    expect(ok.total).toBe(seed.huge);
    expect(selects(mark).length).toBeGreaterThan(0);
    mark = proxy.count;
    expect((await restOk('vlogs_query', args)).cached_at).toEqual(expect.any(String));
    expect(proxy.since(mark)).toEqual([]);
  });

  it('counts hits and misses on /metrics and /metrics/json', async () => {
    const args = { source: 'victorialogs', start_time: WINDOW.start, end_time: WINDOW.end, service_name: 'api' };
    const value = async (name: string, tool?: string): Promise<number> => {
      const json = (await (await fetch(`${server.url}/metrics/json`)).json()) as { name: string; values: { value: number; labels: Record<string, string> }[] }[];
      const metric = json.find((m) => m.name === name);
      return (metric?.values ?? []).filter((v) => tool === undefined || v.labels.tool === tool).reduce((n, v) => n + v.value, 0);
    };
    const [hits0, misses0] = [await value('telemcp_query_cache_hits_total', 'logs_bursts'), await value('telemcp_query_cache_misses_total', 'logs_bursts')];
    await restOk('logs_bursts', args);
    await restOk('logs_bursts', args);
    await restOk('logs_bursts', args);
    expect(await value('telemcp_query_cache_misses_total', 'logs_bursts')).toBe(misses0 + 1);
    expect(await value('telemcp_query_cache_hits_total', 'logs_bursts')).toBe(hits0 + 2);
    expect(await value('telemcp_query_cache_entries')).toBeGreaterThan(0);
    expect(await value('telemcp_query_cache_bytes')).toBeGreaterThan(0);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^telemcp_query_cache_hits_total\{tool="logs_bursts"\} \d+$/m);
    expect(text).toMatch(/^telemcp_query_cache_misses_total\{tool="logs_bursts"\} \d+$/m);
    expect(text).toMatch(/^telemcp_query_cache_bytes \d+$/m);
  });
});

describe('query cache and the embedded store', () => {
  let server: InProcessServer;

  beforeAll(async () => {
    server = await startServerInProcess({ API_KEYS: `${KEYS.viewer}:elk_viewer`, EMBEDDED_STORE: 'on', DEMO_DATA: 'false', RATE_LIMIT_PER_MINUTE: '10000' });
    const store = server.app.store!;
    expect((await store.ingest(seed.records.map((r) => ({ ...r, dataset: 'logs-qc' })))).rejected).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it('is never cached: every call reads the store, so records ingested meanwhile are counted', async () => {
    const call = async () => {
      const res = await fetch(`${server.url}/mcp/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEYS.viewer },
        body: JSON.stringify({ tool_name: 'logs_search', input: { scope: 'logs-qc', start_time: WINDOW.start, end_time: WINDOW.end, limit: 1 } }),
      });
      return ((await res.json()) as { data: Answer & { total: number } }).data;
    };
    const first = await call();
    expect(first.total).toBe(seed.records.length);
    // Late records inside the same (past) window: a cache would hide them.
    expect((await server.app.store!.ingest([{ ts: NOW - 3 * 60 * MINUTE, dataset: 'logs-qc', service: 'api', level: 'info', message: 'late record' }])).rejected).toEqual([]);
    const second = await call();
    expect(second.cached_at).toBeUndefined();
    expect(second.total).toBe(seed.records.length + 1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).not.toMatch(/^telemcp_query_cache_(hits|misses)_total\{tool="logs_search"\}/m);
  });
});
