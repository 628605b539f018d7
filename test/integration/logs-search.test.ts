/**
 * logs_search's shared contract: the same records in a real engine (Elasticsearch 8, 9, 7 and
 * OpenSearch 2) and in the embedded store must give the same answers through the tool pipeline
 * — hits in order, totals, every page of a walk, the filters (level spellings, service, trace
 * id, message words) and the hint when nothing matched. Only `source`, the echo of "now" and
 * the opaque cursors may differ. One app holds both sources (the engine, and the embedded
 * store with EMBEDDED_STORE=on), so `source` selects between them; every expected value is
 * computed from the dataset, so the two cannot agree on a wrong answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { buildApp, type App } from '../../src/app.js';
import { SEARCH_ENGINE } from '../../src/backends/elasticsearch/module.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import type { searchHitOut } from '../../src/tools/log-search-common.js';
import { logsSearch } from '../../src/tools/logs/logs_search.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, ENGINES, EngineAdmin, callErr, callOk, requireEngineUrl, uniqueSuffix } from '../helpers/es-fixtures.js';

const START = '2026-03-10T10:00:00.000Z';
const END = '2026-03-10T11:00:00.000Z';
const FROM = Date.parse(START);
const TO = Date.parse(END);
const at = (minute: number, ms = 0) => FROM + minute * 60_000 + ms;

interface Line {
  ts: number;
  service: string;
  /** As written: the sources report one spelling per level. */
  level: string;
  message: string;
  traceId?: string;
  host: string;
}

const CANONICAL: Record<string, string> = { info: 'info', warn: 'warn', warning: 'warn', err: 'error', error: 'error', debug: 'debug' };
const canonical = (level: string) => CANONICAL[level.toLowerCase()];
const LONG = `stack trace ${'frame '.repeat(120)}`.trim();
const ANSI = '\u001b[31mdisk almost full\u001b[0m on /var';

/**
 * An hour of logs in which no two lines share a millisecond, so every order is exact: api lines
 * every minute, db warnings spelled two ways, a payment error run with trace ids (one shared
 * with a checkout error), a message longer than a hit shows, one with terminal escapes, a line
 * at exactly the window's end and two just outside it.
 */
function lines(): Line[] {
  const out: Line[] = [];
  for (let m = 0; m < 60; m++) out.push({ ts: at(m, 30_000), service: 'api', level: m % 2 ? 'INFO' : 'info', message: `GET /orders/${m} 200`, host: 'node-a' });
  for (const m of [5, 15, 25, 35, 55]) out.push({ ts: at(m, 40_000), service: 'db', level: m % 20 === 5 ? 'WARNING' : 'warn', message: 'slow query on orders took 900ms', host: 'node-b' });
  for (let k = 0; k < 40; k++) {
    out.push({ ts: at(20, 100 + k * 1000), service: 'payment', level: k % 2 ? 'ERROR' : 'err', message: `payment declined for order ${k}`, traceId: `trace-pay-${k}`, host: 'node-c' });
  }
  out.push({ ts: at(21, 5000), service: 'checkout', level: 'error', message: 'upstream payment failed', traceId: 'trace-pay-7', host: 'node-d' });
  out.push({ ts: at(10, 1234), service: 'api', level: 'debug', message: LONG, host: 'node-a' });
  out.push({ ts: at(11, 777), service: 'api', level: 'Warning', message: ANSI, host: 'node-a' });
  out.push({ ts: TO, service: 'api', level: 'info', message: 'GET /health 200', host: 'node-a' });
  for (const ts of [FROM - 1, TO + 1]) out.push({ ts, service: 'payment', level: 'error', message: 'payment declined outside', traceId: 'trace-pay-7', host: 'node-c' });
  return out;
}

/** Two runs of lines sharing a millisecond, which pages must split without losing or repeating one. */
function tiedLines(): Line[] {
  return Array.from({ length: 25 }, (_, k) => ({ ts: at(30, k < 12 ? 0 : 1), service: 'batch', level: 'info', message: `flushed batch ${k}`, host: 'node-e' }));
}

