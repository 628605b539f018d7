/**
 * SECURITY.md §8 hostile corpus (Elasticsearch and transport rows), generalised per class and
 * replayed through all six front doors: the decision must be the expected code and identical
 * at REST, MCP Streamable HTTP, legacy SSE, the mcp.execute alias, stdio and the CLI, and refused calls must be decided
 * before any backend request, which a counting forwarder in front of the real
 * Elasticsearch verifies. Rows: P-01..P-08, P-12, A-05, A-06, A-08, A-09, A-12, H-69, H-71, H-79, T-19.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS, type ErrorCode } from '../../src/core/errors.js';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { CountingProxy, deleteIndices, es, randSuffix, requireTestEsUrl, type ProxiedRequest } from '../helpers/security-counting-proxy.js';
import { bodyOfDepth, jsonDepth, operatorRows, viewerRows, type CorpusRow } from './corpus.js';
import { DOORS, FrontDoors, decisionOf, type Decision, type Door, type ToolCall } from './front-doors.js';

const suffix = randSuffix();
const LOGS = `logs-sec-${suffix}`;
const SECRETS = `secrets-sec-${suffix}`;
const ALIAS = `logs-sec-${suffix}-alias`;
/** An allowed index where `n` is a keyword, beside LOGS where it is a long: one query, one shard failing. */
const LOGS_KW = `logs-sec-${suffix}-kw`;
/** A value the cluster quotes in its error reasons; it must never reach a caller. */
const QUOTED_VALUE = `VALUE-${randSuffix()}`;
const OPERATOR_KEY = `op_${randomBytes(18).toString('hex')}`;
const VIEWER_KEY = `vw_${randomBytes(18).toString('hex')}`;
const ALLOWED = 'logs-*,metrics-*';
/** BACKEND_TIMEOUT_MS default 30 s → the guard sends 29s (one second under the deadline). */
const SERVER_TIMEOUT = '29s';

let proxy: CountingProxy;
let server: RunningServer;
let operator: FrontDoors;
let viewer: FrontDoors;
let doorEnv: Record<string, string>;

