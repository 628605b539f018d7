/**
 * loki_query and loki_discover on the Loki contract fake, called through the pipeline (guards,
 * bound, audit), through the REST facade (with seed 003's dotted name `loki.query`), and at
 * every front door of a built server (REST, MCP Streamable HTTP, legacy SSE, the mcp.execute
 * alias, stdio, the CLI: `npx tsc -p tsconfig.build.json` first). The fake records every
 * request: a refused call must make none. The records are a steady trickle of api requests over
 * four hours and a burst of database timeouts in the last twenty minutes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { DOORS, FrontDoors, decisionOf, type Door } from '../security/front-doors.js';
import { callErr, callOk } from '../helpers/es-fixtures.js';
import { startLokiFake, type LokiFakeHandle } from '../helpers/loki-env.js';
import { lokiLine, pushLines } from '../helpers/loki-seed.js';
import { startServerInProcess, startServerProcess, type InProcessServer, type RunningServer } from '../helpers/server.js';
import { seedRecords } from '../helpers/vlogs-query.js';

const MINUTE = 60_000;
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;
const seed = seedRecords(NOW);
const KEY = 'loki-query-test-key-0123456789';

interface LogAnswer {
  summary: string;
  kind: 'log' | 'metric';
  state: string;
  source: string;
  query: { logql: string; start: string; end: string; limit?: number; step_seconds?: number; injected: string[] };
  total: number;
  lines_read: number;
  patterns_counted: string;
  patterns: { template: string; count: number }[];
  bursts: { bursts: { status: string }[] };
  lines: { time: string; message: string; service?: string; level?: string; labels?: Record<string, string> }[];
  series?: { labels: Record<string, string>; last: number | null; max: number | null; points: number }[];
  series_total?: number;
  hints?: string[];
  truncated: boolean;
}

describe('loki_query and loki_discover on the Loki contract fake', () => {
  let loki: LokiFakeHandle;
  let server: InProcessServer;
  let app: App;

  beforeAll(async () => {
    loki = await startLokiFake();
    await pushLines(loki, seed.records.map((r) => lokiLine(r)), 'team-a');
    server = await startServerInProcess({ LOKI_URL: loki.url, LOKI_HEADERS: 'X-Scope-OrgID=team-a', API_KEYS: `${KEY}:elk_viewer` });
    app = server.app;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await loki?.close();
  });

  const window = { start: new Date(NOW - 4 * 60 * MINUTE).toISOString(), end: new Date(NOW + MINUTE).toISOString() };
  const queries = (mark: number) => loki.fake.requests.slice(mark).filter((r) => r.path.startsWith('/loki/api/v1/'));

  it('a log query: the exact total, patterns of the lines read, the ongoing burst, sample lines', async () => {
    const a = await callOk<LogAnswer>(app, 'loki_query', { query: '{service_name="api"}', ...window, limit: 1000 });
    expect(a).toMatchObject({ kind: 'log', state: 'ok', source: 'loki', total: seed.api, lines_read: seed.api, patterns_counted: 'exact', truncated: true });
    expect(a.patterns.find((p) => p.template.includes('db timeout'))!.count).toBe(seed.burst);
    expect(a.bursts.bursts.at(-1)!.status).toBe('ongoing');
    expect(a.summary).toMatch(/^\d+ lines match .*\(exact\)/);
    expect(a.lines).toHaveLength(5);
    expect(a.lines[0]).toMatchObject({ service: 'api', level: 'error' });
    const filtered = await callOk<LogAnswer>(app, 'loki_query', { query: '{service_name="api"} |= "timeout" | level="error"', ...window });
    expect(filtered.total).toBe(seed.burst);
    expect(filtered.state).toBe('truncated');
    expect(filtered.hints![0]).toContain('Raise limit');
  });

  it('injects the window and line limit when missing and says so; every request carries the configured tenant', async () => {
    const mark = loki.fake.requests.length;
    const a = await callOk<LogAnswer>(app, 'loki_query', { query: '{service_name="api"}' });
    expect(a.query.injected).toEqual(['window', 'limit']);
    expect(a.query.limit).toBe(200);
    expect(Date.parse(a.query.end) - Date.parse(a.query.start)).toBe(60 * MINUTE);
    expect(a.total).toBe(seed.records.filter((r) => r.service === 'api' && r.ts >= Date.parse(a.query.start) && r.ts <= Date.parse(a.query.end)).length);
    const sent = queries(mark);
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) expect(r.headers['x-scope-orgid']).toBe('team-a');
    expect(a.lines_read).toBeLessThanOrEqual(200);
    // Queries go as POST forms (Loki's documented way for long ones), never in the URL.
    for (const r of sent) expect(r.method === 'POST' && !r.url.includes('query=')).toBe(true);
  });

  it('a metric query: a compact summary per series, the step injected', async () => {
    const m = await callOk<LogAnswer>(app, 'loki_query', { query: 'sum by (level) (count_over_time({service_name="api"} [20m]))', ...window });
    expect(m).toMatchObject({ kind: 'metric', state: 'ok', series_total: 2 });
    expect(m.query.injected).toEqual(['step']);
    expect(m.series!.map((s) => s.labels.level).sort()).toEqual(['error', 'info']);
    expect(m.series![0].labels.level).toBe('error');
    // 30 timeouts a minute: a 20-minute range at the injected step's points holds nearly all 600.
    expect(m.series![0].max).toBeGreaterThan(550);
    expect(m.series![0].max).toBeLessThanOrEqual(600);
    const stepped = await callOk<LogAnswer>(app, 'loki_query', { query: 'sum(count_over_time({service_name="api"} |= "timeout" [1m]))', ...window, step: '10m' });
    expect(stepped.query.step_seconds).toBe(600);
    // Loki leaves out the points whose range holds no line: only the two in the burst's last twenty minutes remain.
    expect(stepped.series![0].points).toBe(2);
  });

  it('answers an empty result with hints on how to widen', async () => {
    const a = await callOk<LogAnswer>(app, 'loki_query', { query: '{service_name="nope"}', ...window });
    expect(a).toMatchObject({ state: 'empty', total: 0, lines_read: 0 });
    expect(a.hints!.join(' ')).toContain('Widen the window');
  });

  it.each([
    [{ query: '{}' }, 'query_denied'],
    [{ query: '{service_name=~".+"}' }, 'query_denied'],
    [{ query: '{service_name!="x"}' }, 'query_denied'],
    [{ query: 'sum(count_over_time({service_name=~".*"} [5m]))' }, 'query_denied'],
    [{ query: '{service_name="api"} # comment' }, 'query_denied'],
    [{ query: '{service_name="api"}', start: 'now-32d' }, 'invalid_input'],
    [{ query: '{service_name="api"}', limit: 1001 }, 'invalid_input'],
    [{ query: 'count_over_time({service_name="api"} [40d])' }, 'invalid_input'],
    [{ query: 'sum(count_over_time({service_name="api"} [1m]))', start: 'now-7d', step: '1s' }, 'invalid_input'],
    [{ query: '{service_name="api"', limit: 5 }, 'invalid_input'],
    [{ query: '{service_name="api"}', step: '1m' }, 'invalid_input'],
  ])('refuses %j with %s before any request to Loki', async (input, codeExpected) => {
    const mark = loki.fake.requests.length;
    const err = await callErr(app, 'loki_query', input);
    expect(err.error.code).toBe(codeExpected);
    expect(queries(mark)).toEqual([]);
  });

  it('a query Loki cannot parse is invalid_input naming the query, not Loki\'s text', async () => {
    const err = await callErr(app, 'loki_query', { query: '{service_name="api"} | unknown_stage', ...window });
    expect(err.error.code).toBe('invalid_input');
    expect(err.error.message).toContain('could not parse the query');
  });

  it('loki_discover: labels, values, series and hits, bounded', async () => {
    const labels = await callOk<{ items: string[]; total: number }>(app, 'loki_discover', { what: 'labels', ...window });
    expect(labels.items).toEqual(expect.arrayContaining(['service_name', 'level']));
    const values = await callOk<{ items: string[]; total: number; truncated: boolean }>(app, 'loki_discover', { what: 'values', label: 'service_name', ...window, limit: 1 });
    expect(values).toMatchObject({ items: ['api'], total: 2, truncated: true });
    const series = await callOk<{ items: Record<string, string>[]; total: number }>(app, 'loki_discover', { what: 'series', selector: '{service_name="api"}', ...window });
    expect(series.items.map((s) => s.level).sort()).toEqual(['error', 'info']);
    const hits = await callOk<{ total: number; hits: { bucket_seconds: number; buckets: { start: string; count: number }[] } }>(app, 'loki_discover', { what: 'hits', selector: '{service_name="api"} |= "timeout"', ...window, step: '20m' });
    expect(hits.total).toBe(seed.burst);
    expect(hits.hits.bucket_seconds).toBe(1200);
    expect(hits.hits.buckets.at(-1)!.count + hits.hits.buckets.at(-2)!.count).toBe(seed.burst);
    const mark = loki.fake.requests.length;
    expect((await callErr(app, 'loki_discover', { what: 'series', selector: '{service_name=~".*"}' })).error.code).toBe('query_denied');
    expect((await callErr(app, 'loki_discover', { what: 'values' })).error.code).toBe('invalid_input');
    expect(queries(mark)).toEqual([]);
  });

  it('REST accepts the dotted name loki.query; a refusal there is the same, with no request to Loki', async () => {
    const call = async (tool: string, input: unknown) => {
      const res = await fetch(`${server.url}/mcp/execute`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: JSON.stringify({ tool_name: tool, input }) });
      return { status: res.status, body: (await res.json()) as { ok: boolean; data?: LogAnswer; error?: { code: string } } };
    };
    const dotted = await call('loki.query', { query: '{service_name="api"}', ...window, limit: 1000 });
    expect(dotted.status).toBe(200);
    expect(dotted.body.data!.total).toBe(seed.api);
    const mark = loki.fake.requests.length;
    const refused = await call('loki.query', { query: '{service_name=~".+"}' });
    expect(refused.status).toBe(403);
    expect(refused.body.error!.code).toBe('query_denied');
    expect(queries(mark)).toEqual([]);
  });
});

describe('loki_query and loki_discover at every front door', () => {
  const viewerKey = `vw_${randomBytes(18).toString('hex')}`;
  let loki: LokiFakeHandle;
  let server: RunningServer;
  let doors: FrontDoors;
  const window = { start: new Date(NOW - 4 * 60 * MINUTE).toISOString(), end: new Date(NOW + MINUTE).toISOString() };
  const queries = (mark: number) => loki.fake.requests.slice(mark).filter((r) => r.path.startsWith('/loki/api/v1/'));

  beforeAll(async () => {
    loki = await startLokiFake();
    await pushLines(loki, seed.records.map((r) => lokiLine(r)), 'team-a');
    const common = { LOKI_URL: loki.url, LOKI_HEADERS: 'X-Scope-OrgID=team-a', EMBEDDED_STORE: 'off', RATE_LIMIT_PER_MINUTE: '1000000', DATA_DIR: mkdtempSync(join(tmpdir(), 'telemcp-loki-doors-')) };
    server = await startServerProcess({ ...common, API_KEYS: `${viewerKey}:elk_viewer` });
    doors = new FrontDoors({ url: server.url, apiKey: viewerKey, role: 'elk_viewer', env: { ...common, LOG_LEVEL: 'warn' }, timeoutMs: 45_000 });
    await Promise.all([doors.mcpClient(), doors.sseClient(), doors.stdioClient()]);
  }, 180_000);

  afterAll(async () => {
    await doors?.close();
    await server?.stop();
    await loki?.close();
  });

  const each = async (tool: string, args: Record<string, unknown>) => {
    const out = {} as Record<Door, Awaited<ReturnType<FrontDoors['door']>>>;
    for (const d of DOORS) out[d] = await doors.door(d, { tool, args });
    return out;
  };

  it('a valid call gets the same answer at each door', async () => {
    const res = await each('loki_query', { query: '{service_name="api"} |= "timeout"', ...window, limit: 1000 });
    for (const d of DOORS) expect(decisionOf(res[d]), d).toEqual({ ok: true, code: null });
    const facts = (d: Door) => {
      const { total, patterns, bursts } = res[d].data as { total: number; patterns: unknown; bursts: unknown };
      return { total, patterns, bursts };
    };
    expect(facts('rest').total).toBe(seed.burst);
    for (const d of DOORS) expect(facts(d), d).toEqual(facts('rest'));
  });

  it.each([
    ['loki_query', { query: '{service_name=~".*"}' }, 'query_denied'],
    ['loki_query', { query: '{service_name="api"} # x' }, 'query_denied'],
    ['loki_query', { query: '{service_name="api"}', limit: 5000 }, 'invalid_input'],
    ['loki_query', { query: '{service_name="api"}', start: 'now-40d' }, 'invalid_input'],
    ['loki_discover', { what: 'series', selector: '{service_name!="x"}' }, 'query_denied'],
  ] as const)('%s %j is refused with %s at each door, before any request to Loki', async (tool, args, code) => {
    const mark = loki.fake.requests.length;
    const res = await each(tool, args);
    for (const d of DOORS) expect(decisionOf(res[d]), d).toEqual({ ok: false, code });
    expect(queries(mark)).toEqual([]);
  });
});
