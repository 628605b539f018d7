/**
 * SECURITY.md §8's hostile-input rows generalised for the Loki log source and loki_query /
 * loki_discover (loki-corpus.ts), replayed through all six front doors (REST, MCP Streamable
 * HTTP, legacy SSE, the mcp.execute alias, stdio and the CLI: `npx tsc -p tsconfig.build.json`
 * first) against the Loki contract fake, behind one counting forwarder per configured instance
 * (two instances, two tenants). The decision must be the expected code at every door (A-07);
 * refused calls must be decided before any request (P-09); a value that is answered reaches Loki
 * only inside a LogQL string literal and matches only literally; and what Loki received is
 * checked: read paths only (A-12), each instance's own X-Scope-OrgID and nothing a caller chose,
 * no CR/LF/NUL in a header (H-61, A-09), a bounded limit and window on every query, and every
 * query parses with the fake's own LogQL parser, its selectors naming configured labels only.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS, type ErrorCode } from '../../src/core/errors.js';
import { cursorCodec, CURSOR_TTL_MS } from '../../src/backends/cursor.js';
import { parseLogQL, type Expr, type LabelPredicate, type LogExpr, type Matcher } from '../fakes/loki-fake/logql-parse.js';
import { startLokiFake, type LokiFakeHandle } from '../helpers/loki-env.js';
import { pushLines, type LokiLine } from '../helpers/loki-seed.js';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { CountingProxy, randSuffix, type ProxiedRequest } from '../helpers/security-counting-proxy.js';
import { DOORS, FrontDoors, decisionOf, type Decision, type Door, type ToolCall } from './front-doors.js';
import {
  OTHER_SOURCE,
  SEEDED_VALUES,
  SOURCE,
  call,
  capRows,
  extraArgRows,
  forgedCursorRows,
  injectionRows,
  lokiDiscoverRows,
  lokiQueryRows,
  scopeRows,
  sourceRows,
  windowRows,
  type LokiRow,
} from './loki-corpus.js';

const VIEWER_KEY = `vw_${randomBytes(18).toString('hex')}`;
const RUN = randSuffix();
/** Each instance's tenant, of this run's own. */
const TENANT_A = `team-a-${RUN}`;
const TENANT_B = `team-b-${RUN}`;
const CURSOR_SECRET = randomBytes(32).toString('hex');
const HOUR_NS = 3_600_000_000_000n;
/** Loki's max_query_length (721 h) and max_entries_limit_per_query (5,000); the 11,000 points of a range query. */
const MAX_WINDOW_NS = 721n * HOUR_NS;
const MAX_ENTRIES = 5000;
const MAX_POINTS = 11_000n;
/** The labels telemcp's default fields name (DEFAULT_LOKI_FIELDS): a selector or filter names no other. */
const CONFIGURED_LABELS = new Set(['service_name', 'level', 'detected_level', 'trace_id', 'host']);
/** Only these can make a stream selector: the service label, and `level` for the loki_query calls this file makes. */
const SELECTOR_LABELS = new Set(['service_name', 'level']);

let loki: LokiFakeHandle;
/** Requests the fake saw while the test seeded it (its pushes); every later one came through telemcp. */
let seeded = 0;
/** One forwarder per instance: what reached Loki through instance `loki` (tenant A) and instance `other` (tenant B). */
let viaA: CountingProxy;
let viaB: CountingProxy;
let server: RunningServer;
let viewer: FrontDoors;

const mark = (): [number, number] => [viaA.count, viaB.count];
const seenSince = (m: [number, number]): ProxiedRequest[] => [...viaA.since(m[0]), ...viaB.since(m[1])];
const pathOf = (r: ProxiedRequest): string => new URL(r.url, 'http://x').pathname;
/** Readiness probes are the server's own (start-up, /readyz), never a call's: left out of "requests a call made". */
const byCall = (rs: ProxiedRequest[]): ProxiedRequest[] => rs.filter((r) => pathOf(r) !== '/ready');