beforeAll(async () => {
  const target = requireTestEsUrl();
  await deleteIndices(LOGS, SECRETS, LOGS_KW);
  await es('PUT', `/${LOGS}`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { message: { type: 'text' }, '@timestamp': { type: 'date' }, n: { type: 'long' } } } });
  await es('PUT', `/${LOGS_KW}`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { n: { type: 'keyword' } } } });
  await es('POST', `/${LOGS_KW}/_doc/1?refresh=true`, { n: 'x' });
  await es('PUT', `/${SECRETS}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
  await es('POST', `/${LOGS}/_doc/1?refresh=true`, { message: 'hello from the allowed index', '@timestamp': '2026-01-01T00:00:00Z' });
  await es('POST', `/${SECRETS}/_doc/1?refresh=true`, { secret: 'TOP-SECRET-VALUE-DO-NOT-RETURN' });

  proxy = new CountingProxy({ target });
  await proxy.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'telemcp-sec-corpus-'));
  // Every door must reach Elasticsearch itself: the query cache (tested in query-cache tests) would answer the doors after the first.
  const common = { ES_URL: proxy.url, ALLOWED_INDEX_PATTERNS: ALLOWED, RATE_LIMIT_PER_MINUTE: '1000000', QUERY_CACHE_MAX_BYTES: '0', DATA_DIR: dataDir };
  server = await startServerProcess({ ...common, API_KEYS: `${OPERATOR_KEY}:elk_operator,${VIEWER_KEY}:elk_viewer` });
  doorEnv = { ...common, LOG_LEVEL: 'warn' };
  operator = new FrontDoors({ url: server.url, apiKey: OPERATOR_KEY, role: 'elk_operator', env: doorEnv });
  viewer = new FrontDoors({ url: server.url, apiKey: VIEWER_KEY, role: 'elk_viewer', env: doorEnv });
  // Connect the long-lived clients up front so per-row timings are only the call.
  await Promise.all([operator.mcpClient(), operator.sseClient(), operator.rawSseSession(), operator.stdioClient(), operator.rawStdioSession(), viewer.mcpClient(), viewer.sseClient(), viewer.rawSseSession(), viewer.stdioClient()]);
});

afterAll(async () => {
  await operator?.close();
  await viewer?.close();
  await server?.stop();
  await proxy?.stop();
  await deleteIndices(LOGS, SECRETS, LOGS_KW);
});

function decisions(res: Record<Door, Decision>): Record<Door, { ok: boolean; code: string | null }> {
  return Object.fromEntries(DOORS.map((d) => [d, decisionOf(res[d])])) as Record<Door, { ok: boolean; code: string | null }>;
}

function expectEverywhere(res: Record<Door, Decision>, expected: { ok: boolean; code: string | null }): void {
  const want = Object.fromEntries(DOORS.map((d) => [d, expected]));
  const got = decisions(res);
  // Messages help when a door disagrees.
  expect(got, JSON.stringify(Object.fromEntries(DOORS.map((d) => [d, res[d].message?.slice(0, 200)])))).toEqual(want);
  if (!expected.ok) {
    expect(res.rest.status, 'REST status from the error table').toBe(ERROR_STATUS[expected.code as ErrorCode]);
    expect(res.cli.status, 'CLI exit code').toBe(1);
    expect(res.jsonrpc.status, 'mcp.execute alias status from the error table').toBe(ERROR_STATUS[expected.code as ErrorCode]);
  } else {
    expect(res.rest.status).toBe(200);
    expect(res.cli.status).toBe(0);
  }
}

function expectBackend(seen: ProxiedRequest[], backend: CorpusRow['backend']): void {
  const paths = seen.map((r) => `${r.method} ${r.url}`);
  if (backend === 'none') expect(paths, 'backend requests for a refused call').toEqual([]);
  if (backend === 'resolve_only') {
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(p).toMatch(/^GET \/_resolve\/index\/[^?]+\?expand_wildcards=open$/);
  }
}

async function runRow(doors: FrontDoors, row: CorpusRow, mustNotMention?: string): Promise<void> {
  const mark = proxy.count;
  const res = await doors.all(row.call);
  expectEverywhere(res, { ok: false, code: row.expect });
  expectBackend(proxy.since(mark), row.backend);
  if (mustNotMention) for (const d of DOORS) expect(res[d].message ?? '', d).not.toContain(mustNotMention);
}

describe('hostile corpus through every front door: operator (elk_operator)', () => {
  const rows = operatorRows(SECRETS);

  it('covers every Elasticsearch corpus class', () => {
    const ids = new Set(rows.map((r) => r.id));
    for (const id of ['H-01', 'H-03', 'H-05', 'H-07', 'H-09', 'H-11', 'H-13', 'H-15', 'H-17', 'H-19', 'H-21', 'H-23', 'H-25', 'H-29', 'H-31', 'H-33', 'H-35', 'H-37', 'H-39', 'H-41', 'H-61', 'H-69', 'H-83', 'H-84']) {
      expect(ids.has(id), id).toBe(true);
    }
  });

  it.each(rows.map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', async (_label, row) => {
    await runRow(operator, row);
  });

  it('H-33/P-06: the server stays responsive after 20 concurrent 10,000-level bodies', async () => {
    const deep = rows.find((r) => r.name.startsWith('10,000-level')) as CorpusRow;
    const results = await Promise.all(Array.from({ length: 20 }, () => operator.rest(deep.call)));
    for (const r of results) expect(decisionOf(r)).toEqual({ ok: false, code: 'invalid_input' });
    const health = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) });
    expect(health.status).toBe(200);
  });
});

describe('A-07 depth margins: the same arguments get the same decision at every door', () => {
  // The envelope differs per door (CLI: none; REST: {"input":…}; JSON-RPC: {"params":{"arguments":…}}),
  // so a body near the depth limit must not pass one door and be refused as too deep at another.
  it.each([40, 44, 45, 46, 47, 48])('script at body depth %i → query_denied everywhere', async (depth) => {
    const text = bodyOfDepth(depth);
    expect(jsonDepth(text)).toBe(depth);
    await runRow(operator, { id: 'A-07', name: `depth ${depth}`, call: { tool: 'elk_query', raw: `{"index_pattern":"logs-*","body":${text}}` }, expect: 'query_denied', backend: 'none' });
  });

  it.each([49, 50, 52])('body depth %i → invalid_input everywhere', async (depth) => {
    const text = bodyOfDepth(depth);
    expect(jsonDepth(text)).toBe(depth);
    await runRow(operator, { id: 'A-07', name: `depth ${depth}`, call: { tool: 'elk_query', raw: `{"index_pattern":"logs-*","body":${text}}` }, expect: 'invalid_input', backend: 'none' });
  });

  it.each([46, 47, 48])('viewer with a body of depth %i → permission_denied everywhere', async (depth) => {
    await runRow(viewer, { id: 'A-07', name: `viewer depth ${depth}`, call: { tool: 'elk_query', raw: `{"index_pattern":"logs-*","body":${bodyOfDepth(depth)}}` }, expect: 'permission_denied', backend: 'none' });
  });
});

describe('positive controls: allowed calls pass at every door and reach the backend', () => {
  it('a plain query on an allowed index returns its document', async () => {
    const mark = proxy.count;
    const res = await operator.all({ tool: 'elk_query', args: { index_pattern: LOGS, body: { query: { match_all: {} }, size: 5 } } });
    expectEverywhere(res, { ok: true, code: null });
    for (const d of DOORS) expect((res[d].data as { total: number }).total, d).toBe(1);
    const searches = proxy.since(mark).filter((r) => r.url.includes('/_search'));
    expect(searches).toHaveLength(DOORS.length);
  });

  it('H-39/P-08: the caller timeout "1h" is replaced by the server value; expand_wildcards=open is always sent (P-04)', async () => {
    const mark = proxy.count;
    const res = await operator.all({ tool: 'elk_query', args: { index_pattern: LOGS, body: { query: { match_all: {} }, size: 1, timeout: '1h' } } });
    expectEverywhere(res, { ok: true, code: null });
    const seen = proxy.since(mark);
    const searches = seen.filter((r) => r.url.includes('/_search'));
    expect(searches).toHaveLength(DOORS.length);
    for (const s of searches) {
      expect(s.method).toBe('POST');
      expect((JSON.parse(s.body) as { timeout?: string }).timeout).toBe(SERVER_TIMEOUT);
      expect(s.url).not.toMatch(/timeout=1h|scroll=|keep_alive/);
      expect(new URL(s.url, 'http://x').searchParams.get('expand_wildcards')).toBe('open');
    }
    for (const r of seen.filter((x) => x.url.startsWith('/_resolve/'))) expect(new URL(r.url, 'http://x').searchParams.get('expand_wildcards')).toBe('open');
  });
});

describe('H-85 (issue 10): backend error text reaches the caller only as exception types and a safe summary', () => {
  // Elasticsearch quotes the value a query met in its reasons ("For input string: …"); through a
  // lookup that value was a document's. The query below makes the real cluster quote one.
  const failing = { query: { term: { n: QUOTED_VALUE } }, size: 1 };

  it('one shard failing (200, partial): shard_failures name the types, never the quoted value', async () => {
    const res = await operator.all({ tool: 'elk_query', args: { index_pattern: `${LOGS},${LOGS_KW}`, body: failing } });
    expectEverywhere(res, { ok: true, code: null });
    for (const d of DOORS) {
      const data = res[d].data as { partial: boolean; shard_failures?: Array<{ index: string; reason: string }> };
      expect(data.partial, d).toBe(true);
      expect(data.shard_failures?.[0].reason, d).toBe('query_shard_exception (caused by number_format_exception): a value is not a number where the field expects one');
      expect(JSON.stringify(res[d].data), d).not.toContain(QUOTED_VALUE);
    }
  });

  it('every shard failing (400): backend_error naming the types, never the quoted value', async () => {
    const res = await operator.all({ tool: 'elk_query', args: { index_pattern: LOGS, body: failing } });
    expectEverywhere(res, { ok: false, code: 'backend_error' });
    for (const d of DOORS) {
      expect(res[d].message, d).toContain('search_phase_execution_exception (caused by query_shard_exception, number_format_exception)');
      expect(res[d].message, d).not.toContain(QUOTED_VALUE);
    }
    for (const text of operator.transcript) expect(text).not.toContain(QUOTED_VALUE);
  });
});

describe('H-27: an allowed-looking alias that points at a denied index', () => {
  beforeAll(async () => {
    await es('POST', '/_aliases', { actions: [{ add: { index: SECRETS, alias: ALIAS } }] });
  });
  // The alias makes every logs-* search refuse while it exists (fail-closed), which would
  // disturb other suites sharing the cluster: it lives only for these rows.
  afterAll(async () => {
    await es('POST', '/_aliases', { actions: [{ remove: { index: SECRETS, alias: ALIAS } }] }).catch(() => undefined);
  });

  const rows: CorpusRow[] = [
    { id: 'H-27', name: 'the alias by name', call: { tool: 'elk_query', args: { index_pattern: ALIAS, body: { query: { match_all: {} } } } }, expect: 'index_pattern_denied', backend: 'resolve_only' },
    { id: 'H-27', name: 'a wildcard that matches the alias', call: { tool: 'elk_query', args: { index_pattern: `logs-sec-${suffix}-*`, body: { query: { match_all: {} } } } }, expect: 'index_pattern_denied', backend: 'resolve_only' },
    { id: 'H-27', name: 'the allowed index plus the alias', call: { tool: 'elk_query', args: { index_pattern: `${LOGS},${ALIAS}`, body: {} } }, expect: 'index_pattern_denied', backend: 'resolve_only' },
    { id: 'H-27', name: 'elk_indices_summary on the alias', call: { tool: 'elk_indices_summary', args: { index_pattern: ALIAS } }, expect: 'index_pattern_denied', backend: 'resolve_only' },
  ];
  it.each(rows.map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s (the denied target is not named)', async (_label, row) => {
    await runRow(operator, row, SECRETS);
  });
});

describe('viewer key (elk_viewer): role enforced at every door, before any backend call', () => {
  it.each(viewerRows().map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', async (_label, row) => {
    await runRow(viewer, row);
  });

  it('A-05: elk_query is absent from the viewer lists and the sets are identical on every surface', async () => {
    const lists = await viewer.toolNames();
    expect(lists.mcp).not.toContain('elk_query');
    expect(lists.mcp.length).toBeGreaterThan(0);
    for (const d of DOORS) expect(lists[d], d).toEqual(lists.mcp);
    const op = await operator.toolNames();
    expect(op.mcp).toContain('elk_query');
    for (const d of DOORS) expect(op[d], d).toEqual(op.mcp);
  });
});

describe('H-69: prototype pollution through the REST body', () => {
  it.each([
    ['corpus text', '{"tool":"es_search","args":{"__proto__":{"role":"admin_readonly"},"index":"secrets"}}'],
    ['telemcp shape', '{"tool_name":"elk_query","input":{"__proto__":{"role":"elk_admin_readonly"},"index_pattern":"secrets","body":{}}}'],
    ['top-level __proto__', '{"__proto__":{"role":"elk_admin_readonly"},"tool_name":"elk_query","input":{"index_pattern":"logs-*","body":{}}}'],
    ['constructor.prototype', '{"tool_name":"elk_query","input":{"constructor":{"prototype":{"role":"elk_admin_readonly"}},"index_pattern":"logs-*","body":{}}}'],
  ])('%s → invalid_input, and the viewer is still a viewer afterwards', async (_label, text) => {
    const mark = proxy.count;
    const first = await viewer.restText(text);
    expect(decisionOf(first)).toEqual({ ok: false, code: 'invalid_input' });
    expect(first.status).toBe(400);
    const next = await viewer.rest({ tool: 'elk_query', args: { index_pattern: 'logs-*', body: {} } });
    expect(decisionOf(next)).toEqual({ ok: false, code: 'permission_denied' });
    const status = await viewer.rest({ tool: 'telemcp_status', args: {} });
    expect((status.data as { caller: { role: string } }).caller.role).toBe('elk_viewer');
    expect(proxy.since(mark)).toEqual([]);
    // The same bodies over JSON-RPC (mcp.execute alias) are refused too.
    const rpc = await viewer.mcpRawText(`{"jsonrpc":"2.0","id":1,"method":"mcp.execute","params":${text}}`);
    expect(decisionOf(rpc)).toEqual({ ok: false, code: 'invalid_input' });
  });
});

describe('H-71: identity comes from the key alone', () => {
  const spoof = { 'X-Role': 'elk_admin_readonly', 'X-Forwarded-User': 'admin', 'X-Forwarded-For': '127.0.0.1', 'X-Real-IP': '127.0.0.1', Forwarded: 'for=127.0.0.1' };

  it('a viewer key with X-Role/X-Forwarded-* stays a viewer on REST and MCP', async () => {
    const call: ToolCall = { tool: 'elk_query', args: { index_pattern: LOGS, body: {} } };
    const rest = await viewer.rest(call, spoof);
    expect(decisionOf(rest)).toEqual({ ok: false, code: 'permission_denied' });
    const mcp = await viewer.mcpRawText(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"elk_query","arguments":${JSON.stringify(call.args)}}}`, spoof);
    expect(decisionOf(mcp)).toEqual({ ok: false, code: 'permission_denied' });
    const plain = await (await fetch(`${server.url}/mcp/tools`, { headers: { 'x-api-key': VIEWER_KEY } })).json();
    const spoofed = await (await fetch(`${server.url}/mcp/tools`, { headers: { 'x-api-key': VIEWER_KEY, ...spoof } })).json();
    expect(spoofed).toEqual(plain);
    const status = await viewer.rest({ tool: 'telemcp_status', args: {} }, spoof);
    expect((status.data as { caller: { role: string } }).caller.role).toBe('elk_viewer');
  });

  it('no loopback trust from X-Forwarded-For, no key from the query string (A-02) or spoofed headers → 401', async () => {
    const attempts: Array<Record<string, string>> = [spoof, { 'X-Forwarded-For': '127.0.0.1' }, {}];
    for (const headers of attempts) {
      const res = await fetch(`${server.url}/mcp/tools`, { headers });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('authentication_failed');
    }
    const viaQuery = await fetch(`${server.url}/mcp/tools?api_key=${VIEWER_KEY}`);
    expect(viaQuery.status).toBe(401);
    const rpc = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...spoof },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    expect(rpc.status).toBe(401);
  });
});