const LINES = lines();
const TIED = tiedLines();
const inWindow = (l: Line) => l.ts >= FROM && l.ts <= TO;
const newestFirst = (a: Line, b: Line) => b.ts - a.ts;

/** A hit as both search tools answer it. */
type Hit = z.infer<typeof searchHitOut>;
interface Answer {
  summary: string;
  source: { name: string; kind: string; scope: string };
  window: { start: string; end: string; server_now: string };
  total: number;
  total_relation: 'eq' | 'gte';
  hits: Hit[];
  truncated: boolean;
  next_cursor?: string;
  hint?: string;
  notes?: string[];
}

/** What must be identical on every source: all but the source, the echo of "now" and the (opaque) cursor. */
function comparable(answer: Answer): unknown {
  const { source: _source, next_cursor: _cursor, window, ...rest } = answer;
  const { server_now: _now, ...win } = window;
  return { ...rest, window: win };
}

/** The hit every source must give for a line: time, level in one spelling, text cleaned and bounded. */
function hitOf(l: Line, index: string): Hit {
  const message = l.message.replace(/\u001b\[[0-9;]*m/g, '');
  return {
    time: new Date(l.ts).toISOString(),
    index,
    service: l.service,
    level: canonical(l.level),
    ...(message.length > 500 ? { message: `${message.slice(0, 500)}…`, message_truncated: true } : { message }),
    ...(l.traceId ? { trace_id: l.traceId } : {}),
  };
}

function cursorParts(cursor: string): { v: string; payload: string; mac: string; envelope: { s: Record<string, unknown> } & Record<string, unknown> } {
  const [v, payload, mac] = cursor.split('.');
  return { v, payload, mac, envelope: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) };
}