/** Waits until the forwarders have received no request for `quietMs` (the start-up checks of serve and stdio are done). */
async function settle(quietMs = 2000, maxMs = 60_000): Promise<void> {
  const until = Date.now() + maxMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < until) {
    const count = viaA.count + viaB.count;
    if (count !== last) {
      last = count;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Tenant A: ordinary records, one per hostile value holding it as its service and trace id (and
 * in its line), and one whose level is `notalevel`. Tenant B: five records of its own, so a
 * request with the wrong tenant would be seen in the answers.
 */
function seedA(now: number): LokiLine[] {
  const lines: LokiLine[] = [];
  for (let i = 0; i < 24; i++) {
    lines.push({
      ts: now - 25 * 60_000 + i * 60_000,
      line: `${i % 3 === 0 ? 'payment failed: upstream timeout' : 'request served'} order=${i} run=${RUN}`,
      labels: { service_name: i % 2 ? 'checkout' : 'payments', level: i % 3 === 0 ? 'error' : 'info', host: `node-${i % 2}` },
      metadata: { trace_id: `trace-${RUN}-${i % 5}` },
    });
  }
  SEEDED_VALUES.forEach((value, i) => {
    lines.push({ ts: now - 20 * 60_000 + i * 1000, line: `hostile ${value}`, labels: { service_name: value, level: 'error', host: 'node-h' }, metadata: { trace_id: value } });
  });
  lines.push({ ts: now - 19 * 60_000, line: 'a level of its own', labels: { service_name: 'levels', level: 'notalevel' } });
  return lines;
}

function seedB(now: number): LokiLine[] {
  return Array.from({ length: 5 }, (_, i) => ({ ts: now - 15 * 60_000 + i * 60_000, line: `tenant b only order=${i}`, labels: { service_name: 'checkout', level: 'error' }, metadata: { trace_id: `trace-b-${i}` } }));
}

beforeAll(async () => {
  loki = await startLokiFake();
  const now = Date.now();
  await pushLines(loki, seedA(now), TENANT_A);
  await pushLines(loki, seedB(now), TENANT_B);
  seeded = loki.fake.requests.length;
  viaA = new CountingProxy({ target: loki.url });
  viaB = new CountingProxy({ target: loki.url });
  await Promise.all([viaA.start(), viaB.start()]);
  const common = {
    LOKI_URL: viaA.url,
    LOKI_HEADERS: `X-Scope-OrgID=${TENANT_A}`,
    LOKI_INSTANCES: OTHER_SOURCE,
    [`LOKI_${OTHER_SOURCE.toUpperCase()}_URL`]: viaB.url,
    [`LOKI_${OTHER_SOURCE.toUpperCase()}_HEADERS`]: `X-Scope-OrgID=${TENANT_B}`,
    CURSOR_SECRET,
    EMBEDDED_STORE: 'off',
    RATE_LIMIT_PER_MINUTE: '1000000',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'telemcp-sec-loki-')),
  };
  server = await startServerProcess({ ...common, API_KEYS: `${VIEWER_KEY}:elk_viewer` });
  viewer = new FrontDoors({ url: server.url, apiKey: VIEWER_KEY, role: 'elk_viewer', env: { ...common, LOG_LEVEL: 'warn' }, timeoutMs: 45_000 });
  await Promise.all([viewer.mcpClient(), viewer.sseClient(), viewer.rawSseSession(), viewer.stdioClient(), viewer.rawStdioSession()]);
  await settle();
}, 180_000);

afterAll(async () => {
  await viewer?.close();
  await server?.stop();
  await viaA?.stop();
  await viaB?.stop();
  await loki?.close();
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

const params = (r: ProxiedRequest): URLSearchParams => {
  const p = new URL(r.url, 'http://x').searchParams;
  if (r.method === 'POST') for (const [k, v] of new URLSearchParams(r.body)) p.append(k, v);
  return p;
};
/** Every LogQL text of a request: `query` and series' `match[]`. */
const logqlOf = (r: ProxiedRequest): string[] => [...params(r).getAll('query'), ...params(r).getAll('match[]')];
const describeRequests = (rs: ProxiedRequest[]): string[] => rs.map((r) => `${r.method} ${r.url.slice(0, 120)} ${logqlOf(r).join(' ; ').slice(0, 160)}`);

/** Go's strconv.Unquote of the body of a double-quoted literal (the escapes LogQL decodes). */
function goUnquote(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i]!;
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', "'": "'", a: '\u0007', b: '\b', f: '\f', v: '\v' };
    if (e in simple) out += simple[e];
    else if (e === 'x') {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e === 'u') {
      out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else if (e === 'U') {
      out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 9), 16));
      i += 8;
    } else if (/[0-7]/.test(e)) {
      out += String.fromCharCode(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else throw new Error(`unknown escape \\${e}`);
  }
  return out;
}

