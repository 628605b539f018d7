/**
 * TOOL_DISCOVERY over the real protocol: the SDK client against in-process servers in each mode,
 * on an embedded store fed through the ingest endpoint. What tools/list shows changes with the
 * mode; what a call does does not: a tool run through call_tool or a per-toolset tool answers
 * what the direct call answers, refusals included, with the inner tool's own audit record. The
 * SDK client validates every structured result against the listed output schema, so passing
 * calls also prove the compact listed schemas hold (errors included).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startServerInProcess, type InProcessServer } from '../helpers/server.js';
import { connectHttpClient, readAudit, type AuditLine } from '../helpers/e2e.js';

const VIEWER = 'viewer-key-discovery-0123';
const OPERATOR = 'operator-key-discovery-0123';
const SHIPPER = 'shipper-key-discovery-0123';
const MODES = ['full', 'base', 'categories'] as const;
type Mode = (typeof MODES)[number];

const NOW = Date.now();
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();
const DATASET = 'logs-discovery';
const DOCS = [
  { '@timestamp': at(20), message: 'payment declined for order 1234', log: { level: 'error' }, service: { name: 'checkout' } },
  { '@timestamp': at(15), message: 'payment declined for order 5678', log: { level: 'error' }, service: { name: 'checkout' } },
  { '@timestamp': at(10), message: 'cart saved', log: { level: 'info' }, service: { name: 'cart' } },
];
/** A call whose answer depends only on the data: an absolute window, one dataset of the store. */
const SEARCH = { source: 'embedded', scope: DATASET, start_time: at(30), end_time: at(1) };
const FINDINGS = { findings: { cluster_health: { status: 'yellow', metrics: { unassigned_shards: 2 } } } };

// Every toolset served: a cluster and Logstash at unreachable URLs (a refused role never reaches
// them), and the embedded store for the log tools.
const SETTINGS = {
  ES_URL: 'http://127.0.0.1:9',
  LOGSTASH_URL: 'http://127.0.0.1:9',
  EMBEDDED_STORE: 'on',
  DEMO_DATA: 'false',
  API_KEYS: `${VIEWER}:elk_viewer,${OPERATOR}:elk_operator,${SHIPPER}:ingest`,
  // A meta-tool's inner call must run under its own call's slot, or this refuses every call_tool.
  MAX_CONCURRENT_PER_KEY: '1',
};

const servers = {} as Record<Mode, InProcessServer>;
const viewers = {} as Record<Mode, Client>;

type Result = Awaited<ReturnType<Client['callTool']>>;
const errorOf = (r: Result) => (r.structuredContent as { error?: { code: string; message: string; hint?: string } } | undefined)?.error;
/** A search result without the one field that differs between two calls: the server's clock. */
function stable(r: Result): unknown {
  const { window, ...rest } = r.structuredContent as { window: { server_now?: string } };
  return { ...rest, window: { ...window, server_now: undefined } };
}
function auditOf(mode: Mode): AuditLine[] {
  return readAudit(servers[mode].app.rt.config.DATA_DIR).filter((l) => l.phase === 'after');
}

beforeAll(async () => {
  for (const mode of MODES) {
    servers[mode] = await startServerInProcess({ ...SETTINGS, TOOL_DISCOVERY: mode });
    const body = DOCS.flatMap((d) => [JSON.stringify({ create: { _index: DATASET } }), JSON.stringify(d)]).join('\n') + '\n';
    const res = await fetch(`${servers[mode].url}/_bulk`, { method: 'POST', headers: { 'X-API-Key': SHIPPER, 'content-type': 'application/x-ndjson' }, body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { errors: boolean }).errors).toBe(false);
    viewers[mode] = await connectHttpClient(servers[mode].url, VIEWER);
  }
}, 60_000);

afterAll(async () => {
  for (const mode of MODES) {
    await viewers[mode]?.close();
    await servers[mode]?.close();
  }
});

async function listed(client: Client): Promise<{ names: string[]; bytes: number; tools: Awaited<ReturnType<Client['listTools']>>['tools'] }> {
  const result = await client.listTools();
  return { names: result.tools.map((t) => t.name), bytes: JSON.stringify(result).length, tools: result.tools };
}

async function restNames(mode: Mode, key: string): Promise<string[]> {
  const res = await fetch(`${servers[mode].url}/mcp/tools`, { headers: { 'X-API-Key': key } });
  return ((await res.json()) as { tools: { name: string }[] }).tools.map((t) => t.name);
}

