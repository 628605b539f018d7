import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { createIndices, deleteIndices, parsePrometheusText, requireEnv, uniqueName, type Json } from '../helpers/e2e.js';

/**
 * Seed 000's acceptance list over plain HTTP against the real server process and a real
 * Elasticsearch: probes, the REST facade, its error codes, /metrics and the JSON-RPC aliases.
 */

const VIEWER = 'viewer-key-rest-e2e';
const OPERATOR = 'ops-key-rest-e2e';
const API_KEYS = `${VIEWER}:elk_viewer,${OPERATOR}:elk_operator`;

const prefix = uniqueName('logs-e2e');
const indices = Array.from({ length: 8 }, (_, i) => `${prefix}-${i}`);

let esUrl: string;
let server: RunningServer;
let downServer: RunningServer;
let smallServer: RunningServer;
let limitedServer: RunningServer;

beforeAll(async () => {
  esUrl = requireEnv('TEST_ES_URL');
  await createIndices(esUrl, indices);
  [server, downServer, smallServer, limitedServer] = await Promise.all([
    startServerProcess({ API_KEYS, ES_URL: esUrl }),
    // Port 1 on loopback: nothing listens there, connections are refused at once.
    startServerProcess({ API_KEYS, ES_URL: 'http://127.0.0.1:1', READY_CACHE_MS: '0' }),
    startServerProcess({ API_KEYS, ES_URL: esUrl, MAX_RESPONSE_BYTES: '1024' }),
    startServerProcess({ API_KEYS, ES_URL: esUrl, RATE_LIMIT_PER_MINUTE: '3' }),
  ]);
});

afterAll(async () => {
  await Promise.all([server?.stop(), downServer?.stop(), smallServer?.stop(), limitedServer?.stop()]);
  if (esUrl) await deleteIndices(esUrl, indices);
});

async function execute(base: string, key: string, body: unknown, init: RequestInit = {}): Promise<{ status: number; headers: Headers; json: Json }> {
  const res = await fetch(`${base}/mcp/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-API-Key': key },
    body: JSON.stringify(body),
    ...init,
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

async function jsonRpc(base: string, key: string, method: string, params: unknown, id: string | number = 1): Promise<{ status: number; headers: Headers; json: Json }> {
  const res = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'X-API-Key': key },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

describe('probes', () => {
  it('GET /healthz answers 200', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 ready:true when Elasticsearch is up', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ready: boolean; status: string; backends: { name: string; ok: boolean }[] };
    expect(body.ready).toBe(true);
    expect(body.status).toBe('ready');
    expect(body.backends).toEqual([expect.objectContaining({ name: 'elasticsearch', ok: true })]);
  });

  it('GET /readyz answers 503 when Elasticsearch is unreachable, while /healthz stays 200 (R-01, R-22)', async () => {
    const ready = await fetch(`${downServer.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { ready: boolean; backends: { ok: boolean; code: string }[] };
    expect(body.ready).toBe(false);
    expect(body.backends[0]).toEqual(expect.objectContaining({ ok: false, code: 'backend_unavailable' }));
    expect((await fetch(`${downServer.url}/healthz`)).status).toBe(200);
  });

  it('a tool call against the unreachable Elasticsearch is 503 backend_unavailable', async () => {
    const res = await execute(downServer.url, VIEWER, { tool_name: 'elk_cluster_health', input: {} });
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('backend_unavailable');
  });
});

