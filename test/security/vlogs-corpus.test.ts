/**
 * SECURITY.md §8's hostile-input rows generalised for the VictoriaLogs log source
 * (vlogs-corpus.ts) and replayed through all six front doors (REST, MCP Streamable HTTP, legacy
 * SSE, the mcp.execute alias, stdio and the CLI) against the real VictoriaLogs of
 * scripts/test-env.sh, behind a counting forwarder: the decision must be the expected code at
 * every door (A-07); refused calls must be decided before any request (P-09); a value that is
 * answered reaches VictoriaLogs only inside a quoted LogsQL literal and matches only literally;
 * and what VictoriaLogs received is checked: select paths only (A-12), the configured
 * AccountID/ProjectID and nothing else, no CR/LF in a header (H-61, A-09), a limit and a window
 * on every query, backend error text kept from the caller (D-09).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS, type ErrorCode } from '../../src/core/errors.js';
import { cursorCodec } from '../../src/backends/cursor.js';
import { forceFlush, requireVlogsUrl } from '../helpers/vlogs-env.js';
import { ingestEcsLines } from '../helpers/vlogs-seed.js';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { CountingProxy, randSuffix, type ProxiedRequest } from '../helpers/security-counting-proxy.js';
import { DOORS, FrontDoors, decisionOf, type Decision, type Door, type ToolCall } from './front-doors.js';
import { INJECTIONS, SOURCE, capRows, extraArgRows, forgedCursorRows, injectionRows, scopeRows, sourceRows, windowRows, type VlogsRow } from './vlogs-corpus.js';

const VIEWER_KEY = `vw_${randomBytes(18).toString('hex')}`;
/** A tenant of this run's own: AccountID random, ProjectID 0. */
const ACCOUNT = String(randomInt(1000, 1_000_000));
const PROJECT = '0';
const CURSOR_SECRET = randomBytes(32).toString('hex');
const RUN = randSuffix();
/** A value a backend quotes in its error text; it must never reach a caller (D-09). */
const SECRET = `SECRET-VALUE-${RUN}`;

let vl: CountingProxy;
let server: RunningServer;
let viewer: FrontDoors;

const mark = (): number => vl.count;
const seenSince = (m: number): ProxiedRequest[] => vl.since(m);

/** Waits until the forwarder has received no request for `quietMs` (the start-up checks of serve and stdio are done). */
async function settle(quietMs = 2000, maxMs = 60_000): Promise<void> {
  const until = Date.now() + maxMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < until) {
    if (vl.count !== last) {
      last = vl.count;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Records of this run in its own tenant: ordinary ones, and one per hostile value holding it as service, trace id and message. */
function seedDocs(): Record<string, unknown>[] {
  const now = Date.now();
  const docs: Record<string, unknown>[] = [];
  for (let i = 0; i < 24; i++) {
    docs.push({
      '@timestamp': new Date(now - 25 * 60_000 + i * 60_000).toISOString(),
      message: `${i % 3 === 0 ? 'payment failed: upstream timeout' : 'request served'} order=${i} run=${RUN}`,
      service: { name: i % 2 ? 'checkout' : 'payments' },
      log: { level: i % 3 === 0 ? 'error' : 'info' },
      trace: { id: `trace-${RUN}-${i % 5}` },
      host: { name: `node-${i % 2}` },
      run: RUN,
    });
  }
  INJECTIONS.filter((inj) => !inj.control).forEach((inj, i) => {
    docs.push({
      '@timestamp': new Date(now - 20 * 60_000 + i * 1000).toISOString(),
      message: `hostile ${inj.value}`,
      service: { name: inj.value },
      log: { level: 'error' },
      trace: { id: inj.value },
      host: { name: 'node-h' },
      run: RUN,
    });
  });
  return docs;
}

beforeAll(async () => {
  const target = requireVlogsUrl();
  await ingestEcsLines(target, seedDocs(), { accountId: Number(ACCOUNT), projectId: Number(PROJECT) });
  await forceFlush(target);
  vl = new CountingProxy({ target });
  await vl.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'telemcp-sec-vlogs-'));
  const common = {
    VICTORIALOGS_URL: vl.url,
    VICTORIALOGS_HEADERS: `AccountID=${ACCOUNT},ProjectID=${PROJECT}`,
    CURSOR_SECRET,
    EMBEDDED_STORE: 'off',
    RATE_LIMIT_PER_MINUTE: '1000000',
    // Every door must reach the backend itself: the query cache (tested in query-cache tests) would answer the doors after the first.
    QUERY_CACHE_MAX_BYTES: '0',
    DATA_DIR: dataDir,
  };
  server = await startServerProcess({ ...common, API_KEYS: `${VIEWER_KEY}:elk_viewer` });
  viewer = new FrontDoors({ url: server.url, apiKey: VIEWER_KEY, role: 'elk_viewer', env: { ...common, LOG_LEVEL: 'warn' }, timeoutMs: 45_000 });
  await Promise.all([viewer.mcpClient(), viewer.sseClient(), viewer.rawSseSession(), viewer.stdioClient(), viewer.rawStdioSession()]);
  await settle();
}, 180_000);