describe('full (the default)', () => {
  it('lists every tool the role may call with compact output schemas, and describe_tool', async () => {
    const { names, tools } = await listed(viewers.full);
    expect(names).toContain('logs_search');
    expect(names).toContain('elk_cluster_health');
    expect(names).not.toContain('elk_query');
    expect(names.at(-1)).toBe('describe_tool');
    expect(names).not.toContain('call_tool');
    const search = tools.find((t) => t.name === 'logs_search')!;
    expect(search.outputSchema).toEqual({ type: 'object', properties: expect.objectContaining({ summary: {}, hits: {}, next_cursor: {} }) });
    expect(await restNames('full', VIEWER)).toEqual(names);
  });

  it('validates results and refusals against the compact schemas in the SDK client', async () => {
    await viewers.full.listTools();
    const ok = await viewers.full.callTool({ name: 'logs_search', arguments: SEARCH });
    expect(ok.isError, JSON.stringify(ok.structuredContent)).toBeFalsy();
    expect((ok.structuredContent as { total: number }).total).toBe(3);
    // A listed tool's refusal: the client validates its {error} against logs_search's listed schema.
    const refused = await viewers.full.callTool({ name: 'logs_search', arguments: { ...SEARCH, limit: 0 } });
    expect(errorOf(refused)?.code).toBe('invalid_input');
  });

  it('gives the full schemas through describe_tool and GET /mcp/tools/NAME, the same', async () => {
    const described = await viewers.full.callTool({ name: 'describe_tool', arguments: { name: 'logs_search' } });
    const tool = described.structuredContent as { name: string; role: string; inputSchema: Record<string, unknown>; outputSchema: { required: string[]; properties: Record<string, { items?: unknown }> } };
    expect(tool.name).toBe('logs_search');
    expect(tool.role).toBe('elk_viewer');
    expect(tool.outputSchema.required).toContain('hits');
    expect(tool.outputSchema.properties.hits.items).toBeDefined();
    const listedInput = (await viewers.full.listTools()).tools.find((t) => t.name === 'logs_search')!.inputSchema;
    expect(tool.inputSchema).toEqual(listedInput);
    const res = await fetch(`${servers.full.url}/mcp/tools/logs_search`, { headers: { 'X-API-Key': VIEWER } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { ok: boolean; tool: unknown }).tool).toEqual(tool);
    const refused = await fetch(`${servers.full.url}/mcp/tools/elk_query`, { headers: { 'X-API-Key': VIEWER } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('permission_denied');
  });
});

describe('base', () => {
  it('lists the four meta-tools on every door, small', async () => {
    const { names, bytes } = await listed(viewers.base);
    expect(names).toEqual(['list_tools', 'search_tools', 'describe_tool', 'call_tool']);
    expect(bytes).toBeLessThan(3000);
    expect(await restNames('base', VIEWER)).toEqual(names);
    const alias = await fetch(`${servers.base.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'X-API-Key': VIEWER },
      body: '{"jsonrpc":"2.0","id":1,"method":"mcp.list_tools"}',
    });
    expect(((await alias.json()) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name)).toEqual(names);
  });

  it('list_tools groups the tools the role may call, and pages them', async () => {
    const all = (await viewers.base.callTool({ name: 'list_tools', arguments: {} })).structuredContent as { toolsets: { name: string; tools: { name: string; summary: string }[] }[]; total: number; truncated: boolean };
    expect(all.toolsets.map((s) => s.name)).toEqual(['server', 'elk', 'logs', 'advice']);
    const names = all.toolsets.flatMap((s) => s.tools.map((t) => t.name));
    expect(names).toContain('logs_search');
    expect(names).not.toContain('elk_query');
    expect(names).not.toContain('elk_logstash_health');
    expect(names).not.toContain('list_tools');
    expect(all.total).toBe(names.length);
    expect(all.truncated).toBe(false);
    for (const t of all.toolsets.flatMap((s) => s.tools)) expect(t.summary.length, t.name).toBeLessThanOrEqual(110);
    const page = (await viewers.base.callTool({ name: 'list_tools', arguments: { limit: 3 } })).structuredContent as { total: number; truncated: boolean; next_cursor: string; toolsets: { tools: { name: string }[] }[] };
    expect(page).toMatchObject({ total: all.total, truncated: true, next_cursor: '3' });
    const next = (await viewers.base.callTool({ name: 'list_tools', arguments: { limit: 3, cursor: page.next_cursor } })).structuredContent as { toolsets: { tools: { name: string }[] }[] };
    expect([...page.toolsets, ...next.toolsets].flatMap((s) => s.tools.map((t) => t.name))).toEqual(names.slice(0, 6));
    const logs = (await viewers.base.callTool({ name: 'list_tools', arguments: { toolset: 'logs' } })).structuredContent as { toolsets: { name: string }[] };
    expect(logs.toolsets.map((s) => s.name)).toEqual(['logs']);
    const hidden = await viewers.base.callTool({ name: 'list_tools', arguments: { toolset: 'logstash' } });
    expect(errorOf(hidden)?.code).toBe('invalid_input');
    const operator = await connectHttpClient(servers.base.url, OPERATOR);
    try {
      const ops = (await operator.callTool({ name: 'list_tools', arguments: { toolset: 'logstash' } })).structuredContent as { toolsets: { tools: { name: string }[] }[] };
      expect(ops.toolsets[0].tools.map((t) => t.name)).toEqual(['elk_logstash_health']);
    } finally {
      await operator.close();
    }
  });

  it('search_tools ranks by name, arguments and description, within the role', async () => {
    const search = async (query: string) =>
      ((await viewers.base.callTool({ name: 'search_tools', arguments: { query } })).structuredContent as { matches: { name: string; arguments: string[] }[]; total_matches: number }).matches;
    expect((await search('error patterns'))[0].name).toBe('elk_detect_errors');
    expect((await search('kibana')).map((m) => m.name)).toEqual([]);
    expect((await search('trace_id')).map((m) => m.name)).toEqual(expect.arrayContaining(['elk_search_logs', 'logs_search']));
    expect((await search('logstash pipelines')).map((m) => m.name)).not.toContain('elk_logstash_health');
    expect((await search('query dsl')).map((m) => m.name)).not.toContain('elk_query');
    expect((await search('search logs'))[0].arguments).toContain('service_name');
  });

  it('describe_tool answers only for tools the role may call, as a direct call would refuse', async () => {
    const described = (await viewers.base.callTool({ name: 'describe_tool', arguments: { name: 'elk_recommend_fix' } })).structuredContent as { inputSchema: { required: string[] } };
    expect(described.inputSchema.required).toEqual(['findings']);
    const refused = await viewers.base.callTool({ name: 'describe_tool', arguments: { name: 'elk_logstash_health' } });
    const direct = await viewers.base.callTool({ name: 'elk_logstash_health', arguments: {} });
    expect(errorOf(refused)).toEqual(errorOf(direct));
    expect(errorOf(refused)?.code).toBe('permission_denied');
    expect(errorOf(await viewers.base.callTool({ name: 'describe_tool', arguments: { name: 'no_such_tool' } }))?.code).toBe('tool_not_found');
    expect(errorOf(await viewers.base.callTool({ name: 'describe_tool', arguments: { name: 'call_tool' } }))?.code).toBe('invalid_input');
  });

  it('call_tool answers exactly what the direct call answers, refusals included, with the inner audit record', async () => {
    const client = viewers.base;
    const direct = await client.callTool({ name: 'elk_recommend_fix', arguments: FINDINGS });
    const viaMeta = await client.callTool({ name: 'call_tool', arguments: { name: 'elk_recommend_fix', arguments: FINDINGS } });
    expect(direct.isError).toBeFalsy();
    expect(viaMeta.structuredContent).toEqual(direct.structuredContent);
    expect(viaMeta.content).toEqual(direct.content);
    const searched = await client.callTool({ name: 'call_tool', arguments: { name: 'logs_search', arguments: SEARCH } });
    expect((searched.structuredContent as { total: number }).total).toBe(3);
    expect(stable(searched)).toEqual(stable(await client.callTool({ name: 'logs_search', arguments: SEARCH })));

    const before = auditOf('base').length;
    const refused = await client.callTool({ name: 'call_tool', arguments: { name: 'elk_query', arguments: { index_pattern: 'logs-*', body: {} } } });
    const refusedDirect = await client.callTool({ name: 'elk_query', arguments: { index_pattern: 'logs-*', body: {} } });
    expect(refused.isError).toBe(true);
    expect(errorOf(refused)).toEqual(errorOf(refusedDirect));
    expect(errorOf(refused)?.code).toBe('permission_denied');
    const records = auditOf('base').slice(before);
    // call_tool's own record and the inner tool's, then the direct call's: the inner one is the direct one's twin.
    expect(records.map((r) => [r.tool, r.decision, r.code])).toEqual([
      ['elk_query', 'denied', 'permission_denied'],
      ['call_tool', 'denied', 'permission_denied'],
      ['elk_query', 'denied', 'permission_denied'],
    ]);
    expect(records[0]).toMatchObject({ caller: records[2].caller, role: 'elk_viewer', transport: 'mcp_http', status: 403 });

    expect(errorOf(await client.callTool({ name: 'call_tool', arguments: { name: 'no_such_tool' } }))).toEqual(errorOf(await client.callTool({ name: 'no_such_tool', arguments: {} })));
    expect(errorOf(await client.callTool({ name: 'call_tool', arguments: { name: 'logs_search', arguments: { nope: 1 } } }))?.code).toBe('invalid_input');
    expect(errorOf(await client.callTool({ name: 'call_tool', arguments: { name: 'call_tool', arguments: { name: 'telemcp_status' } } }))?.code).toBe('invalid_input');
  });

  it('records an allowed inner call as the inner tool, as the same caller', async () => {
    const before = auditOf('base').length;
    await viewers.base.callTool({ name: 'call_tool', arguments: { name: 'telemcp_status', arguments: {} } });
    const records = auditOf('base').slice(before);
    expect(records.map((r) => [r.tool, r.decision, r.code])).toEqual([
      ['telemcp_status', 'allowed', 'ok'],
      ['call_tool', 'allowed', 'ok'],
    ]);
    expect(records[0].caller).toBe(records[1].caller);
    // One request, one id: the inner record can be joined to the call that made it.
    expect(records[0].request_id).toBe(records[1].request_id);
  });
});

describe('categories', () => {
  it('lists one tool per toolset the role may use, naming only the tools it may call, and describe_tool', async () => {
    const { names, tools } = await listed(viewers.categories);
    expect(names).toEqual(['server', 'elk', 'logs', 'advice', 'describe_tool']);
    const elk = tools.find((t) => t.name === 'elk')!;
    const enumOf = (elk.inputSchema.properties as { tool: { enum: string[] } }).tool.enum;
    expect(enumOf).toContain('elk_search_logs');
    expect(enumOf).not.toContain('elk_query');
    expect(elk.description).toContain('- elk_search_logs: ');
    expect(elk.description).not.toContain('elk_query');
    expect(await restNames('categories', VIEWER)).toEqual(names);
    const operator = await connectHttpClient(servers.categories.url, OPERATOR);
    try {
      const ops = await listed(operator);
      expect(ops.names).toEqual(['server', 'elk', 'logstash', 'logs', 'advice', 'describe_tool']);
      expect((ops.tools.find((t) => t.name === 'elk')!.inputSchema.properties as { tool: { enum: string[] } }).tool.enum).toContain('elk_query');
    } finally {
      await operator.close();
    }
  });

  it('a toolset tool answers what the direct call answers, refusals included', async () => {
    const client = viewers.categories;
    const direct = await client.callTool({ name: 'elk_recommend_fix', arguments: FINDINGS });
    expect((await client.callTool({ name: 'advice', arguments: { tool: 'elk_recommend_fix', arguments: FINDINGS } })).structuredContent).toEqual(direct.structuredContent);
    const searched = await client.callTool({ name: 'logs', arguments: { tool: 'logs_search', arguments: SEARCH } });
    expect(stable(searched)).toEqual(stable(await client.callTool({ name: 'logs_search', arguments: SEARCH })));

    const before = auditOf('categories').length;
    const refused = await client.callTool({ name: 'elk', arguments: { tool: 'elk_query', arguments: { index_pattern: 'logs-*', body: {} } } });
    expect(errorOf(refused)).toEqual(errorOf(await client.callTool({ name: 'elk_query', arguments: { index_pattern: 'logs-*', body: {} } })));
    expect(auditOf('categories').slice(before).map((r) => [r.tool, r.code])).toEqual([
      ['elk_query', 'permission_denied'],
      ['elk', 'permission_denied'],
      ['elk_query', 'permission_denied'],
    ]);
    // A toolset none of whose tools the role may call is refused whole.
    expect(errorOf(await client.callTool({ name: 'logstash', arguments: { tool: 'elk_logstash_health' } }))?.code).toBe('permission_denied');
    expect(errorOf(await client.callTool({ name: 'logs', arguments: { tool: 'elk_recommend_fix', arguments: FINDINGS } }))?.code).toBe('invalid_input');
  });
});