describe('REST facade', () => {
  it('GET /mcp/tools lists the tools the key may call', async () => {
    const res = await fetch(`${server.url}/mcp/tools`, { headers: { 'X-API-Key': VIEWER } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; tools: { name: string; role: string; description: string; inputSchema: object }[] };
    expect(body.ok).toBe(true);
    const names = body.tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['telemcp_status', 'elk_cluster_health', 'elk_nodes_stats', 'elk_indices_summary']));
    expect(names).not.toContain('elk_query');
    for (const tool of body.tools) {
      expect(tool.description.length).toBeGreaterThan(0);
      expect(tool.inputSchema).toEqual(expect.objectContaining({ type: 'object' }));
    }
    const ops = (await (await fetch(`${server.url}/mcp/tools`, { headers: { 'X-API-Key': OPERATOR } })).json()) as { tools: { name: string }[] };
    expect(ops.tools.map((t) => t.name)).toContain('elk_query');
  });

  it('POST /mcp/execute with a valid key runs elk_cluster_health', async () => {
    const res = await execute(server.url, VIEWER, { tool_name: 'elk_cluster_health', input: { include_shards: true } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual(expect.objectContaining({ ok: true, tool_name: 'elk_cluster_health' }));
    expect(['green', 'yellow', 'red']).toContain(res.json.data.status);
    expect(res.json.data.summary).toMatch(/^Cluster \S+ status=/);
    expect(res.json.data.metrics.number_of_nodes).toBeGreaterThanOrEqual(1);
    expect(Array.isArray(res.json.data.recommendation)).toBe(true);
  });

  it('POST /mcp/execute sees the test indices through elk_indices_summary', async () => {
    const res = await execute(server.url, VIEWER, { tool_name: 'elk_indices_summary', input: { index_pattern: `${prefix}-*`, sort_by: 'name', limit: 3 } });
    expect(res.status).toBe(200);
    expect(res.json.data.metrics.index_count).toBe(indices.length);
    expect(res.json.data.indices.map((i: { index: string }) => i.index)).toEqual(indices.slice(0, 3));
    expect(res.json.data.truncated).toBe(true);
  });

  it('an invalid key is 401 authentication_failed', async () => {
    const res = await execute(server.url, 'not-a-key', { tool_name: 'telemcp_status', input: {} });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ ok: false, error: expect.objectContaining({ code: 'authentication_failed' }) });
  });

  it('a missing key is 401 authentication_failed', async () => {
    const res = await fetch(`${server.url}/mcp/tools`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('authentication_failed');
  });

  it('a key in the query string is ignored: 401 (A-02)', async () => {
    for (const param of ['api_key', 'apiKey', 'x-api-key', 'key']) {
      const res = await fetch(`${server.url}/mcp/tools?${param}=${VIEWER}`);
      expect(res.status).toBe(401);
      const exec = await fetch(`${server.url}/mcp/execute?${param}=${VIEWER}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tool_name: 'telemcp_status', input: {} }),
      });
      expect(exec.status).toBe(401);
    }
  });

  it('Authorization: Bearer is accepted as well as X-API-Key', async () => {
    const res = await fetch(`${server.url}/mcp/tools`, { headers: { authorization: `Bearer ${VIEWER}` } });
    expect(res.status).toBe(200);
  });

  it('a viewer calling the operator tool elk_query is 403 permission_denied', async () => {
    const res = await execute(server.url, VIEWER, { tool_name: 'elk_query', input: { index_pattern: `${prefix}-*`, body: { query: { match_all: {} } } } });
    expect(res.status).toBe(403);
    expect(res.json.ok).toBe(false);
    expect(res.json.error.code).toBe('permission_denied');
  });

  it('a dangerous query (script) from an operator is 403 query_denied', async () => {
    const scripts = [
      { query: { script: { script: '1' } } },
      { query: { script: { script: { source: 'true' } } } },
      { query: { function_score: { functions: [{ script_score: { script: '1' } }] } } },
      { aggs: { x: { terms: { script: { source: "doc['a'].value" } } } } },
      { runtime_mappings: { f: { type: 'keyword', script: { source: "emit('x')" } } } },
    ];
    for (const body of scripts) {
      const res = await execute(server.url, OPERATOR, { tool_name: 'elk_query', input: { index_pattern: `${prefix}-*`, body } });
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.json.error.code).toBe('query_denied');
    }
  });

  it('an operator query within policy succeeds', async () => {
    const res = await execute(server.url, OPERATOR, { tool_name: 'elk_query', input: { index_pattern: `${prefix}-*`, body: { size: 1, query: { match_all: {} } } } });
    expect(res.status).toBe(200);
    expect(res.json.data.total).toBe(0);
  });

  it('an index outside the allowlist is 403 index_pattern_denied', async () => {
    const res = await execute(server.url, VIEWER, { tool_name: 'elk_indices_summary', input: { index_pattern: '.security*' } });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('index_pattern_denied');
  });

  it('an unknown tool is 404 tool_not_found', async () => {
    const res = await execute(server.url, VIEWER, { tool_name: 'elk_logstash_health', input: {} });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('tool_not_found');
  });

  it('invalid arguments are 400 invalid_input', async () => {
    const res = await execute(server.url, VIEWER, { tool_name: 'elk_indices_summary', input: { limit: 100_000 } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('invalid_input');
  });

  it('a result over MAX_RESPONSE_BYTES is 413 response_too_large', async () => {
    const res = await execute(smallServer.url, VIEWER, { tool_name: 'elk_indices_summary', input: { index_pattern: `${prefix}-*`, limit: 20 } });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('response_too_large');
    expect(res.json.error.hint).toMatch(/narrow|smaller|limit/i);
    const small = await execute(smallServer.url, VIEWER, { tool_name: 'elk_indices_summary', input: { index_pattern: `${prefix}-*`, limit: 1 } });
    expect(small.status).toBe(200);
  });
});

describe('rate limit', () => {
  it('the 4th call within a minute at RATE_LIMIT_PER_MINUTE=3 is 429 rate_limited with Retry-After', async () => {
    for (let i = 0; i < 3; i++) {
      const ok = await execute(limitedServer.url, VIEWER, { tool_name: 'telemcp_status', input: {} });
      expect(ok.status).toBe(200);
    }
    const limited = await execute(limitedServer.url, VIEWER, { tool_name: 'telemcp_status', input: {} });
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('rate_limited');
    const retryAfter = limited.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // The same limit over MCP: an isError result with retry_after (seconds) in structuredContent;
    // over the mcp.execute alias: 429 with Retry-After and retry_after in error.data.
    const mcp = await jsonRpc(limitedServer.url, VIEWER, 'tools/call', { name: 'telemcp_status', arguments: {} }, 9);
    expect(mcp.json.result.isError).toBe(true);
    expect(mcp.json.result.structuredContent.error.code).toBe('rate_limited');
    expect(mcp.json.result.structuredContent.error.retry_after).toBeGreaterThanOrEqual(1);
    const alias = await jsonRpc(limitedServer.url, VIEWER, 'mcp.execute', { tool_name: 'telemcp_status', input: {} }, '10');
    expect(alias.status).toBe(429);
    expect(Number(alias.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(alias.json.error.data).toMatchObject({ code: 'rate_limited', retry_after: expect.any(Number) });
    // The limit is per key: the operator key still has its own budget.
    expect((await execute(limitedServer.url, OPERATOR, { tool_name: 'telemcp_status', input: {} })).status).toBe(200);
  });
});

describe('JSON-RPC aliases on POST /mcp (seed 000)', () => {
  it('mcp.list_tools lists the tools for the key', async () => {
    const res = await jsonRpc(server.url, VIEWER, 'mcp.list_tools', {}, '1');
    expect(res.status).toBe(200);
    expect(res.json.jsonrpc).toBe('2.0');
    expect(res.json.id).toBe('1');
    const names = res.json.result.tools.map((t: { name: string }) => t.name);
    expect(names).toContain('elk_cluster_health');
    expect(names).not.toContain('elk_query');
  });

  it('mcp.execute runs a tool and answers the REST envelope', async () => {
    const res = await jsonRpc(server.url, VIEWER, 'mcp.execute', { tool_name: 'elk_cluster_health', input: {} }, 7);
    expect(res.status).toBe(200);
    expect(res.json.id).toBe(7);
    expect(res.json.result).toEqual(expect.objectContaining({ ok: true, tool_name: 'elk_cluster_health' }));
    expect(res.json.result.data.summary).toMatch(/status=/);
  });

  it('mcp.execute reports a denial as a JSON-RPC error carrying the same code', async () => {
    const res = await jsonRpc(server.url, OPERATOR, 'mcp.execute', { tool_name: 'elk_query', input: { index_pattern: `${prefix}-*`, body: { query: { script: { script: '1' } } } } }, 8);
    expect(res.status).toBe(403);
    expect(res.json.id).toBe(8);
    expect(res.json.error.data.code).toBe('query_denied');
  });
});

describe('/metrics', () => {
  it('parses as Prometheus text with bounded labels after calls', async () => {
    // Calls that put an index name, a key-like string and a bogus tool name in front of the server.
    await execute(server.url, VIEWER, { tool_name: 'elk_indices_summary', input: { index_pattern: `${prefix}-*` } });
    await execute(server.url, VIEWER, { tool_name: `${prefix}-tool`, input: {} });
    await execute(server.url, 'wrong-key-rest-e2e', { tool_name: 'telemcp_status', input: {} });
    await execute(server.url, OPERATOR, { tool_name: 'elk_query', input: { index_pattern: `${prefix}-*`, body: { query: { script: { script: '1' } } } } });

    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const samples = parsePrometheusText(await res.text());
    expect(samples.length).toBeGreaterThan(0);

    const calls = samples.filter((s) => s.name === 'telemcp_tool_calls_total');
    expect(calls.length).toBeGreaterThan(0);
    for (const s of calls) expect(Object.keys(s.labels).sort()).toEqual(['outcome', 'tool']);
    expect(calls).toContainEqual(expect.objectContaining({ labels: { tool: 'elk_cluster_health', outcome: 'ok' } }));
    expect(calls).toContainEqual(expect.objectContaining({ labels: { tool: 'elk_query', outcome: 'query_denied' } }));
    expect(calls).toContainEqual(expect.objectContaining({ labels: { tool: 'unknown', outcome: 'tool_not_found' } }));

    const labelValues = samples.flatMap((s) => Object.values(s.labels));
    for (const secret of [prefix, VIEWER, OPERATOR, 'wrong-key-rest-e2e', 'logs-e2e']) {
      expect(labelValues.filter((v) => v.includes(secret))).toEqual([]);
    }
  });

  it('GET /metrics/json answers JSON', async () => {
    const res = await fetch(`${server.url}/metrics/json`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { name: string }[];
    expect(body.map((m) => m.name)).toContain('telemcp_tool_calls_total');
  });
});