afterAll(async () => {
  await viewer?.close();
  await server?.stop();
  await vl?.stop();
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

const params = (r: ProxiedRequest): URLSearchParams => (r.method === 'POST' ? new URLSearchParams(r.body) : new URL(r.url, 'http://x').searchParams);
const pathOf = (r: ProxiedRequest): string => new URL(r.url, 'http://x').pathname;
const describeRequests = (rs: ProxiedRequest[]): string[] => rs.map((r) => `${r.method} ${r.url.slice(0, 120)} ${(params(r).get('query') ?? '').slice(0, 160)}`);

/** Go's strconv.Unquote of the body of a double-quoted literal (the escapes LogsQL decodes). */
function goUnquote(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
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
 * A LogsQL query split as VictoriaLogs' lexer reads it: its double-quoted literals (decoded) and
 * the rest (the skeleton, each literal replaced by `"…"`). Throws on an unterminated literal.
 */
function splitLogsql(query: string): { literals: string[]; skeleton: string } {
  const literals: string[] = [];
  let skeleton = '';
  for (let i = 0; i < query.length; i++) {
    if (query[i] !== '"') {
      skeleton += query[i];
      continue;
    }
    let j = i + 1;
    while (j < query.length && query[j] !== '"') j += query[j] === '\\' ? 2 : 1;
    if (j >= query.length) throw new Error(`unterminated literal in ${query}`);
    literals.push(goUnquote(query.slice(i + 1, j)));
    skeleton += '"…"';
    i = j;
  }
  return { literals, skeleton };
}

/** LogsQL syntax no telemcp query has outside a literal, and every injection class would need. */
const FORBIDDEN_SKELETON = /delete|options|ignore_global|_stream:\{|#|['`\r\n\u0000]|\bx=|\bOR \*|\bor\b/;

/** What every request to VictoriaLogs must look like (A-12, H-61, A-09): a select path, the tenant of the configuration, a bounded query. */
function expectWellFormed(r: ProxiedRequest): void {
  expect(['GET', 'POST'], r.url).toContain(r.method);
  expect(pathOf(r), r.url).toMatch(/^\/select\/logsql\/(?:query|hits|field_names|field_values|streams|stream_field_names|stream_field_values|stats_query|stats_query_range)$/);
  if (r.method === 'POST') expect(r.headers['content-type'], r.url).toBe('application/x-www-form-urlencoded');
  expect(r.headers.accountid, r.url).toBe(ACCOUNT);
  expect(r.headers.projectid, r.url).toBe(PROJECT);
  expect(r.headers['x-api-key']).toBeUndefined();
  expect(r.headers.authorization).toBeUndefined();
  for (const [name, value] of Object.entries(r.headers)) expect(`${name}: ${String(value)}`, r.url).not.toMatch(/[\r\n\u0000]/);
  const p = params(r);
  for (const key of ['query', 'start', 'end']) expect(p.getAll(key), `${key} in ${r.url} ${r.body.slice(0, 200)}`).toHaveLength(1);
  if (pathOf(r) === '/select/logsql/query') {
    expect(p.getAll('limit'), r.body.slice(0, 200)).toHaveLength(1);
    expect(Number(p.get('limit'))).toBeGreaterThan(0);
  }
  const start = Date.parse(p.get('start') ?? '');
  const end = /^\d+$/.test(p.get('end') ?? '') ? Number(BigInt(p.get('end') ?? '0') / 1_000_000n) : Date.parse(p.get('end') ?? '');
  expect(Number.isFinite(start) || /^\d+$/.test(p.get('start') ?? ''), r.body.slice(0, 200)).toBe(true);
  expect(Number.isFinite(end), r.body.slice(0, 200)).toBe(true);
  const { skeleton } = splitLogsql(p.get('query') ?? '');
  expect(skeleton, p.get('query') ?? '').not.toMatch(FORBIDDEN_SKELETON);
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

/** A refused row: the code at every door and no request to VictoriaLogs (nor from a row running beside it). */
async function runRefused(row: VlogsRow): Promise<void> {
  await slot(async () => {
    const m = mark();
    const res = await viewer.all(row.call);
    expectEverywhere(res, { ok: false, code: row.expect });
    expect(describeRequests(seenSince(m)), 'VictoriaLogs requests for a refused call (or for a row running beside it)').toEqual([]);
  });
}

/** An accepted call at every door: ok everywhere; the answers and what VictoriaLogs received meanwhile, each well-formed. */
async function runAccepted(call: ToolCall): Promise<{ res: Record<Door, Decision>; seen: ProxiedRequest[] }> {
  const m = mark();
  const res = await viewer.all(call);
  expectEverywhere(res, { ok: true, code: null });
  const seen = seenSince(m);
  expect(seen.length, 'each door reached VictoriaLogs').toBeGreaterThanOrEqual(DOORS.length);
  for (const r of seen) expectWellFormed(r);
  return { res, seen };
}

/** An answered injection: the value is one literal (or its words are), every door asked, and a search matched exactly the record holding the value. */
async function runLiteral(row: VlogsRow): Promise<void> {
  const { res, seen } = await runAccepted(row.call);
  const lit = row.literal!;
  const queries = seen.map((r) => params(r).get('query') ?? '');
  const literalsOf = queries.map((q) => splitLogsql(q).literals);
  if (lit.as === 'exact') {
    expect(literalsOf.filter((ls) => ls.includes(lit.value)).length, queries.join('\n')).toBeGreaterThanOrEqual(DOORS.length);
  } else if (lit.as === 'level') {
    expect(literalsOf.filter((ls) => ls.includes(lit.value.toLowerCase())).length, queries.join('\n')).toBeGreaterThanOrEqual(DOORS.length);
  } else {
    // The message words: each `"_msg":i("word")` a literal made only of the value's own characters.
    const chars = new Set([...lit.value]);
    const withWords = queries.filter((q) => q.includes('"_msg":i('));
    expect(withWords.length, queries.join('\n')).toBeGreaterThanOrEqual(DOORS.length);
    for (const q of withWords) {
      const words = [...q.matchAll(/"_msg":i\(("(?:[^"\\]|\\.)*")\*?\)/g)].map((m) => goUnquote(m[1].slice(1, -1)));
      expect(words.length, q).toBeGreaterThan(0);
      for (const w of words) expect([...w].every((c) => chars.has(c)), `${w} in ${q}`).toBe(true);
    }
  }
  if (row.call.tool === 'logs_search' && lit.as === 'exact') {
    // Seeded: exactly one record holds the value as its service and trace id; a filter that broke out would match all.
    for (const d of DOORS) expect((res[d].data as { total: number }).total, d).toBe(1);
  }
}

const REFUSED = { concurrent: true, timeout: 300_000 } as const;
const ALONE = { timeout: 120_000 } as const;
const label = (r: VlogsRow): string => `${r.id} ${r.name} → ${r.expect}`;

describe('refused before any VictoriaLogs request, at every front door', () => {
  const refused = [...injectionRows(), ...scopeRows(), ...sourceRows(), ...windowRows(), ...capRows(), ...extraArgRows(), ...forgedCursorRows()].filter((r) => r.expect !== 'ok');
  it.each(refused.map((r) => [label(r), r] as const))('%s', REFUSED, async (_l, row) => runRefused(row));
});

describe('LogsQL injections answered: the value is a quoted literal and matches only itself', () => {
  it.each(injectionRows().filter((r) => r.expect === 'ok').map((r) => [label(r), r] as const))('%s', ALONE, async (_l, row) => runLiteral(row));
});

describe('cursors: a tampered or rebound cursor is refused before any request', () => {
  let cursor = '';
  const first = { tool: 'logs_search', args: { source: SOURCE, service_name: 'checkout', limit: 2 } } satisfies ToolCall;

  beforeAll(async () => {
    const res = await viewer.rest(first);
    expect(decisionOf(res)).toEqual({ ok: true, code: null });
    cursor = (res.data as { next_cursor?: string }).next_cursor ?? '';
    expect(cursor).toMatch(/^v1\./);
  }, 60_000);

  it('the cursor as issued pages on at every door (the same CURSOR_SECRET everywhere)', ALONE, async () => {
    const { res } = await runAccepted({ tool: 'logs_search', args: { ...first.args, cursor } });
    for (const d of DOORS) expect((res[d].data as { hits: unknown[] }).hits.length, d).toBe(2);
  });

  const flip = (s: string, at: number): string => `${s.slice(0, at)}${s[at] === 'A' ? 'B' : 'A'}${s.slice(at + 1)}`;
  const cases: Array<[string, () => ToolCall]> = [
    ['a payload character changed', () => ({ tool: 'logs_search', args: { ...first.args, cursor: flip(cursor, 10) } })],
    ['a MAC character changed', () => ({ tool: 'logs_search', args: { ...first.args, cursor: flip(cursor, cursor.length - 5) } })],
    ['sent with another service_name (an injection)', () => ({ tool: 'logs_search', args: { ...first.args, service_name: '") OR *', cursor } })],
    ['sent with another scope', () => ({ tool: 'logs_search', args: { ...first.args, scope: 'other', cursor } })],
  ];
  it.each(cases)('%s → invalid_input', REFUSED, async (_l, make) => runRefused({ id: 'P-08', name: _l, call: make(), expect: 'invalid_input' }));

  /**
   * Cursors signed with the server's own CURSOR_SECRET for the same tool and arguments, whose
   * state is not one the server writes: what a leaked secret would allow. The state is still
   * checked before anything reaches the LogsQL text or the window.
   */
  const resigned = (state: (s: Record<string, unknown>) => Record<string, unknown>): ToolCall => {
    const envelope = JSON.parse(Buffer.from(cursor.split('.')[1], 'base64url').toString('utf8')) as { t: string; f: string; s: Record<string, unknown> };
    return { tool: 'logs_search', args: { ...first.args, cursor: cursorCodec(CURSOR_SECRET).encode(envelope.t, envelope.f, state(envelope.s)) } };
  };
  const states: Array<[string, (s: Record<string, unknown>) => Record<string, unknown>]> = [
    ['boundary time "1 | delete"', (s) => ({ ...s, b: { t: '1 | delete', k: 0 } })],
    ['boundary time with a quote and CR/LF', (s) => ({ ...s, b: { t: '1"\r\nAccountID: 0', k: 0 } })],
    ['negative skip count', (s) => ({ ...s, b: { t: '1', k: -1 } })],
    ['window of two numbers', (s) => ({ ...s, w: [0, 1] })],
    ['total as text', (s) => ({ ...s, n: '* | delete' })],
  ];
  it('the re-signing reproduces the cursor as issued (so the rows below differ from it only by state)', () => {
    const envelope = JSON.parse(Buffer.from(cursor.split('.')[1], 'base64url').toString('utf8')) as { s: Record<string, unknown> };
    const again = resigned((s) => s).args!.cursor as string;
    expect(JSON.parse(Buffer.from(again.split('.')[1], 'base64url').toString('utf8')).s).toEqual(envelope.s);
  });
  it.each(states)('signed with the server\'s secret, state with %s → invalid_input', REFUSED, async (_l, state) =>
    runRefused({ id: 'P-08', name: _l, call: resigned(state), expect: 'invalid_input' }),
  );
});

describe('D-09: VictoriaLogs error text never reaches the caller', () => {
  const marked = (r: ProxiedRequest): boolean => (params(r).get('query') ?? '').includes(`d09-${RUN}`);
  const call: ToolCall = { tool: 'logs_search', args: { source: SOURCE, service_name: `d09-${RUN}` } };

  const cases: Array<[string, number, string, string]> = [
    ['500 quoting a stored value and an internal host', 500, `cannot execute query: field value ${SECRET} at vlstorage-3.internal:9491 panicked`, 'backend_error'],
    ['400 that is not a parse error', 400, `unsupported pipe near ${SECRET}`, 'backend_error'],
    ['400 parse error quoting the server text', 400, `cannot parse query [${SECRET}]: unexpected token`, 'invalid_input'],
  ];
  it.each(cases)('%s → %s', ALONE, async (_l, status, body, code) => {
    vl.respond = (r) => (marked(r) ? { status, headers: { 'content-type': 'text/plain' }, body } : undefined);
    try {
      const m = mark();
      const from = viewer.transcript.length;
      const res = await viewer.all(call);
      expectEverywhere(res, { ok: false, code });
      expect(seenSince(m).filter(marked).length).toBeGreaterThanOrEqual(DOORS.length);
      for (const d of DOORS) {
        expect(res[d].message ?? '', d).not.toContain(SECRET);
        expect(res[d].message ?? '', d).not.toContain('vlstorage-3');
      }
      for (const text of viewer.transcript.slice(from)) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain('vlstorage-3');
      }
    } finally {
      vl.respond = undefined;
    }
  });
});

describe('after the corpus: what VictoriaLogs received (A-09, A-12, H-61)', () => {
  it('every request was a well-formed select (or the /health probe) with the configured tenant only', () => {
    expect(vl.count).toBeGreaterThan(100);
    for (const r of vl.requests) {
      if (pathOf(r) === '/health') {
        expect(r.method).toBe('GET');
        expect(r.headers.accountid).toBe(ACCOUNT);
        continue;
      }
      expectWellFormed(r);
      const text = JSON.stringify(r.headers) + r.url + r.body;
      expect(text).not.toContain(VIEWER_KEY);
      expect(text).not.toContain('evil.example');
    }
  });
});