/**
 * A LogQL query split as Loki's lexer reads it: its string literals (double-quoted, decoded; or
 * raw backtick ones) and the rest (the skeleton, each literal replaced by `"…"`). Throws on an
 * unterminated literal.
 */
function splitLogql(query: string): { literals: string[]; skeleton: string } {
  const literals: string[] = [];
  let skeleton = '';
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    if (c !== '"' && c !== '`') {
      skeleton += c;
      continue;
    }
    let j = i + 1;
    while (j < query.length && query[j] !== c) j += c === '"' && query[j] === '\\' ? 2 : 1;
    if (j >= query.length) throw new Error(`unterminated literal in ${query}`);
    literals.push(c === '"' ? goUnquote(query.slice(i + 1, j)) : query.slice(i + 1, j));
    skeleton += '"…"';
    i = j;
  }
  return { literals, skeleton };
}

/**
 * What may stand outside string literals in a query telemcp sends: selectors and filters over
 * the configured labels, line filters, `or`/`and`, `sum [by (…)] (count_over_time(… [Nms]))`.
 * A caller's value outside a literal would add words or characters to this.
 */
const SKELETON_WORDS = new Set([...CONFIGURED_LABELS, 'sum', 'by', 'count_over_time', 'or', 'and']);
function expectSkeletonClean(query: string): void {
  const { skeleton } = splitLogql(query);
  const rest = skeleton.replace(/"…"/g, ' ').replace(/\[\d+(?:ms|s|m|h)\]/g, ' ');
  expect(rest, query).toMatch(/^[\sA-Za-z_(){},|=~!]*$/);
  for (const word of rest.match(/[A-Za-z_]+/g) ?? []) expect(SKELETON_WORDS.has(word), `${word} outside a literal in ${query}`).toBe(true);
}

/** Every matcher of a parsed query: its stream selectors, and its label filters. */
function matchersOf(expr: Expr): { selector: Matcher[]; filters: Matcher[]; lineRegexes: string[] } {
  const log = logOf(expr);
  const filters: Matcher[] = [];
  const walk = (p: LabelPredicate): void => {
    if (p.kind === 'and' || p.kind === 'or') {
      walk(p.left);
      walk(p.right);
    } else if (p.kind === 'string') filters.push(p.matcher);
  };
  const lineRegexes: string[] = [];
  for (const s of log.stages) {
    if (s.kind === 'filter') walk(s.predicate);
    if (s.kind === 'line' && (s.op === '|~' || s.op === '!~')) lineRegexes.push(...s.values);
  }
  return { selector: log.matchers, filters, lineRegexes };
}
function logOf(expr: Expr): LogExpr {
  return expr.kind === 'log' ? expr : expr.kind === 'range' ? expr.log : logOf(expr.inner);
}

/**
 * A query parses with the fake's LogQL parser (Loki's grammar, with a JavaScript rendering of RE2
 * that lacks a few of RE2's forms, such as `(?s:…)`); its selectors name configured labels only,
 * and so do its filters.
 */
function expectParses(query: string): ReturnType<typeof matchersOf> {
  let expr: Expr;
  try {
    expr = parseLogQL(query);
  } catch (err) {
    throw new Error(`the Loki fake's LogQL parser refuses ${JSON.stringify(query)}: ${(err as Error).message}`);
  }
  const m = matchersOf(expr);
  for (const s of m.selector) expect(SELECTOR_LABELS.has(s.name), `selector label ${s.name} in ${query}`).toBe(true);
  for (const f of m.filters) expect(CONFIGURED_LABELS.has(f.name), `filter label ${f.name} in ${query}`).toBe(true);
  return m;
}

const nsParam = (p: URLSearchParams, key: string): bigint => {
  const v = p.get(key) ?? '';
  expect(v, `${key} as unix ns`).toMatch(/^\d{1,20}$/);
  return BigInt(v);
};

/** The longest `[range]` (plus offset) a parsed query reads. */
function longestRange(expr: Expr): bigint {
  if (expr.kind === 'log') return 0n;
  if (expr.kind === 'range') return expr.rangeNs + (expr.offsetNs < 0n ? -expr.offsetNs : expr.offsetNs);
  return longestRange(expr.inner);
}

