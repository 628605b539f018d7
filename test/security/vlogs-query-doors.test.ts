/**
 * The native VictoriaLogs tools (vlogs_query, vlogs_discover) and their guards at every front
 * door: REST, MCP Streamable HTTP, legacy SSE, the mcp.execute alias, MCP stdio and the CLI
 * (front-doors.ts), plus the in-process pipeline (invokeTool). Against the real VictoriaLogs of
 * scripts/test-env.sh, in a tenant of this run, behind a counting forwarder:
 *
 * - a valid call is answered with the same data at each door;
 * - each guard refusal (pipes, match-all, too wide a window, too high a limit, comments,
 *   options(…)) gets the same code at each door, with no request to VictoriaLogs;
 * - a hostile value in the JSON filter form stays a literal: it matches only the record that
 *   holds it, at each door.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { ERROR_STATUS, type ErrorCode } from '../../src/core/errors.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, call } from '../helpers/es-fixtures.js';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { CountingProxy, randSuffix, type ProxiedRequest } from '../helpers/security-counting-proxy.js';
import { forceFlush, requireVlogsUrl } from '../helpers/vlogs-env.js';
import { ingestEcsLines } from '../helpers/vlogs-seed.js';
import { DOORS, FrontDoors, decisionOf, type Decision, type ToolCall } from './front-doors.js';

const VIEWER_KEY = `vw_${randomBytes(18).toString('hex')}`;
const TENANT = { accountId: randomInt(2_000_000, 3_000_000), projectId: 0 };
const RUN = randSuffix();
const MINUTE = 60_000;
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;
/** An explicit window, so that every door's answer states the same times. */
const WINDOW = { start: new Date(NOW - 60 * MINUTE).toISOString(), end: new Date(NOW + MINUTE).toISOString() };

/** The seven doors: the six of front-doors.ts and the in-process pipeline. */
const ALL_DOORS = [...DOORS, 'pipeline'] as const;
type AnyDoor = (typeof ALL_DOORS)[number];

/** Values that would be LogsQL syntax if they escaped their quotes; each is one record's service. */
const HOSTILE = [
  `x" OR * OR "`,
  `api" | delete | "`,
  `a\\" _stream:{} \\"`,
  `{} or _msg:*`,
  `# hide the pipes`,
  `options(ignore_global_time_filter=true)`,
  `line\nbreak\r"`,
  `in(*)`,
];

let vl: CountingProxy;
let server: RunningServer;
let doors: FrontDoors;
let app: App;

const selectsSince = (m: number): ProxiedRequest[] => vl.since(m).filter((r) => r.url.startsWith('/select/'));

/** Waits until the forwarder has received no request for `quietMs` (the start-up probes of serve and stdio are done). */
async function settle(quietMs = 1500, maxMs = 60_000): Promise<void> {
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

function seedDocs(): Record<string, unknown>[] {
  const docs: Record<string, unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    const error = i % 4 === 0;
    docs.push({
      '@timestamp': new Date(NOW - 45 * MINUTE + i * MINUTE).toISOString(),
      message: error ? `payment failed: upstream timeout after ${1000 + i}ms` : `request served order=${i}`,
      service: { name: i % 2 ? 'checkout' : 'payments' },
      log: { level: error ? 'error' : 'info' },
      host: { name: `node-${i % 3}` },
      run: RUN,
    });
  }
  HOSTILE.forEach((value, i) => {
    docs.push({ '@timestamp': new Date(NOW - 20 * MINUTE + i * 1000).toISOString(), message: `hostile ${i}`, service: { name: value }, log: { level: 'warn' }, host: { name: 'node-h' }, run: RUN });
  });
  return docs;
}

beforeAll(async () => {
  const target = requireVlogsUrl();
  await ingestEcsLines(target, seedDocs(), TENANT);
  await forceFlush(target);
  vl = new CountingProxy({ target });
  await vl.start();
  const common = {
    VICTORIALOGS_URL: vl.url,
    VICTORIALOGS_HEADERS: `AccountID=${TENANT.accountId},ProjectID=${TENANT.projectId}`,
    EMBEDDED_STORE: 'off',
    RATE_LIMIT_PER_MINUTE: '1000000',
    // Every door must reach the backend itself: the query cache (tested in query-cache tests) would answer the doors after the first.
    QUERY_CACHE_MAX_BYTES: '0',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'telemcp-vlogs-doors-')),
  };
  server = await startServerProcess({ ...common, API_KEYS: `${VIEWER_KEY}:elk_viewer` });
  doors = new FrontDoors({ url: server.url, apiKey: VIEWER_KEY, role: 'elk_viewer', env: { ...common, LOG_LEVEL: 'warn' }, timeoutMs: 45_000 });
  app = buildApp(testConfig(common));
  await Promise.all([doors.mcpClient(), doors.sseClient(), doors.stdioClient()]);
  await settle();
}, 180_000);

