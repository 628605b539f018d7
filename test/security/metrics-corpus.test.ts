/**
 * SECURITY.md §8's PromQL and Alertmanager rows, generalised per class and replayed through all
 * six front doors (REST, MCP Streamable HTTP, legacy SSE, the mcp.execute alias, stdio and the
 * CLI) against the real Prometheus 3 and Alertmanager of scripts/test-env.sh, each behind a
 * counting forwarder: the decision must be the expected code at every door (A-07), refused calls
 * must be decided before any backend request (P-09), and what the backends did receive is checked:
 * start and end always sent to the discovery APIs (H-47), the configured tenant only and no CR/LF
 * (H-61, A-09), the server's query timeout (P-08/H-39), read paths only (A-12), Prometheus
 * warnings surfaced (R-13), backend error text kept from the caller (D-09), the Alertmanager
 * filter sent as one escaped matcher. Rows: H-43, H-45, H-47, H-61, P-02, P-08, P-09, P-12, A-05,
 * A-09, A-12, D-09, R-13.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS, type ErrorCode } from '../../src/core/errors.js';
import { parsePromql } from '../../src/backends/metrics/promql-ast.js';
import { requireMetricsUrl } from '../helpers/metrics-env.js';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { CountingProxy, randSuffix, type CannedResponse, type ProxiedRequest } from '../helpers/security-counting-proxy.js';
import { DOORS, FrontDoors, decisionOf, type Decision, type Door, type ToolCall } from './front-doors.js';
import { METRIC_TOOLS, alertEscapeRows, alertRefusedRows, extraArgRows, matchAllRows, matchAllSpellingRows, pathRows, rangeOrderRows, rangeRows, syntaxRows, type MetricsRow } from './metrics-corpus.js';

const OPERATOR_KEY = `op_${randomBytes(18).toString('hex')}`;
const VIEWER_KEY = `vw_${randomBytes(18).toString('hex')}`;
const TENANT = 'tenant-a';
/** BACKEND_TIMEOUT_MS default 30 s → the query's own timeout is one second under it. */
const SERVER_TIMEOUT = '29s';
const RUN = randSuffix();
/** A value a backend quotes in its error text; it must never reach a caller (D-09). */
const SECRET = `SECRET-VALUE-${RUN}`;
const METRICS_TOOLS = METRIC_TOOLS.map((t) => t.tool);

let prom: CountingProxy;
let am: CountingProxy;
let server: RunningServer;
let viewer: FrontDoors;
let operator: FrontDoors;

/** Requests both forwarders received, in arrival order per forwarder. */
const allRequests = (): Array<ProxiedRequest & { backend: 'prometheus' | 'alertmanager' }> => [
  ...prom.requests.map((r) => ({ ...r, backend: 'prometheus' as const })),
  ...am.requests.map((r) => ({ ...r, backend: 'alertmanager' as const })),
];

interface Mark {
  prom: number;
  am: number;
}
const mark = (): Mark => ({ prom: prom.count, am: am.count });
const seenSince = (m: Mark): { prom: ProxiedRequest[]; am: ProxiedRequest[] } => ({ prom: prom.since(m.prom), am: am.since(m.am) });