/** What every request to Loki must look like (A-12, H-61, A-09): a read path, its instance's tenant, a bounded query that parses. */
function expectWellFormed(r: ProxiedRequest, tenant: string): void {
  const path = pathOf(r);
  expect(['GET', 'POST'], r.url).toContain(r.method);
  expect(path, r.url).toMatch(/^\/loki\/api\/v1\/(?:query|query_range|labels|label\/[a-zA-Z_][a-zA-Z0-9_]*\/values|series)$|^\/ready$/);
  if (r.method === 'POST') expect(r.headers['content-type'], r.url).toBe('application/x-www-form-urlencoded');
  expect(r.headers['x-scope-orgid'], r.url).toBe(tenant);
  expect(r.headers['x-api-key']).toBeUndefined();
  expect(r.headers.authorization).toBeUndefined();
  for (const [name, value] of Object.entries(r.headers)) expect(`${name}: ${String(value)}`, r.url).not.toMatch(/[\r\n\u0000]/);
  if (path === '/ready') return;
  const p = params(r);
  for (const q of logqlOf(r)) {
    expectParses(q);
    expectSkeletonClean(q);
    expect(longestRange(parseLogQL(q)), `range of ${q}`).toBeLessThanOrEqual(MAX_WINDOW_NS);
  }
  if (path === '/loki/api/v1/query') {
    expect(p.getAll('query'), r.body.slice(0, 200)).toHaveLength(1);
    expect(p.getAll('time')).toHaveLength(1);
    nsParam(p, 'time');
    if (p.get('limit') !== null) expect(Number(p.get('limit'))).toBeLessThanOrEqual(MAX_ENTRIES);
    return;
  }
  for (const key of ['start', 'end']) expect(p.getAll(key), `${key} in ${r.url} ${r.body.slice(0, 200)}`).toHaveLength(1);
  const window = nsParam(p, 'end') - nsParam(p, 'start');
  expect(window, r.body.slice(0, 200)).toBeGreaterThan(0n);
  expect(window, `window of ${r.body.slice(0, 200)}`).toBeLessThanOrEqual(MAX_WINDOW_NS);
  if (path === '/loki/api/v1/query_range') {
    expect(p.getAll('query'), r.body.slice(0, 200)).toHaveLength(1);
    if (parseLogQL(p.get('query')!).kind === 'log') {
      expect(p.getAll('limit'), r.body.slice(0, 200)).toHaveLength(1);
      expect(Number(p.get('limit'))).toBeGreaterThan(0);
      expect(Number(p.get('limit'))).toBeLessThanOrEqual(MAX_ENTRIES);
    } else {
      const step = p.get('step') ?? '';
      expect(step, r.body.slice(0, 200)).toMatch(/^\d+ms$/);
      expect(window / (BigInt(step.slice(0, -2)) * 1_000_000n), 'points').toBeLessThanOrEqual(MAX_POINTS);
    }
  }
}

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

/** A refused row: the code at every door and no request to Loki (nor from a row running beside it). */
async function runRefused(row: LokiRow): Promise<void> {
  await slot(async () => {
    const m = mark();
    const res = await viewer.all(row.call);
    expectEverywhere(res, { ok: false, code: row.expect });
    expect(describeRequests(byCall(seenSince(m))), 'Loki requests for a refused call (or for a row running beside it)').toEqual([]);
  });
}

/** An accepted call at every door: ok everywhere; the answers and what Loki received meanwhile, each well-formed. */
async function runAccepted(c: ToolCall, tenant = TENANT_A, asked: 'each door' | 'each process' = 'each door'): Promise<{ res: Record<Door, Decision>; seen: ProxiedRequest[] }> {
  const m = mark();
  const res = await viewer.all(c);
  expectEverywhere(res, { ok: true, code: null });
  const seen = byCall(seenSince(m));
  // Answers a process may reuse (discovery, metric queries) reach Loki once per process: serve, stdio, the CLI.
  expect(seen.length, `${asked} reached Loki`).toBeGreaterThanOrEqual(asked === 'each door' ? DOORS.length : 3);
  for (const r of seen) expectWellFormed(r, tenant);
  return { res, seen };
}