afterAll(async () => {
  await doors?.close();
  await app?.close();
  await server?.stop();
  await vl?.stop();
});

/** The call through the in-process pipeline, as a viewer, normalised as the other doors are. */
async function pipeline(c: ToolCall): Promise<Decision> {
  const res = await call(app, c.tool, c.args ?? {}, CALLERS.viewer);
  return res.ok ? { ok: true, code: null, data: JSON.parse(JSON.stringify(res.data)) } : { ok: false, code: res.error.code, message: res.error.message };
}

/** Every door, one after the other (so each request seen belongs to the door being asked). */
async function everyDoor(c: ToolCall): Promise<Record<AnyDoor, Decision>> {
  const out = {} as Record<AnyDoor, Decision>;
  for (const d of ALL_DOORS) out[d] = d === 'pipeline' ? await pipeline(c) : await doors.door(d, c);
  return out;
}

/** What an answer says, without when it was cached (a cached answer says cached_at; the facts are the same). */
function facts(data: unknown): unknown {
  return JSON.parse(JSON.stringify(data ?? null), (k, v) => (k === 'cached_at' ? undefined : v));
}

function expectDecisionEverywhere(res: Record<AnyDoor, Decision>, expected: { ok: boolean; code: string | null }): void {
  const got = Object.fromEntries(ALL_DOORS.map((d) => [d, decisionOf(res[d])]));
  const messages = JSON.stringify(Object.fromEntries(ALL_DOORS.map((d) => [d, res[d].message?.slice(0, 200)])));
  expect(got, messages).toEqual(Object.fromEntries(ALL_DOORS.map((d) => [d, expected])));
  if (expected.ok) {
    expect(res.rest.status).toBe(200);
    expect(res.cli.status).toBe(0);
  } else {
    expect(res.rest.status, 'REST status from the error table').toBe(ERROR_STATUS[expected.code as ErrorCode]);
    expect(res.jsonrpc.status, 'mcp.execute alias status from the error table').toBe(ERROR_STATUS[expected.code as ErrorCode]);
    expect(res.cli.status, 'CLI exit code').toBe(1);
  }
}

/** An accepted call: ok at every door, the same data everywhere, each door asking VictoriaLogs. */
async function expectSameAnswer(c: ToolCall): Promise<{ data: unknown; seen: ProxiedRequest[] }> {
  const m = vl.count;
  const res = await everyDoor(c);
  expectDecisionEverywhere(res, { ok: true, code: null });
  const reference = facts(res.pipeline.data);
  for (const d of DOORS) expect(facts(res[d].data), `${d} answers as the pipeline does`).toEqual(reference);
  const seen = selectsSince(m);
  for (const r of seen) {
    expect(r.headers.accountid).toBe(String(TENANT.accountId));
    expect(r.headers.projectid).toBe(String(TENANT.projectId));
  }
  return { data: reference, seen };
}

const ALONE = { timeout: 180_000 } as const;

describe('a valid call is answered identically at every door', () => {
  it('vlogs_query, the LogsQL form', ALONE, async () => {
    const { data, seen } = await expectSameAnswer({ tool: 'vlogs_query', args: { query: `run:="${RUN}" "log.level":="error"`, ...WINDOW, limit: 100 } });
    const answer = data as { total: number; patterns: { template: string; count: number }[]; state: string };
    expect(answer.total).toBe(10);
    expect(answer.state).toBe('ok');
    expect(answer.patterns[0]!.count).toBe(10);
    // Three reads (lines, count, histogram) per door, unless a door's answer came from a cache.
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });

  it('vlogs_query, the JSON filter form', ALONE, async () => {
    const { data } = await expectSameAnswer({ tool: 'vlogs_query', args: { filter: { run: RUN, 'service.name': { _in: ['checkout', 'payments'] }, _search: 'timeout' }, ...WINDOW } });
    expect((data as { total: number }).total).toBe(10);
  });

  it('vlogs_discover, every what', ALONE, async () => {
    const fields = (await expectSameAnswer({ tool: 'vlogs_discover', args: { what: 'fields', ...WINDOW } })).data as { items: { value: string; hits: number }[] };
    expect(fields.items.find((i) => i.value === 'service.name')!.hits).toBe(40 + HOSTILE.length);
    const values = (await expectSameAnswer({ tool: 'vlogs_discover', args: { what: 'field_values', field: 'log.level', filter: { run: RUN }, ...WINDOW } })).data as { items: unknown[] };
    expect(values.items).toEqual([
      { value: 'info', hits: 30 },
      { value: 'error', hits: 10 },
      { value: 'warn', hits: HOSTILE.length },
    ]);
    const streams = (await expectSameAnswer({ tool: 'vlogs_discover', args: { what: 'streams', query: `"host.name":="node-h"`, ...WINDOW } })).data as { distinct: number };
    expect(streams.distinct).toBe(HOSTILE.length);
    const hits = (await expectSameAnswer({ tool: 'vlogs_discover', args: { what: 'hits', field: 'log.level', step: '10m', ...WINDOW } })).data as { hits: { total: number } };
    expect(hits.hits.total).toBe(40 + HOSTILE.length);
  });
});