describe('after the corpus: what the backend saw (A-09, A-12) and stdio purity (T-19)', () => {
  it('A-09: the backend never received the client API keys or X-API-Key', () => {
    expect(proxy.count).toBeGreaterThan(0);
    for (const r of proxy.requests) {
      expect(Object.keys(r.headers)).not.toContain('x-api-key');
      expect(Object.keys(r.headers).some((h) => /^x-(?:role|forwarded|scope-orgid)/i.test(h))).toBe(false);
      const all = JSON.stringify(r.headers) + r.url + r.body;
      expect(all).not.toContain(OPERATOR_KEY);
      expect(all).not.toContain(VIEWER_KEY);
    }
  });

  it('A-12: only GET and POST _search reached the backend; no CRLF ever reached a request line or header', () => {
    for (const r of proxy.requests) {
      expect(['GET', 'POST']).toContain(r.method);
      if (r.method === 'POST') expect(r.url).toMatch(/^\/[^/_][^/]*\/_search(?:\?|$)/);
      expect(decodeURIComponent(r.url)).not.toMatch(/[\r\n]/);
      expect(Object.keys(r.headers).some((h) => /tenant|orgid/i.test(h))).toBe(false);
    }
  });

  it('T-19: every line the stdio server wrote to stdout is a JSON-RPC message; its logs went to stderr', async () => {
    const session = await operator.rawStdioSession();
    expect(session.stdoutLines.length).toBeGreaterThan(10);
    for (const line of session.stdoutLines) {
      const msg = JSON.parse(line) as { jsonrpc?: string };
      expect(msg.jsonrpc).toBe('2.0');
    }
  });
});