/** The regex syntax wordRegex wraps a message word in: what is left once it is removed are the word's letters and digits. */
const WORD_REGEX_SYNTAX = ['(?:^|[^\\p{L}\\p{N}])', '(?:[^\\p{L}\\p{N}]|$)', '[^\\p{L}\\p{N}]+', '\\p{M}*', '(?i)', '(?:', ')', '|'];
function wordCharsOf(regex: string): string {
  let rest = regex;
  for (const s of WORD_REGEX_SYNTAX) rest = rest.split(s).join('');
  // A letter folded with its diacritics: [eéèêë…] stands for its first letter.
  return rest.replace(/\[([^\]\\])[^\]\\]*\]/gu, '$1');
}

/** Unescaped branches of a regex built of literals (regexLiteral values joined by `|`). */
function literalBranches(re: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < re.length; i++) {
    if (re[i] === '\\') cur += re[++i] ?? '';
    else if (re[i] === '|') {
      out.push(cur);
      cur = '';
    } else cur += re[i];
  }
  out.push(cur);
  return out;
}

/** An answered injection: the value is a literal (or its words are), every door asked, and a search matched exactly the record holding it. */
async function runLiteral(row: LokiRow): Promise<void> {
  const { res, seen } = await runAccepted(row.call);
  const lit = row.literal!;
  const queries = seen.flatMap(logqlOf);
  const parsed = queries.map((q) => ({ q, m: expectParses(q) }));
  const text = queries.join('\n');
  if (lit.as === 'exact') {
    const holds = parsed.filter(({ m }) => [...m.selector, ...m.filters].some((x) => x.op === '=' && x.value === lit.value));
    expect(holds.length, text).toBeGreaterThanOrEqual(DOORS.length);
  } else if (lit.as === 'level') {
    const lower = lit.value.toLowerCase();
    const holds = parsed.filter(({ m }) => m.filters.some((x) => (x.name === 'level' || x.name === 'detected_level') && (x.op === '=' ? x.value === lower : x.op === '=~' && literalBranches(x.value).includes(lower))));
    expect(holds.length, text).toBeGreaterThanOrEqual(DOORS.length);
  } else {
    const chars = new Set([...lit.value.toLowerCase()]);
    const words = parsed.flatMap(({ m }) => m.lineRegexes.filter((re) => re.startsWith('(?i)')));
    expect(words.length, text).toBeGreaterThanOrEqual(DOORS.length);
    for (const re of words) {
      const left = wordCharsOf(re);
      expect(left, re).toMatch(/^[\p{L}\p{N}]+$/u);
      for (const c of left) expect(chars.has(c.toLowerCase()), `${c} of ${re} is not in the value`).toBe(true);
    }
  }
  if (row.call.tool === 'logs_search' && row.call.args && ['service_name', 'trace_id'].some((a) => a in row.call.args!)) {
    // Seeded: exactly one record holds the value as its service and trace id; a filter that broke out would match many.
    for (const d of DOORS) expect((res[d].data as { total: number }).total, d).toBe(1);
  }
  if (row.call.tool === 'logs_search' && row.call.args?.log_level === 'notalevel') {
    for (const d of DOORS) expect((res[d].data as { total: number }).total, d).toBe(1);
  }
}

const REFUSED = { concurrent: true, timeout: 300_000 } as const;
const ALONE = { timeout: 120_000 } as const;
const label = (r: LokiRow): string => `${r.id} ${r.name} → ${r.expect}`;

describe('refused before any Loki request, at every front door', () => {
  const refused = [...injectionRows(), ...scopeRows(), ...sourceRows(), ...windowRows(), ...capRows(), ...extraArgRows(), ...forgedCursorRows()].filter((r) => r.expect !== 'ok');
  it.each(refused.map((r) => [label(r), r] as const))('%s', REFUSED, async (_l, row) => runRefused(row));
});

describe('loki_query and loki_discover: what the guards must refuse, refused before any request at every door', () => {
  const rows = [...lokiQueryRows(), ...lokiDiscoverRows()];
  it.each(rows.map((r) => [label(r), r] as const))('%s', REFUSED, async (_l, row) => runRefused(row));
});

describe('LogQL injections answered: the value is a string literal and matches only itself', () => {
  it.each(injectionRows().filter((r) => r.expect === 'ok').map((r) => [label(r), r] as const))('%s', ALONE, async (_l, row) => runLiteral(row));
});