/** Waits until neither forwarder has received a request for `quietMs` (the start-up checks of serve and stdio are done). */
async function settle(quietMs = 2000, maxMs = 60_000): Promise<void> {
  const until = Date.now() + maxMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < until) {
    const now = prom.count + am.count;
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  prom = new CountingProxy({ target: requireMetricsUrl('TEST_PROMETHEUS_URL') });
  am = new CountingProxy({ target: requireMetricsUrl('TEST_ALERTMANAGER_URL') });
  await Promise.all([prom.start(), am.start()]);
  const dataDir = mkdtempSync(join(tmpdir(), 'telemcp-sec-metrics-'));
  const common = {
    PROMETHEUS_URL: prom.url,
    PROMETHEUS_HEADERS: `X-Scope-OrgID=${TENANT}`,
    ALERTMANAGER_URL: am.url,
    ALERTMANAGER_HEADERS: `X-Scope-OrgID=${TENANT}`,
    EMBEDDED_STORE: 'off',
    RATE_LIMIT_PER_MINUTE: '1000000',
    // Every door must reach the backend itself: the query cache (tested in query-cache tests) would answer the doors after the first.
    QUERY_CACHE_MAX_BYTES: '0',
    DATA_DIR: dataDir,
  };
  server = await startServerProcess({ ...common, API_KEYS: `${OPERATOR_KEY}:elk_operator,${VIEWER_KEY}:elk_viewer` });
  const env = { ...common, LOG_LEVEL: 'warn' };
  viewer = new FrontDoors({ url: server.url, apiKey: VIEWER_KEY, role: 'elk_viewer', env, timeoutMs: 45_000 });
  operator = new FrontDoors({ url: server.url, apiKey: OPERATOR_KEY, role: 'elk_operator', env, timeoutMs: 45_000 });
  // Long-lived clients up front, so a row's time is only its call; then the start-up checks
  // (saved queries priced against Prometheus) of serve and stdio finish before any row counts.
  await Promise.all([viewer.mcpClient(), viewer.sseClient(), viewer.rawSseSession(), viewer.stdioClient(), viewer.rawStdioSession(), operator.mcpClient(), operator.sseClient(), operator.stdioClient()]);
  await settle();
}, 180_000);

afterAll(async () => {
  await viewer?.close();
  await operator?.close();
  await server?.stop();
  await prom?.stop();
  await am?.stop();
});

function expectEverywhere(res: Record<Door, Decision>, expected: { ok: boolean; code: string | null }): void {
  const got = Object.fromEntries(DOORS.map((d) => [d, decisionOf(res[d])]));
  const want = Object.fromEntries(DOORS.map((d) => [d, expected]));
  expect(got, JSON.stringify(Object.fromEntries(DOORS.map((d) => [d, res[d].message?.slice(0, 200)])))).toEqual(want);
  if (!expected.ok) {
    expect(res.rest.status, 'REST status from the error table').toBe(ERROR_STATUS[expected.code as ErrorCode]);
    expect(res.jsonrpc.status, 'mcp.execute alias status from the error table').toBe(ERROR_STATUS[expected.code as ErrorCode]);
    expect(res.cli.status, 'CLI exit code').toBe(1);
  } else {
    expect(res.rest.status).toBe(200);
    expect(res.cli.status).toBe(0);
  }
}

const describeRequests = (rs: ProxiedRequest[]): string[] => rs.map((r) => `${r.method} ${r.url.slice(0, 160)}`);

/**
 * Rows run a few at a time: each row's six doors already run at once, and the server allows 16
 * calls in flight per API key, four doors of a row being HTTP ones.
 */
