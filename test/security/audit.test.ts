/**
 * D-05 (two audit records per call, denied ones too, key id never the key) and D-06 (audit
 * sink failure: fail-closed refuses with backend_unavailable at every door; fail-open serves,
 * counts telemcp_audit_write_failures_total and raises an alarm on stderr). Also A-07's
 * "identical audit records" across the four doors.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import type { AuditLine } from '../helpers/e2e.js';
import { deleteIndices, es, randSuffix, requireTestEsUrl } from '../helpers/security-counting-proxy.js';
import { DOORS, FrontDoors, decisionOf, type Door, type ToolCall } from './front-doors.js';


const keyId = (key: string) => `k_${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
const suffix = randSuffix();
const LOGS = `logs-sec-${suffix}`;
const OPERATOR_KEY = `op_${randomBytes(18).toString('hex')}`;
const VIEWER_KEY = `vw_${randomBytes(18).toString('hex')}`;

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

describe('D-05: every call writes a before and an after record', () => {
  let server: RunningServer;
  let dataDir: string;
  let operator: FrontDoors;
  let viewer: FrontDoors;
  let auditPath: string;

  const readAudit = (): AuditLine[] =>
    existsSync(auditPath)
      ? readFileSync(auditPath, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as AuditLine)
      : [];

  beforeAll(async () => {
    const esUrl = requireTestEsUrl();
    await deleteIndices(LOGS);
    await es('POST', `/${LOGS}/_doc/1?refresh=true`, { message: 'audited hello' });
    dataDir = mkdtempSync(join(tmpdir(), 'telemcp-sec-audit-'));
    auditPath = join(dataDir, 'audit.log');
    const common = { ES_URL: esUrl, ALLOWED_INDEX_PATTERNS: 'logs-*,metrics-*', DATA_DIR: dataDir };
    server = await startServerProcess({ ...common, API_KEYS: `${OPERATOR_KEY}:elk_operator,${VIEWER_KEY}:elk_viewer` });
    const env = { ...common, LOG_LEVEL: 'warn' };
    operator = new FrontDoors({ url: server.url, apiKey: OPERATOR_KEY, role: 'elk_operator', env });
    viewer = new FrontDoors({ url: server.url, apiKey: VIEWER_KEY, role: 'elk_viewer', env });
  });

  afterAll(async () => {
    await operator?.close();
    await viewer?.close();
    await server?.stop();
    await deleteIndices(LOGS);
  });

  const cases: Array<{ name: string; doors: () => FrontDoors; door: Door; call: ToolCall; decision: string; code: string; status: number; role: string }> = [
    { name: 'allowed search (REST)', doors: () => operator, door: 'rest', call: { tool: 'elk_query', args: { index_pattern: LOGS, body: { query: { match_all: {} } } } }, decision: 'allowed', code: 'ok', status: 200, role: 'elk_operator' },
    { name: 'allowed status (MCP HTTP)', doors: () => viewer, door: 'mcp', call: { tool: 'telemcp_status', args: {} }, decision: 'allowed', code: 'ok', status: 200, role: 'elk_viewer' },
    { name: 'role denied (REST)', doors: () => viewer, door: 'rest', call: { tool: 'elk_query', args: { index_pattern: LOGS, body: {} } }, decision: 'denied', code: 'permission_denied', status: 403, role: 'elk_viewer' },
    { name: 'role denied (MCP HTTP)', doors: () => viewer, door: 'mcp', call: { tool: 'elk_query', args: { index_pattern: LOGS, body: {} } }, decision: 'denied', code: 'permission_denied', status: 403, role: 'elk_viewer' },
    { name: 'query denied (MCP HTTP)', doors: () => operator, door: 'mcp', call: { tool: 'elk_query', args: { index_pattern: 'logs-*', body: { query: { script: { script: '1' } } } } }, decision: 'denied', code: 'query_denied', status: 403, role: 'elk_operator' },
    { name: 'index denied (stdio)', doors: () => operator, door: 'stdio', call: { tool: 'elk_query', args: { index_pattern: '.security-7', body: {} } }, decision: 'denied', code: 'index_pattern_denied', status: 403, role: 'elk_operator' },
    { name: 'invalid input (CLI)', doors: () => operator, door: 'cli', call: { tool: 'elk_query', args: { index_pattern: 'logs-*', body: {}, tenant: 'x' } }, decision: 'denied', code: 'invalid_input', status: 400, role: 'elk_operator' },
    { name: 'unknown tool (REST)', doors: () => operator, door: 'rest', call: { tool: 'no_such_tool', args: {} }, decision: 'denied', code: 'tool_not_found', status: 404, role: 'elk_operator' },
    { name: 'allowed search (stdio)', doors: () => operator, door: 'stdio', call: { tool: 'elk_query', args: { index_pattern: LOGS, body: { size: 1 } } }, decision: 'allowed', code: 'ok', status: 200, role: 'elk_operator' },
    { name: 'allowed status (CLI)', doors: () => viewer, door: 'cli', call: { tool: 'telemcp_status', args: {} }, decision: 'allowed', code: 'ok', status: 200, role: 'elk_viewer' },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = readAudit().length;
    const result = await c.doors().door(c.door, c.call);
    expect(result.ok).toBe(c.decision === 'allowed');
    const fresh = readAudit().slice(before);
    expect(fresh.map((l) => l.phase)).toEqual(['before', 'after']);
    const [b, a] = fresh;
    expect(a.request_id).toBe(b.request_id);
    expect(b.request_id).toMatch(/^[0-9a-f-]{36}$/);
    const transport = { rest: 'rest', mcp: 'mcp_http', sse: 'mcp_sse', jsonrpc: 'jsonrpc', stdio: 'stdio', cli: 'cli' }[c.door];
    const caller = c.door === 'stdio' ? 'stdio' : c.door === 'cli' ? 'cli' : keyId(c.doors().opts.apiKey);
    for (const rec of fresh) {
      expect(rec).toMatchObject({ tool: c.call.tool, caller, role: c.role, transport });
      expect(Number.isNaN(Date.parse(rec.ts))).toBe(false);
    }
    expect(b.decision).toBeUndefined();
    expect(a).toMatchObject({ decision: c.decision, status: c.status, code: c.code });
    expect(a.latency_ms).toBeGreaterThanOrEqual(0);
    if (c.decision === 'allowed') expect(a.result_bytes).toBeGreaterThan(0);
    else expect(a.result_bytes).toBeUndefined();
  });

  it('never records an API key, only its k_xxxxxxxx id; the file is private (0600)', () => {
    const text = readFileSync(auditPath, 'utf8');
    expect(text).not.toContain(OPERATOR_KEY);
    expect(text).not.toContain(VIEWER_KEY);
    const callers = new Set(readAudit().map((l) => l.caller));
    for (const c of callers) expect(c).toMatch(/^(?:k_[0-9a-f]{8}|stdio|cli)$/);
    const { mode } = statSync(auditPath);
    expect(mode & 0o777).toBe(0o600);
  });

  it('A-07: a hostile call through every door leaves the same audit decision at each', async () => {
    const call: ToolCall = { tool: 'elk_query', args: { index_pattern: 'logs-*', body: { runtime_mappings: { f: { type: 'keyword', script: 'emit(1)' } } } } };
    const before = readAudit().length;
    const res = await operator.all(call);
    for (const d of DOORS) expect(decisionOf(res[d])).toEqual({ ok: false, code: 'query_denied' });
    const afters = readAudit()
      .slice(before)
      .filter((l) => l.phase === 'after');
    expect(afters.map((a) => a.transport).sort()).toEqual(['cli', 'jsonrpc', 'mcp_http', 'mcp_sse', 'rest', 'stdio']);
    const shapes = afters.map(({ tool, role, decision, status, code }) => ({ tool, role, decision, status, code }));
    for (const s of shapes) expect(s).toEqual({ tool: 'elk_query', role: 'elk_operator', decision: 'denied', status: 403, code: 'query_denied' });
  });

  it('a request refused while parsing (duplicate keys) is audited once as denied, at every door', async () => {
    const call: ToolCall = { tool: 'elk_query', raw: '{"index_pattern":"logs-*","body":{"query":{"match_all":{}},"query":{"match_all":{}}}}' };
    const before = readAudit().length;
    const res = await operator.all(call);
    for (const d of DOORS) expect(decisionOf(res[d]), d).toEqual({ ok: false, code: 'invalid_input' });
    const fresh = readAudit().slice(before);
    // The mcp.execute alias is refused while its body is parsed, before it is known to be the alias: it is on record as mcp_http.
    expect(fresh.map((r) => r.transport).sort()).toEqual(['cli', 'mcp_http', 'mcp_http', 'mcp_sse', 'rest', 'stdio']);
    for (const r of fresh) expect(r).toMatchObject({ phase: 'after', tool: '(request)', role: 'elk_operator', decision: 'denied', status: 400, code: 'invalid_input' });
  });

  it('a refused authentication is not a tool call: no record, no key material', async () => {
    const before = readAudit().length;
    const res = await fetch(`${server.url}/mcp/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'wrong-key-123456' },
      body: '{"tool_name":"telemcp_status","input":{}}',
    });
    expect(res.status).toBe(401);
    expect(readAudit().length).toBe(before);
    expect(readFileSync(auditPath, 'utf8')).not.toContain('wrong-key-123456');
  });
});

describe('D-06: audit sink unwritable', () => {
  /** A path under a regular file: mkdir/open fail with ENOTDIR even for root. */
  function unwritableAuditPath(): string {
    const dir = mkdtempSync(join(tmpdir(), 'telemcp-sec-audit-broken-'));
    writeFileSync(join(dir, 'file-not-dir'), 'not a directory\n');
    return join(dir, 'file-not-dir', 'audit.log');
  }

  describe('fail-closed (default)', () => {
    let server: RunningServer;
    let doors: FrontDoors;
    let stderr = '';

    beforeAll(async () => {
      const auditLog = unwritableAuditPath();
      const dataDir = mkdtempSync(join(tmpdir(), 'telemcp-sec-audit-closed-'));
      server = await startServerProcess({ API_KEYS: `${OPERATOR_KEY}:elk_operator`, AUDIT_LOG: auditLog, DATA_DIR: dataDir });
      server.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      doors = new FrontDoors({ url: server.url, apiKey: OPERATOR_KEY, role: 'elk_operator', env: { AUDIT_LOG: auditLog, DATA_DIR: dataDir, LOG_LEVEL: 'warn' } });
    });
    afterAll(async () => {
      await doors?.close();
      await server?.stop();
    });

    it('refuses the call with backend_unavailable at every door (REST 503)', async () => {
      const res = await doors.all({ tool: 'telemcp_status', args: {} });
      for (const d of DOORS) expect(decisionOf(res[d]), d).toEqual({ ok: false, code: 'backend_unavailable' });
      expect(res.rest.status).toBe(503);
      expect(res.cli.status).toBe(1);
      expect(res.rest.message).toMatch(/audit/i);
    });

    it('a denied call is refused the same way (nothing runs unaudited)', async () => {
      const res = await doors.rest({ tool: 'no_such_tool', args: {} });
      expect(decisionOf(res)).toEqual({ ok: false, code: 'backend_unavailable' });
      expect(res.status).toBe(503);
    });

    it('counts the failures on /metrics and raises the alarm on stderr', async () => {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metricValue(metrics, 'telemcp_audit_write_failures_total')).toBeGreaterThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 200));
      expect(stderr).toContain('AUDIT LOG WRITE FAILED');
    });
  });

  describe('fail-open (AUDIT_FAIL_MODE=open)', () => {
    let server: RunningServer;
    let stderr = '';
    let auditLog: string;

    beforeAll(async () => {
      auditLog = unwritableAuditPath();
      server = await startServerProcess({ API_KEYS: `${OPERATOR_KEY}:elk_operator`, AUDIT_LOG: auditLog, AUDIT_FAIL_MODE: 'open' });
      server.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('serves the call, increments telemcp_audit_write_failures_total and alarms on stderr', async () => {
      const metricsBefore = metricValue(await (await fetch(`${server.url}/metrics`)).text(), 'telemcp_audit_write_failures_total');
      const doors = new FrontDoors({ url: server.url, apiKey: OPERATOR_KEY, role: 'elk_operator', env: {} });
      const rest = await doors.rest({ tool: 'telemcp_status', args: {} });
      const mcp = await doors.mcpHttp({ tool: 'telemcp_status', args: {} });
      await doors.close();
      expect(decisionOf(rest)).toEqual({ ok: true, code: null });
      expect(rest.status).toBe(200);
      expect(decisionOf(mcp)).toEqual({ ok: true, code: null });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      // before + after record of each of the two calls
      expect(metricValue(metrics, 'telemcp_audit_write_failures_total')).toBeGreaterThanOrEqual((Number.isNaN(metricsBefore) ? 0 : metricsBefore) + 4);
      expect(metrics).toMatch(/mcp_insecure_setting\{name="AUDIT_FAIL_MODE"\} 1/);
      await new Promise((r) => setTimeout(r, 200));
      expect(stderr).toContain('AUDIT LOG WRITE FAILED');
      expect(server.output()).toMatch(/WARNING insecure setting enabled: AUDIT_FAIL_MODE=open/);
      expect(existsSync(auditLog)).toBe(false);
    });
  });
});