type Refusal = [string, ToolCall, ErrorCode];
const q = (args: Record<string, unknown>): ToolCall => ({ tool: 'vlogs_query', args });
const d = (args: Record<string, unknown>): ToolCall => ({ tool: 'vlogs_discover', args });
const REFUSALS: Refusal[] = [
  ['vlogs_query: a pipe', q({ query: `run:="${RUN}" | delete` }), 'query_denied'],
  ['vlogs_query: a pipe lifting the limit', q({ query: `run:="${RUN}" | limit 1000000` }), 'query_denied'],
  ['vlogs_query: match-all *', q({ query: '*' }), 'query_denied'],
  ['vlogs_query: match-all by an OR branch', q({ query: `run:="${RUN}" OR _msg:*` }), 'query_denied'],
  ['vlogs_query: match-all in the JSON form', q({ filter: { _msg: { _exists: true } } }), 'query_denied'],
  ['vlogs_query: a window over 31 days', q({ filter: { run: RUN }, start: 'now-40d' }), 'invalid_input'],
  ['vlogs_query: a limit over 1000', q({ filter: { run: RUN }, limit: 5000 }), 'invalid_input'],
  ['vlogs_query: a comment', q({ query: `run:="${RUN}" # | limit 5` }), 'query_denied'],
  ['vlogs_query: options()', q({ query: `options(ignore_global_time_filter=true) run:="${RUN}"` }), 'query_denied'],
  ['vlogs_discover: a pipe', d({ what: 'fields', query: `run:="${RUN}" | delete` }), 'query_denied'],
  ['vlogs_discover: a window over 31 days', d({ what: 'hits', start: 'now-40d' }), 'invalid_input'],
  ['vlogs_discover: a limit over 500', d({ what: 'field_values', field: 'run', limit: 501 }), 'invalid_input'],
  ['vlogs_discover: more hit groups than 20', d({ what: 'hits', field: 'run', limit: 21 }), 'invalid_input'],
  ['vlogs_discover: a comment', d({ what: 'streams', query: `run:="${RUN}" #` }), 'query_denied'],
  ['vlogs_discover: options()', d({ what: 'fields', query: `options(ignore_global_time_filter=true) run:="${RUN}"` }), 'query_denied'],
];

describe('guard refusals: the same code at every door, no request to VictoriaLogs', () => {
  it.each(REFUSALS.map(([name, c, code]) => [`${name} → ${code}`, c, code] as const))('%s', ALONE, async (_name, c, code) => {
    const m = vl.count;
    const res = await everyDoor(c);
    expectDecisionEverywhere(res, { ok: false, code });
    for (const door of ALL_DOORS) expect(res[door].message ?? '', door).not.toBe('');
    expect(vl.since(m).map((r) => `${r.method} ${r.url}`), 'requests to VictoriaLogs for a refused call').toEqual([]);
  });
});

describe('hostile values in the JSON filter form stay literals at every door', () => {
  it.each(HOSTILE.map((v) => [JSON.stringify(v), v] as const))('%s matches only the record holding it', ALONE, async (_l, value) => {
    const byQuery = (await expectSameAnswer(q({ filter: { run: RUN, 'service.name': value }, ...WINDOW }))).data as { total: number; lines: { service?: string }[] };
    expect(byQuery.total).toBe(1);
    expect(byQuery.lines).toHaveLength(1);
    const byDiscover = (await expectSameAnswer(d({ what: 'field_values', field: 'service.name', filter: { run: RUN, 'service.name': value }, ...WINDOW }))).data as { items: { hits: number }[] };
    expect(byDiscover.items.map((i) => i.hits)).toEqual([1]);
  });
});