function limiter(slots: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let free = slots;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    if (free > 0) free--;
    else await new Promise<void>((r) => waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}
const slot = limiter(3);

/**
 * A refused row: the code at every door and no request at either backend. Refused rows run
 * concurrently (REFUSED): a row that did reach a backend also shows up in the rows beside it,
 * so every row run this way is one the code refuses today; rows that find a defect run alone.
 */
async function runRefused(doors: FrontDoors, row: MetricsRow): Promise<void> {
  await slot(async () => {
    const m = mark();
    const res = await doors.all(row.call);
    expectEverywhere(res, { ok: false, code: row.expect });
    const seen = seenSince(m);
    expect(describeRequests(seen.prom), 'Prometheus requests for a refused call (or for a row running beside it)').toEqual([]);
    expect(describeRequests(seen.am), 'Alertmanager requests for a refused call (or for a row running beside it)').toEqual([]);
  });
}

/** An accepted call at every door: ok everywhere; returns the answers and what each backend received meanwhile. */
async function runAccepted(doors: FrontDoors, call: ToolCall): Promise<{ res: Record<Door, Decision>; prom: ProxiedRequest[]; am: ProxiedRequest[] }> {
  const m = mark();
  const res = await doors.all(call);
  expectEverywhere(res, { ok: true, code: null });
  return { res, ...seenSince(m) };
}

const params = (r: ProxiedRequest): URLSearchParams => {
  const u = new URL(r.url, 'http://x');
  // A POST form (long queries) carries the same parameters in the body.
  return r.method === 'POST' ? new URLSearchParams(r.body) : u.searchParams;
};
const pathOf = (r: ProxiedRequest): string => new URL(r.url, 'http://x').pathname;

/** Refused rows run concurrently (see runRefused); rows that find a defect run ALONE, so they cannot blur the others. */
const REFUSED = { concurrent: true, timeout: 300_000 } as const;
const ALONE = { timeout: 120_000 } as const;

describe('refused before any backend request, at every front door (viewer key)', () => {
  it.each(matchAllRows().map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', REFUSED, async (_l, row) => runRefused(viewer, row));
  it.each(rangeRows().map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', REFUSED, async (_l, row) => runRefused(viewer, row));
  it.each(syntaxRows().map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', REFUSED, async (_l, row) => runRefused(viewer, row));
  it.each(pathRows().map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', REFUSED, async (_l, row) => runRefused(viewer, row));
  it.each(extraArgRows().map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', REFUSED, async (_l, row) => runRefused(viewer, row));
  it.each(alertRefusedRows().map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', REFUSED, async (_l, row) => runRefused(viewer, row));
});

describe('H-43: other spellings of a regex that matches every metric name', () => {
  // `.+` is refused; so must be what RE2 reads the same way over metric names.
  it.each(matchAllSpellingRows().map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', ALONE, async (_l, row) => runRefused(viewer, row));
});

describe('H-45: a range must start before it ends', () => {
  it.each(rangeOrderRows().map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', ALONE, async (_l, row) => runRefused(viewer, row));
});

describe('H-61: control characters written as matcher escapes in an alerts_active filter', () => {
  it.each(alertEscapeRows().map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', ALONE, async (_l, row) => runRefused(viewer, row));
});

describe('the same decisions for the operator key', () => {
  const sample = [...matchAllRows().slice(0, 6), ...rangeRows().slice(0, 3), ...extraArgRows().filter((r) => r.call.tool === 'promql_query')];
  it.each(sample.map((r) => [`${r.id} ${r.name} → ${r.expect}`, r] as const))('%s', REFUSED, async (_l, row) => runRefused(operator, row));
});

describe('accepted calls without a backend request', () => {
  it('prom_discover lint reports a match-all expression as refused and asks nothing of Prometheus', async () => {
    const m = mark();
    const res = await viewer.all({ tool: 'prom_discover', args: { what: 'lint', expr: 'count by (__name__)({__name__=~".+"})' } });
    expectEverywhere(res, { ok: true, code: null });
    for (const d of DOORS) expect((res[d].data as { lint: { refused?: string } }).lint.refused, d).toMatch(/matches every series/);
    expect(describeRequests(seenSince(m).prom)).toEqual([]);
  });

  it('prom_discover lint reports a 365-day subquery as refused', async () => {
    const m = mark();
    const res = await viewer.all({ tool: 'prom_discover', args: { what: 'lint', expr: 'max_over_time(up[365d:1s])' } });
    expectEverywhere(res, { ok: true, code: null });
    for (const d of DOORS) expect((res[d].data as { lint: { refused?: string } }).lint.refused, d).toMatch(/365d/);
    expect(describeRequests(seenSince(m).prom)).toEqual([]);
  });
});

describe('H-47: the discovery APIs always receive a window', () => {
  const windowed = { start: '2026-01-01T10:00:00Z', end: '2026-01-01T11:30:00Z' };
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['series', { match: 'up{job="prometheus"}' }, '/api/v1/series'],
    ['labels', {}, '/api/v1/labels'],
    ['labels', { match: 'up' }, '/api/v1/labels'],
    ['label_values', { label: 'job' }, '/api/v1/label/job/values'],
    ['label_values', { label: 'instance', match: 'up{job="node"}' }, '/api/v1/label/instance/values'],
    ['metrics', {}, '/api/v1/label/__name__/values'],
    ['metrics', { filter: 'http' }, '/api/v1/label/__name__/values'],
  ];
  const rows = cases.flatMap(([what, args, path]) => [
    [`${what} ${JSON.stringify(args)} without a window`, what, args, path, false] as const,
    [`${what} ${JSON.stringify(args)} with a window`, what, args, path, true] as const,
  ]);

  it.each(rows)('%s → start and end sent', { timeout: 120_000 }, async (_l, what, args, path, withWindow) => {
    const seen = await runAccepted(viewer, { tool: 'prom_discover', args: { what, ...args, ...(withWindow ? windowed : {}) } });
    const calls = seen.prom.filter((r) => pathOf(r) === path);
    expect(calls, describeRequests(seen.prom).join('\n')).toHaveLength(DOORS.length);
    for (const r of calls) {
      const p = params(r);
      expect(p.getAll('start'), r.url).toHaveLength(1);
      expect(p.getAll('end'), r.url).toHaveLength(1);
      const start = Number(p.get('start'));
      const end = Number(p.get('end'));
      expect(Number.isFinite(start) && Number.isFinite(end) && end > start, r.url).toBe(true);
      if (withWindow) {
        expect(start).toBe(Date.parse(windowed.start) / 1000);
        expect(end).toBe(Date.parse(windowed.end) / 1000);
      } else {
        // The default window: the last hour.
        expect(end - start).toBeGreaterThanOrEqual(3599);
        expect(end - start).toBeLessThanOrEqual(3601);
      }
      // The match is the selector in canonical form, never widened.
      for (const m of p.getAll('match[]')) expect(m).not.toMatch(/=~"\.[*+]"/);
      expect(Number(p.get('limit'))).toBeGreaterThan(0);
    }
  });
});

describe('every metrics tool answers a viewer at every door; the backend sees the tenant and the timeout of the configuration', () => {
  const calls: Array<[string, ToolCall]> = [
    ['promql_query instant', { tool: 'promql_query', args: { expr: 'up{job="prometheus"}' } }],
    ['promql_query range', { tool: 'promql_query', args: { expr: 'rate(prometheus_http_requests_total{job="prometheus"}[5m])', start: 'now-30m', step: '1m' } }],
    ['promql_query aggregation', { tool: 'promql_query', args: { expr: 'sum by (job) (up)' } }],
    ['prom_discover metadata', { tool: 'prom_discover', args: { what: 'metadata', metric: 'up' } }],
    ['prom_targets_rules', { tool: 'prom_targets_rules', args: {} }],
    ['alerts_active', { tool: 'alerts_active', args: { limit: 5 } }],
    ['metrics_changes', { tool: 'metrics_changes', args: { expr: 'up{job="prometheus"}', start: 'now-30m' } }],
    // The day-earlier baseline is read as its own range; a short window must not be priced as one range spanning both.
    ['metrics_changes over the last 10 minutes', { tool: 'metrics_changes', args: { expr: 'up{job="prometheus"}', start: 'now-10m' } }],
    ['host_facts', { tool: 'host_facts', args: { limit: 2 } }],
  ];

  it('covers every metrics tool', () => {
    expect(new Set(calls.map(([, c]) => c.tool))).toEqual(new Set(METRICS_TOOLS));
  });

  it.each(calls)('%s', { timeout: 180_000 }, async (_l, call) => {
    const seen = await runAccepted(viewer, call);
    const backend = call.tool === 'alerts_active' ? seen.am : seen.prom;
    expect(backend.length, 'each door reached the backend').toBeGreaterThanOrEqual(DOORS.length);
    for (const r of [...seen.prom, ...seen.am]) expect(r.headers['x-scope-orgid'], r.url).toBe(TENANT);
    // P-08/H-39: the PromQL evaluations carry the server's timeout.
    const evaluations = seen.prom.filter((r) => /^\/api\/v1\/query(?:_range)?$/.test(pathOf(r)));
    if (call.tool !== 'prom_discover' && call.tool !== 'prom_targets_rules' && call.tool !== 'alerts_active') expect(evaluations.length).toBeGreaterThanOrEqual(DOORS.length);
    for (const r of evaluations) expect(params(r).get('timeout'), r.url).toBe(SERVER_TIMEOUT);
  });

  it('a 3,990-character expression goes as the documented POST form, with the tenant and the server timeout', { timeout: 120_000 }, async () => {
    const head = 'up{job="prometheus", instance!="';
    const expr = `${head}${'x'.repeat(3_990 - head.length - 2)}"}`;
    expect(expr).toHaveLength(3_990);
    const seen = await runAccepted(viewer, { tool: 'promql_query', args: { expr } });
    const evaluations = seen.prom.filter((r) => pathOf(r) === '/api/v1/query');
    expect(evaluations).toHaveLength(DOORS.length);
    for (const r of evaluations) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(r.url).toBe('/api/v1/query');
      expect(params(r).get('query')).toBe(expr);
      expect(params(r).getAll('timeout')).toEqual([SERVER_TIMEOUT]);
      expect(r.headers['x-scope-orgid']).toBe(TENANT);
    }
  });

  it('the operator is served the same', { timeout: 120_000 }, async () => {
    const seen = await runAccepted(operator, { tool: 'promql_query', args: { expr: 'up{job="node"}' } });
    for (const r of seen.prom) expect(r.headers['x-scope-orgid']).toBe(TENANT);
  });

  it('H-61: a caller header X-Scope-OrgID on REST and MCP changes nothing the backend sees', async () => {
    const m = mark();
    const call: ToolCall = { tool: 'promql_query', args: { expr: 'up{job="prometheus"}' } };
    const rest = await viewer.rest(call, { 'X-Scope-OrgID': 'other', 'X-Prometheus-Tenant': 'other', Authorization: 'Basic YWRtaW46YWRtaW4=' });
    expect(decisionOf(rest)).toEqual({ ok: true, code: null });
    const mcp = await viewer.mcpRawText(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"promql_query","arguments":${JSON.stringify(call.args)}}}`, { 'X-Scope-OrgID': 'other' });
    expect(decisionOf(mcp)).toEqual({ ok: true, code: null });
    const seen = seenSince(m).prom;
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const r of seen) {
      expect(r.headers['x-scope-orgid']).toBe(TENANT);
      expect(r.headers['x-prometheus-tenant']).toBeUndefined();
      expect(r.headers.authorization).toBeUndefined();
    }
  });

  it('A-05: no metrics tool is missing from the viewer lists, and every surface lists the same set', { timeout: 120_000 }, async () => {
    for (const doors of [viewer, operator]) {
      const lists = await doors.toolNames();
      for (const t of METRICS_TOOLS) expect(lists.mcp, `${doors.opts.role} ${t}`).toContain(t);
      for (const d of DOORS) expect(lists[d], `${doors.opts.role} ${d}`).toEqual(lists.mcp);
    }
  });
});

describe('host_facts and prom_targets_rules: label values reach PromQL only as escaped literals', () => {
  const hostile = 'a"} or {__name__=~".+"} or x{y="';

  it('host_facts instance with a selector injection: one literal matcher value in every query, no host found', { timeout: 180_000 }, async () => {
    const seen = await runAccepted(viewer, { tool: 'host_facts', args: { instance: hostile, limit: 1 } });
    for (const d of DOORS) expect((seen.res[d].data as { hosts: number }).hosts, d).toBe(0);
    const queries = seen.prom.filter((r) => pathOf(r) === '/api/v1/query').map((r) => params(r).get('query') ?? '');
    expect(queries.length).toBeGreaterThanOrEqual(DOORS.length);
    for (const q of queries) {
      // Parsed as Prometheus parses it: every selector that names an instance names exactly the caller's value.
      const { selectors } = parsePromql(q);
      for (const s of selectors) {
        for (const m of s.matchers.filter((x) => x.name === 'instance')) expect(m).toEqual({ name: 'instance', op: '=', value: hostile });
        expect(s.matchers.some((x) => x.name === '__name__' && x.op === '=~' && x.value === '.+'), q).toBe(false);
      }
    }
  });

  it('prom_targets_rules job with a selector injection filters locally and sends no job anywhere', { timeout: 120_000 }, async () => {
    const seen = await runAccepted(viewer, { tool: 'prom_targets_rules', args: { job: hostile } });
    for (const d of DOORS) expect((seen.res[d].data as { targets: { total: number } }).targets.total, d).toBe(0);
    expect(new Set(seen.prom.map((r) => r.url))).toEqual(new Set(['/api/v1/targets?state=active', '/api/v1/rules']));
  });
});

describe('alerts_active: a hostile filter or why reaches Alertmanager as one escaped matcher, or not at all', () => {
  /** Each accepted case: the arguments, and the only `filter` Alertmanager may receive (none: why is answered locally). */
  const cases: Array<[string, Record<string, unknown>, string | undefined]> = [
    ['label value with a matcher injection', { filter: { namespace: 'a",c=~".*' } }, 'namespace="a\\",c=~\\".*"'],
    ['matcher whose value holds an escaped injection', { filter: ['namespace="a\\",c=~\\".*"'] }, 'namespace="a\\",c=~\\".*"'],
    ['label value with query-string separators', { filter: { namespace: 'x&silenced=false&receiver=.*&filter=alertname=~".+"' } }, 'namespace="x&silenced=false&receiver=.*&filter=alertname=~\\".+\\""'],
    ['label value with a backslash and braces', { filter: { namespace: 'a\\"}{' } }, 'namespace="a\\\\\\"}{"'],
    ['why labels with a matcher injection', { why: { alertname: 'x",alertname=~".+' } }, undefined],
    ['why as a regex bomb (an alertname, compared as text)', { why: '(a|aa)+$' }, undefined],
  ];

  it.each(cases)('%s → answered, nothing matches, Alertmanager received %s', { timeout: 120_000 }, async (_l, args, filter) => {
    const seen = await runAccepted(viewer, { tool: 'alerts_active', args });
    for (const d of DOORS) {
      const data = seen.res[d].data as { groups: unknown[]; why?: { firing: number } };
      if (args.filter !== undefined) expect(data.groups, d).toEqual([]);
      if (args.why !== undefined) expect(data.why?.firing, d).toBe(0);
    }
    const alertCalls = seen.am.filter((r) => pathOf(r) === '/api/v2/alerts');
    for (const r of alertCalls) {
      const p = params(r);
      // Nothing but `filter` is ever sent, and it is one matcher.
      expect([...new Set(p.keys())].filter((k) => k !== 'filter'), r.url).toEqual([]);
    }
    const filtered = alertCalls.filter((r) => params(r).has('filter'));
    if (filter === undefined) expect(filtered, 'why is answered from the unfiltered alerts').toEqual([]);
    else {
      expect(filtered).toHaveLength(DOORS.length);
      for (const r of filtered) expect(params(r).getAll('filter')).toEqual([filter]);
    }
  });
});

describe('R-13: warnings and infos of a Prometheus answer reach the caller at every door', () => {
  const warning = `PromQL warning: encountered a mix of histograms and floats for metric name "r13_${RUN}"`;
  const info = `PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "r13_${RUN}"`;
  const envelope = (data: unknown): CannedResponse => ({ status: 200, body: JSON.stringify({ status: 'success', data, warnings: [warning], infos: [info] }) });
  const marked = (r: ProxiedRequest, path: RegExp): boolean => path.test(pathOf(r)) && [...params(r).values()].some((v) => v.includes(`r13_${RUN}`));

  const cases: Array<[string, ToolCall, RegExp, unknown]> = [
    ['promql_query instant', { tool: 'promql_query', args: { expr: `r13_${RUN}` } }, /^\/api\/v1\/query$/, { resultType: 'vector', result: [] }],
    ['promql_query range', { tool: 'promql_query', args: { expr: `r13_${RUN}`, start: 'now-10m', step: '1m' } }, /^\/api\/v1\/query_range$/, { resultType: 'matrix', result: [] }],
    ['metrics_changes', { tool: 'metrics_changes', args: { expr: `r13_${RUN}` } }, /^\/api\/v1\/query_range$/, { resultType: 'matrix', result: [] }],
    ['prom_discover series', { tool: 'prom_discover', args: { what: 'series', match: `r13_${RUN}` } }, /^\/api\/v1\/series$/, []],
  ];

  it.each(cases)('%s', { timeout: 120_000 }, async (_l, call, path, data) => {
    prom.respond = (r) => (marked(r, path) ? envelope(data) : undefined);
    try {
      const seen = await runAccepted(viewer, call);
      expect(seen.prom.filter((r) => marked(r, path)).length).toBeGreaterThanOrEqual(DOORS.length);
      for (const d of DOORS) {
        const warnings = (seen.res[d].data as { warnings?: string[] }).warnings ?? [];
        expect(warnings, d).toContain(warning);
        expect(warnings, d).toContain(info);
      }
    } finally {
      prom.respond = undefined;
    }
  });
});

describe('D-09: backend error text that quotes label values never reaches the caller', () => {
  /** The REST body of one call: its error, with the hint the other doors carry too. */
  async function restError(call: ToolCall): Promise<{ code: string; message: string; hint?: string }> {
    const res = await fetch(`${server.url}/mcp/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': VIEWER_KEY },
      body: JSON.stringify({ tool_name: call.tool, input: call.args }),
    });
    return ((await res.json()) as { error: { code: string; message: string; hint?: string } }).error;
  }

  /** Neither the decisions nor anything a door answered since `from` (the transcript) holds one of `texts`. */
  function expectNoLeak(res: Record<Door, Decision>, texts: string[], from: number): void {
    for (const d of DOORS) for (const t of texts) expect(res[d].message ?? '', d).not.toContain(t);
    for (const text of viewer.transcript.slice(from)) for (const t of texts) expect(text).not.toContain(t);
  }

  it('Prometheus 400 bad_data quoting a value → backend_error with a hint, without the value', { timeout: 120_000 }, async () => {
    const call: ToolCall = { tool: 'promql_query', args: { expr: `up{d09="${RUN}"}` } };
    prom.respond = (r) =>
      pathOf(r) === '/api/v1/query' && (params(r).get('query') ?? '').includes(RUN)
        ? { status: 400, body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: `invalid parameter "query": label value ${SECRET} of instance="db-1.internal:5432" is bad` }) }
        : undefined;
    try {
      const from = viewer.transcript.length;
      const res = await viewer.all(call);
      expectEverywhere(res, { ok: false, code: 'backend_error' });
      expectNoLeak(res, [SECRET, 'db-1.internal'], from);
      const err = await restError(call);
      expect(err.code).toBe('backend_error');
      expect(err.hint ?? '').not.toBe('');
      expect(JSON.stringify(err)).not.toContain(SECRET);
    } finally {
      prom.respond = undefined;
    }
  });

  it('Prometheus 422 execution error from the real server (it quotes the series of a many-to-many match)', { timeout: 120_000 }, async () => {
    // Prometheus answers `up + on() up` with "found duplicate series for the match group {} …
    // [{__name__="up", instance="127.0.0.1:19094", job="victoriametrics"}, …]".
    const m = mark();
    const from = viewer.transcript.length;
    const res = await viewer.all({ tool: 'promql_query', args: { expr: 'up + on() up' } });
    expectEverywhere(res, { ok: false, code: 'backend_error' });
    const evaluations = seenSince(m).prom.filter((r) => pathOf(r) === '/api/v1/query');
    expect(evaluations).toHaveLength(DOORS.length);
    expectNoLeak(res, ['victoriametrics', 'instance=', '127.0.0.1:190', 'duplicate series'], from);
  });

  it('Alertmanager 500 quoting a label value → backend_error without it; a 400 → invalid_input naming only the caller\'s filter', { timeout: 120_000 }, async () => {
    const filterFor = (r: ProxiedRequest) => pathOf(r) === '/api/v2/alerts' && (params(r).get('filter') ?? '').includes(RUN);
    for (const [status, code] of [
      [500, 'backend_error'],
      [400, 'invalid_input'],
    ] as const) {
      am.respond = (r) => (filterFor(r) ? { status, body: JSON.stringify(`failed to match alert with label token=${SECRET}`) } : undefined);
      try {
        const from = viewer.transcript.length;
        const res = await viewer.all({ tool: 'alerts_active', args: { filter: { namespace: `d09-${RUN}` } } });
        expectEverywhere(res, { ok: false, code });
        expectNoLeak(res, [SECRET], from);
      } finally {
        am.respond = undefined;
      }
    }
  });
});

describe('after the corpus: what the backends received (A-09, A-12, H-61, P-08)', () => {
  it('every request carried exactly the configured tenant and no client credential', () => {
    const all = allRequests();
    expect(all.length).toBeGreaterThan(100);
    for (const r of all) {
      expect(r.headers['x-scope-orgid'], `${r.backend} ${r.url}`).toBe(TENANT);
      expect(r.headers['x-api-key']).toBeUndefined();
      expect(r.headers.authorization).toBeUndefined();
      const text = JSON.stringify(r.headers) + r.url + r.body;
      expect(text).not.toContain(OPERATOR_KEY);
      expect(text).not.toContain(VIEWER_KEY);
      expect(text).not.toContain('evil.example');
    }
  });

  it('no CR, LF or other control character in any forwarded header, query string or form body', () => {
    for (const r of allRequests()) {
      for (const [name, value] of Object.entries(r.headers)) expect(`${name}: ${String(value)}`, r.url).not.toMatch(/[\u0000-\u001f\u007f]/);
      for (const [k, v] of params(r)) expect(`${k}=${v}`, `${r.backend} ${r.url}`).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
  });

  it('read-only: GET (and POST forms on the query paths) on Prometheus read paths, GET on Alertmanager read paths, nothing else', () => {
    const promRead = /^\/api\/v1\/(?:query|query_range|series|labels|label\/[^/]+\/values|metadata|targets|rules|alerts|status\/buildinfo|query_exemplars)$/;
    const promForm = /^\/api\/v1\/(?:query|query_range|series|labels|query_exemplars)$/;
    const amRead = /^\/api\/v2\/(?:status|alerts|alerts\/groups|silences|silence\/[0-9a-f-]{1,64}|receivers)$/;
    const forbidden = /\/api\/v1\/admin|\/-\/(?:reload|quit)|\/api\/v1\/write|\/api\/v1\/otlp|\/api\/v1\/import/;
    expect(prom.count).toBeGreaterThan(0);
    expect(am.count).toBeGreaterThan(0);
    for (const r of prom.requests) {
      expect(['GET', 'POST'], r.url).toContain(r.method);
      expect(pathOf(r), r.url).toMatch(r.method === 'GET' ? promRead : promForm);
      expect(r.url).not.toMatch(forbidden);
    }
    for (const r of am.requests) {
      expect(r.method, r.url).toBe('GET');
      expect(pathOf(r), r.url).toMatch(amRead);
    }
  });

  it('P-08: every PromQL evaluation carried the server\'s timeout, never another', () => {
    const evaluations = prom.requests.filter((r) => /^\/api\/v1\/query(?:_range)?$/.test(pathOf(r)));
    expect(evaluations.length).toBeGreaterThan(DOORS.length);
    for (const r of evaluations) {
      const p = params(r);
      // The readiness ping (`query=1`) is the only evaluation without one.
      if (p.get('query') === '1' && !p.has('timeout')) continue;
      expect(p.getAll('timeout'), r.url).toEqual([SERVER_TIMEOUT]);
    }
  });
});