describe('each instance reads its own tenant, whichever door and tool', () => {
  it('logs_search on each source counts only its own tenant\'s records', ALONE, async () => {
    const a = await runAccepted(call('logs_search', { service_name: 'checkout' }), TENANT_A);
    const b = await runAccepted(call('logs_search', { source: OTHER_SOURCE, service_name: 'checkout' }), TENANT_B);
    for (const d of DOORS) {
      expect((a.res[d].data as { total: number }).total, d).toBe(12);
      expect((b.res[d].data as { total: number }).total, d).toBe(5);
    }
    expect(a.seen.every((r) => viaA.requests.includes(r))).toBe(true);
    expect(b.seen.every((r) => viaB.requests.includes(r))).toBe(true);
  });

  it.each([
    ['loki_query a log query', { tool: 'loki_query', args: { query: '{service_name="checkout"} |= "order" | level="info"', limit: 50 } }],
    ['loki_query a metric query', { tool: 'loki_query', args: { query: 'sum by (level) (count_over_time({service_name="checkout"} [5m]))' } }],
    ['loki_discover labels', { tool: 'loki_discover', args: { what: 'labels' } }],
    ['loki_discover values', { tool: 'loki_discover', args: { what: 'values', label: 'service_name', selector: '{level="error"}' } }],
    ['loki_discover series', { tool: 'loki_discover', args: { what: 'series', selector: '{service_name="checkout"}' } }],
    ['loki_discover hits', { tool: 'loki_discover', args: { what: 'hits', selector: '{service_name="checkout"} |= "order"', step: '5m' } }],
  ] as const)('%s, on both instances', ALONE, async (_l, c) => {
    await runAccepted(c, TENANT_A, 'each process');
    await runAccepted({ tool: c.tool, args: { ...c.args, source: OTHER_SOURCE } }, TENANT_B, 'each process');
  });
});