describe.each(ENGINES)('logs_search on $label and on the embedded store', (engine) => {
  const suffix = uniqueSuffix();
  const main = `logs-search-${suffix}`;
  const tied = `logs-search-${suffix}-tied`;
  const engineSource = engine.configKey === 'ES_URL' ? 'elasticsearch' : 'opensearch';
  let admin: EngineAdmin;
  let app: App;
  /** No cluster configured: elk's log tools read the embedded store. */
  let storeApp: App;

  beforeAll(async () => {
    const url = requireEngineUrl(engine.envVar);
    admin = new EngineAdmin(url);
    const mappings = {
      properties: {
        '@timestamp': { type: 'date' },
        service: { properties: { name: { type: 'keyword' } } },
        log: { properties: { level: { type: 'keyword' } } },
        message: { type: 'text' },
        trace: { properties: { id: { type: 'keyword' } } },
        host: { properties: { name: { type: 'keyword' } } },
      },
    };
    const doc = (l: Line) => ({ '@timestamp': new Date(l.ts).toISOString(), service: { name: l.service }, log: { level: l.level }, message: l.message, ...(l.traceId ? { trace: { id: l.traceId } } : {}), host: { name: l.host } });
    for (const [index, list] of [[main, LINES], [tied, TIED]] as const) {
      await admin.createIndex(index, { shards: 2, replicas: 0, mappings });
      await admin.waitForStatus(index, 'green');
      await admin.bulkIndex(index, list.map(doc));
    }
    // Walks make many calls within a minute: the rate limit is not what this suite is about.
    app = buildApp(
      testConfig({ [engine.configKey]: url, EMBEDDED_STORE: 'on', ALLOWED_INDEX_PATTERNS: `logs-search-${suffix}*`, LOG_INDEX_PATTERN: main, CURSOR_SECRET: 'it-cursor-secret', RATE_LIMIT_PER_MINUTE: '100000' }),
    );
    // The same lines, dataset named as the index, so even `index` and `scope` agree.
    const record = (dataset: string) => (l: Line): IngestRecord => ({ ts: l.ts, dataset, service: l.service, level: l.level, message: l.message, ...(l.traceId ? { traceId: l.traceId } : {}), host: l.host });
    const written = await app.store!.ingest([...LINES.map(record(main)), ...TIED.map(record(tied))]);
    expect(written.rejected).toEqual([]);
    storeApp = buildApp(testConfig({ EMBEDDED_STORE: 'auto', CURSOR_SECRET: 'it-cursor-secret', RATE_LIMIT_PER_MINUTE: '100000' }));
    expect(storeApp.rt.backends.first(SEARCH_ENGINE)).toBeUndefined();
    expect((await storeApp.store!.ingest([...LINES.map(record(main)), ...TIED.map(record(tied))])).rejected).toEqual([]);
  });

  afterAll(async () => {
    await storeApp?.close();
    await app?.close();
    await admin?.deleteIndices([main, tied]);
  });

  const search = (source: string, args: Record<string, unknown>) =>
    callOk<Answer>(app, 'logs_search', { source, scope: main, start_time: START, end_time: END, ...args }, CALLERS.viewer);
  const both = async (args: Record<string, unknown>): Promise<[Answer, Answer]> => [await search(engineSource, args), await search('embedded', args)];

  /** Every page of a search on one source. */
  async function walk(source: string, args: Record<string, unknown>): Promise<Answer[]> {
    const pages: Answer[] = [];
    let cursor: string | undefined;
    do {
      const page = await search(source, { ...args, ...(cursor ? { cursor } : {}) });
      expect(logsSearch.output.parse(page)).toEqual(page);
      expect(page.truncated).toBe(page.next_cursor !== undefined);
      pages.push(page);
      cursor = page.next_cursor;
    } while (cursor && pages.length < 50);
    return pages;
  }

  const expectedLines = (keep: (l: Line) => boolean) => LINES.filter((l) => inWindow(l) && keep(l)).sort(newestFirst);
  const levelIs = (...levels: string[]) => (l: Line) => levels.includes(canonical(l.level));

  it.each<[string, Record<string, unknown>, (l: Line) => boolean]>([
    ['the newest lines of the window', {}, () => true],
    ['the oldest first', { sort: 'asc', limit: 30 }, () => true],
    ['one service', { service_name: 'payment', limit: 100 }, (l) => l.service === 'payment'],
    ['a level by another spelling', { log_level: 'warning' }, levelIs('warn')],
    ['levels in any case and alias', { log_level: ['ERR', 'Warn'], limit: 50 }, levelIs('error', 'warn')],
    ['a trace id across services', { trace_id: 'trace-pay-7' }, (l) => l.traceId === 'trace-pay-7'],
    ['a message word', { query: 'declined', limit: 15 }, (l) => l.message.includes('declined')],
    ['a word without another', { query: 'payment -declined' }, (l) => l.message === 'upstream payment failed'],
    ['a phrase', { query: '"slow query"' }, (l) => l.message.startsWith('slow query')],
    ['a prefix', { query: 'stac*' }, (l) => l.message === LONG],
    ['a service and a level, the message bounded', { service_name: 'api', log_level: 'debug' }, (l) => l.service === 'api' && canonical(l.level) === 'debug'],
    ['terminal escapes removed', { service_name: 'api', log_level: 'warn' }, (l) => l.message === ANSI],
  ])('%s: the same answer, and the right one', async (_what, args, keep) => {
    const [onEngine, onStore] = await both(args);
    expect(comparable(onStore)).toEqual(comparable(onEngine));
    let expected = expectedLines(keep);
    if (args.sort === 'asc') expected = expected.reverse();
    const limit = (args.limit as number | undefined) ?? 20;
    expect(onEngine.total).toBe(expected.length);
    expect(onEngine.total_relation).toBe('eq');
    expect(onEngine.hits).toEqual(expected.slice(0, limit).map((l) => hitOf(l, main)));
    expect(onEngine.truncated).toBe(expected.length > limit);
    expect(onEngine.window).toMatchObject({ start: START, end: END });
    expect(onEngine.source).toEqual({ name: engineSource, kind: engineSource, scope: main });
    expect(onStore.source).toEqual({ name: 'embedded', kind: 'embedded', scope: main });
  });

  it.each(['desc', 'asc'] as const)('pages (%s) through every line exactly once, page for page the same', async (sort) => {
    const [onEngine, onStore] = [await walk(engineSource, { sort, limit: 7 }), await walk('embedded', { sort, limit: 7 })];
    expect(onStore.map(comparable)).toEqual(onEngine.map(comparable));
    const expected = expectedLines(() => true);
    if (sort === 'asc') expected.reverse();
    expect(onEngine.flatMap((p) => p.hits)).toEqual(expected.map((l) => hitOf(l, main)));
    expect(onEngine).toHaveLength(Math.ceil(expected.length / 7));
    expect(onEngine.every((p) => p.total === expected.length)).toBe(true);
    expect(onEngine[1].summary).toContain(`logs 8-14 of ${expected.length} in ${main}`);
  });

  it('pages through runs of lines sharing a millisecond without losing or repeating one', async () => {
    for (const source of [engineSource, 'embedded']) {
      for (const sort of ['desc', 'asc']) {
        const pages = await walk(source, { scope: tied, sort, limit: 5 });
        const hits = pages.flatMap((p) => p.hits);
        expect(hits.map((h) => h.message).sort(), `${source} ${sort}`).toEqual(TIED.map((l) => l.message).sort());
        const times = hits.map((h) => Date.parse(h.time));
        expect(times, `${source} ${sort}`).toEqual([...times].sort((a, b) => (sort === 'desc' ? b - a : a - b)));
        expect(pages.map((p) => p.total)).toEqual(pages.map(() => TIED.length));
      }
    }
  });

  it('says which filter to relax when nothing matched, in the same words', async () => {
    const [onEngine, onStore] = await both({ service_name: 'payment', log_level: 'info' });
    expect(comparable(onStore)).toEqual(comparable(onEngine));
    const held = expectedLines(() => true).length;
    expect(onEngine).toMatchObject({ total: 0, hits: [], truncated: false });
    expect(onEngine.hint).toBe(
      `No log in ${main} has service_name="payment" and log_level in [info] between ${START} and ${END}. ` +
        `The window holds ${held} logs; ${expectedLines(levelIs('info')).length} without the service_name filter; 40 without the log_level filter. ` +
        'Relax the service_name filter first. Services in this window: api, payment, db, checkout. Levels in this window: info, error, warn, debug.',
    );
  });

  it('says when the window holds no logs at all, and where the newest one is', async () => {
    const args = { start_time: '2026-03-09T10:00:00.000Z', end_time: '2026-03-09T11:00:00.000Z', query: 'declined' };
    const [onEngine, onStore] = await both(args);
    expect(comparable(onStore)).toEqual(comparable(onEngine));
    expect(onEngine.hint).toBe(
      `No log in ${main} has message matches "declined" between ${args.start_time} and ${args.end_time}. ` +
        `The window holds no logs at all; the newest log in ${main} is from ${new Date(TO + 1).toISOString()}: widen start_time/end_time.`,
    );
  });

  it('refuses tampered, forged and reused cursors on both sources, and still honours the real one', async () => {
    const args = { service_name: 'payment', limit: 5 };
    const [onEngine, onStore] = await both(args);
    for (const [source, other, first] of [[engineSource, 'embedded', onEngine], [`embedded`, engineSource, onStore]] as const) {
      const cursor = first.next_cursor!;
      const { v, payload, mac, envelope } = cursorParts(cursor);
      // A wider window and an earlier position: what a forged cursor would be for.
      const forged = Buffer.from(JSON.stringify({ ...envelope, s: { ...envelope.s, w: [0, TO, TO], o: 0 } })).toString('base64url');
      const flipped = mac.slice(0, 5) + (mac[5] === 'A' ? 'B' : 'A') + mac.slice(6);
      const attempts: [string, Record<string, unknown>][] = [
        ['forged payload', { ...args, cursor: `${v}.${forged}.${mac}` }],
        ['flipped signature', { ...args, cursor: `${v}.${payload}.${flipped}` }],
        ['another service', { ...args, service_name: 'db', cursor }],
        ['another window', { ...args, start_time: '2026-03-10T09:00:00.000Z', cursor }],
        ['another order', { ...args, sort: 'asc', cursor }],
        ['another scope', { ...args, scope: tied, cursor }],
        ['not a cursor', { ...args, cursor: 'abc' }],
      ];
      for (const [what, input] of attempts) {
        const err = await callErr(app, 'logs_search', { source, scope: main, start_time: START, end_time: END, ...input }, CALLERS.viewer);
        expect(err.error.code, `${source}: ${what}`).toBe('invalid_input');
        expect(err.error.message, `${source}: ${what}`).toMatch(/cursor/);
      }
      const elsewhere = await callErr(app, 'logs_search', { source: other, scope: main, start_time: START, end_time: END, ...args, cursor }, CALLERS.viewer);
      expect(elsewhere.error.code, `${source} cursor on ${other}`).toBe('invalid_input');
      // Only limit may change between pages.
      const second = await search(source, { ...args, limit: 10, cursor });
      expect(second.hits.map((h) => h.message)).toEqual(expectedLines((l) => l.service === 'payment').slice(5, 15).map((l) => l.message));
      expect(second.summary).toContain('logs 6-15 of 40');
    }
  });

  it('refuses limits outside 1-100 before reaching any source', async () => {
    for (const source of [engineSource, 'embedded']) {
      for (const limit of [0, 101, 2.5]) {
        const err = await callErr(app, 'logs_search', { source, scope: main, start_time: START, end_time: END, limit }, CALLERS.viewer);
        expect(err.error.code, `${source} limit ${limit}`).toBe('invalid_input');
      }
      expect((await search(source, { limit: 100 })).hits).toHaveLength(100);
    }
  });

  it('selects between the two configured sources by source, and refuses a call naming none', async () => {
    const noSource = await callErr(app, 'logs_search', { scope: main, start_time: START, end_time: END }, CALLERS.viewer);
    expect(noSource.error.code).toBe('invalid_input');
    expect(noSource.error.message).toContain(`${engineSource}, embedded`);
    const unknown = await callErr(app, 'logs_search', { source: 'loki', scope: main, start_time: START, end_time: END }, CALLERS.viewer);
    expect(unknown.error.code).toBe('invalid_input');
    // Each source answers from its own backend: the default scopes differ (LOG_INDEX_PATTERN, every dataset).
    const fromEngine = await callOk<Answer>(app, 'logs_search', { source: engineSource, start_time: START, end_time: END, limit: 1 }, CALLERS.viewer);
    const fromStore = await callOk<Answer>(app, 'logs_search', { source: 'embedded', start_time: START, end_time: END, limit: 1 }, CALLERS.viewer);
    expect(fromEngine.source).toEqual({ name: engineSource, kind: engineSource, scope: main });
    expect(fromEngine.total).toBe(expectedLines(() => true).length);
    expect(fromStore.source).toEqual({ name: 'embedded', kind: 'embedded', scope: '*' });
    expect(fromStore.total).toBe(expectedLines(() => true).length + TIED.length);
  });

  describe('elk_search_logs and elk_detect_errors with no cluster configured: the embedded store answers as the engine does', () => {
    /**
     * What must match: all but the echo of "now", the cursor, the fields each backend reports
     * (the store's columns, the engine's mapping), the spelling of levels, which the elk tools
     * show as the engine holds them and the store holds in one spelling, and how the error
     * histogram cuts the window's last instant.
     */
    const same = (answer: Record<string, unknown>): Record<string, unknown> => {
      const { next_cursor: _cursor, fields_used: _fields, window, ...rest } = answer as { window: Record<string, unknown> } & Record<string, unknown>;
      const { server_now: _now, ...win } = window;
      const hits = (rest.hits as Hit[] | undefined)?.map((h) => (h.level ? { ...h, level: canonical(h.level) } : h));
      const samples = (rest.samples as { log_level?: string }[] | undefined)?.map((h) => (h.log_level ? { ...h, log_level: canonical(h.log_level) } : h));
      // The engine's histogram has a bucket for the window's end itself; the store counts a log at the end in the last bucket.
      const overTime = rest.errors_over_time as { interval: string; start: string; counts: number[] } | undefined;
      const errorsOverTime = overTime && { interval: overTime.interval, start: overTime.start, total: overTime.counts.reduce((a, b) => a + b, 0) };
      return { ...rest, ...(hits ? { hits } : {}), ...(samples ? { samples } : {}), ...(errorsOverTime ? { errors_over_time: errorsOverTime } : {}), window: win };
    };
    const elk = (target: App, tool: string, args: Record<string, unknown>) =>
      callOk<Record<string, unknown>>(target, tool, { index_pattern: main, start_time: START, end_time: END, ...args }, CALLERS.viewer);

    it.each<[string, Record<string, unknown>, (l: Line) => boolean]>([
      ['the newest lines', {}, () => true],
      ['one service, oldest first', { service_name: 'payment', sort: 'asc', limit: 30 }, (l) => l.service === 'payment'],
      ['a trace id and a level', { trace_id: 'trace-pay-7', log_level: 'error' }, (l) => l.traceId === 'trace-pay-7'],
      ['message words', { query: 'payment -declined' }, (l) => l.message === 'upstream payment failed'],
    ])('elk_search_logs, %s: the same hits, totals and pages', async (_what, args, keep) => {
      const [onEngine, onStore] = [await elk(app, 'elk_search_logs', args), await elk(storeApp, 'elk_search_logs', args)];
      const { summary: _s1, ...engineRest } = same(onEngine);
      const { summary: _s2, ...storeRest } = same(onStore);
      expect(storeRest).toEqual(engineRest);
      let expected = expectedLines(keep);
      if (args.sort === 'asc') expected = expected.reverse();
      expect(onStore.hits).toEqual(expected.slice(0, (args.limit as number | undefined) ?? 20).map((l) => hitOf(l, main)));
      expect(onStore.fields_used).toEqual({ timestamp: 'timestamp', service: 'service', level: 'level', message: 'message', trace_id: 'trace_id' });
      expect(onStore.summary).toContain(` of ${expected.length} in ${main}`);
    });

    it('elk_search_logs pages through every line once with its cursors, reads every dataset by default, and names fields it does not keep', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await elk(storeApp, 'elk_search_logs', { limit: 9, ...(cursor ? { cursor } : {}) });
        seen.push(...(page.hits as Hit[]).map((h) => `${h.time} ${h.message}`));
        cursor = page.next_cursor as string | undefined;
      } while (cursor);
      expect(seen).toEqual(expectedLines(() => true).map((l) => `${new Date(l.ts).toISOString()} ${l.message.replace(/\u001b\[[0-9;]*m/g, '').slice(0, 500)}${l.message.length > 500 ? '…' : ''}`));
      const everything = await callOk<Record<string, unknown>>(storeApp, 'elk_search_logs', { start_time: START, end_time: END, limit: 1 }, CALLERS.viewer);
      expect(everything.total).toBe(expectedLines(() => true).length + TIED.length);
      const picked = await elk(storeApp, 'elk_search_logs', { fields: ['service.name', 'message', 'http.status'], limit: 1 });
      expect(picked.hits).toEqual([{ time: new Date(TO).toISOString(), index: main, service: 'api', message: 'GET /health 200' }]);
      expect(picked.notes).toEqual(['The embedded store keeps service, level, message and trace_id for each log; no field http.status.']);
    });

    it('elk_detect_errors: the same totals, services, patterns, rise and samples', async () => {
      for (const args of [{}, { service_name: 'payment', top_n: 3 }]) {
        const [onEngine, onStore] = [await elk(app, 'elk_detect_errors', args), await elk(storeApp, 'elk_detect_errors', args)];
        expect(same(onStore)).toEqual(same(onEngine));
        const errors = expectedLines((l) => canonical(l.level) === 'error' && (!('service_name' in args) || l.service === args.service_name));
        expect(onStore.total_errors).toBe(errors.length);
        expect((onStore.top_error_messages as { message: string; count: number }[])[0]).toMatchObject({ message: 'payment declined for order <*>', count: 40 });
      }
    });

    it('refuses a dataset pattern it cannot read, and a call to the cluster tools, which it does not serve', async () => {
      const bad = await callErr(storeApp, 'elk_search_logs', { index_pattern: 'logs-,', start_time: START, end_time: END }, CALLERS.viewer);
      expect(bad.error.code).toBe('invalid_input');
      const cluster = await callErr(storeApp, 'elk_cluster_health', {}, CALLERS.viewer);
      expect(cluster.error.code).toBe('tool_not_found');
    });
  });
});