describe('cursors: a tampered, rebound or expired cursor is refused before any request', () => {
  let cursor = '';
  let otherCursor = '';
  const first = { tool: 'logs_search', args: { source: SOURCE, service_name: 'checkout', limit: 2 } } satisfies ToolCall;
  const firstOther = { tool: 'logs_search', args: { source: OTHER_SOURCE, service_name: 'checkout', limit: 2 } } satisfies ToolCall;

  beforeAll(async () => {
    for (const [c, set] of [[first, (v: string) => (cursor = v)], [firstOther, (v: string) => (otherCursor = v)]] as const) {
      const res = await viewer.rest(c);
      expect(decisionOf(res)).toEqual({ ok: true, code: null });
      set((res.data as { next_cursor?: string }).next_cursor ?? '');
    }
    expect(cursor).toMatch(/^v1\./);
    expect(otherCursor).toMatch(/^v1\./);
  }, 60_000);

  it('the cursor as issued pages on at every door (the same CURSOR_SECRET everywhere)', ALONE, async () => {
    const { res } = await runAccepted({ tool: 'logs_search', args: { ...first.args, cursor } });
    for (const d of DOORS) expect((res[d].data as { hits: unknown[] }).hits.length, d).toBe(2);
  });

  const envelopeOf = (c: string) => JSON.parse(Buffer.from(c.split('.')[1]!, 'base64url').toString('utf8')) as { t: string; f: string; e: number; s: Record<string, unknown> };
  /** A cursor signed with the server's own secret (what a leaked CURSOR_SECRET would allow). */
  const resign = (change: (e: ReturnType<typeof envelopeOf>) => { t?: string; f?: string; s?: Record<string, unknown>; now?: number }): string => {
    const e = envelopeOf(cursor);
    const c = change(e);
    return cursorCodec(CURSOR_SECRET).encode(c.t ?? e.t, c.f ?? e.f, c.s ?? e.s, c.now);
  };
  const flip = (s: string, at: number): string => `${s.slice(0, at)}${s[at] === 'A' ? 'B' : 'A'}${s.slice(at + 1)}`;
  /** One bit of the payload's bytes flipped, the MAC kept. */
  const flipBit = (c: string, byte: number, bit: number): string => {
    const [v, payload, mac] = c.split('.') as [string, string, string];
    const bytes = Buffer.from(payload, 'base64url');
    bytes[byte % bytes.length] ^= 1 << bit;
    return `${v}.${bytes.toString('base64url')}.${mac}`;
  };
  const withCursor = (c: () => string, extra: Record<string, unknown> = {}) => (): ToolCall => ({ tool: 'logs_search', args: { ...first.args, ...extra, cursor: c() } });

  const cases: Array<[string, () => ToolCall]> = [
    ['a payload character changed', withCursor(() => flip(cursor, 10))],
    ['a MAC character changed', withCursor(() => flip(cursor, cursor.length - 5))],
    ['the MAC of another cursor', withCursor(() => `${cursor.slice(0, cursor.lastIndexOf('.'))}${otherCursor.slice(otherCursor.lastIndexOf('.'))}`)],
    ...[0, 7, 40, 100, 200].map((byte): [string, () => ToolCall] => [`bit ${byte % 8} of payload byte ${byte} flipped`, withCursor(() => flipBit(cursor, byte, byte % 8))]),
    ['sent with another service_name (an injection)', withCursor(() => cursor, { service_name: '"} or {x=~".+"}' })],
    ['sent with another scope', withCursor(() => cursor, { scope: 'other' })],
    ['issued by the other instance (another tenant), sent to this one', withCursor(() => otherCursor)],
    ['issued by this instance, sent to the other (another tenant)', () => ({ tool: 'logs_search', args: { ...firstOther.args, cursor } })],
    ['re-signed for another tool', withCursor(() => resign(() => ({ t: 'elk_search_logs' })))],
    ['re-signed for the other source', withCursor(() => resign(() => ({ t: `log-source:${OTHER_SOURCE}` })))],
    ['re-signed for other arguments', withCursor(() => resign(() => ({ f: 'x'.repeat(32) })))],
    ['re-signed, expired', withCursor(() => resign(() => ({ now: Date.now() - CURSOR_TTL_MS - 60_000 })))],
  ];
  it.each(cases)('%s → invalid_input', REFUSED, async (l, make) => runRefused({ id: 'P-08', name: l, call: make(), expect: 'invalid_input' }));

  /** States a leaked secret could sign: each is checked before anything reaches the LogQL or the window. */
  const states: Array<[string, (s: Record<string, unknown>) => Record<string, unknown>]> = [
    ['boundary time \'1"} or {x=~".+"}\'', (s) => ({ ...s, b: { t: '1"} or {x=~".+"}', h: [] } })],
    ['boundary time with CR/LF + X-Scope-OrgID', (s) => ({ ...s, b: { t: '1\r\nX-Scope-OrgID: other', h: [] } })],
    ['boundary digest with a quote', (s) => ({ ...s, b: { t: '1', h: ['"} or {x=~".+"}'] } })],
    ['negative offset', (s) => ({ ...s, o: -1 })],
    ['window of two numbers', (s) => ({ ...s, w: [0, 1] })],
    ['total as text', (s) => ({ ...s, n: '{__name__=~".+"}' })],
  ];
  it('the re-signing reproduces the cursor as issued (so the rows below differ from it only by what they change)', () => {
    expect(envelopeOf(resign(() => ({}))).s).toEqual(envelopeOf(cursor).s);
  });
  it.each(states)('signed with the server\'s secret, state with %s → invalid_input', REFUSED, async (l, state) =>
    runRefused({ id: 'P-08', name: l, call: withCursor(() => resign((e) => ({ s: state(e.s) })))(), expect: 'invalid_input' }),
  );
});

describe('after the corpus: what Loki received (A-09, A-12, H-61)', () => {
  it('every request was a read with its own instance\'s tenant only, bounded, its LogQL parsing with every caller value in a literal', () => {
    expect(viaA.count).toBeGreaterThan(100);
    expect(viaB.count).toBeGreaterThan(10);
    // Every request that breaks a rule, listed together.
    const problems: string[] = [];
    for (const [via, tenant] of [[viaA, TENANT_A], [viaB, TENANT_B]] as const) {
      for (const r of via.requests) {
        try {
          expectWellFormed(r, tenant);
          const text = JSON.stringify(r.headers) + r.url + r.body;
          expect(text).not.toContain(VIEWER_KEY);
          expect(text).not.toContain('evil.example');
        } catch (err) {
          problems.push(`${describeRequests([r])[0]} → ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // Nothing was pushed, deleted or tailed: every path the fake saw after seeding is a read, and came through a forwarder.
    const after = loki.fake.requests.slice(seeded);
    expect(after.length).toBe(viaA.count + viaB.count);
    for (const r of after) expect(`${r.method} ${r.path}`).toMatch(/^(?:GET|POST) (?:\/loki\/api\/v1\/(?:query|query_range|labels|label\/[a-zA-Z_][a-zA-Z0-9_]*\/values|series)|\/ready)$/);
  });
});
