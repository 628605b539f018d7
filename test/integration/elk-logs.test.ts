/**
 * elk_search_logs and elk_detect_errors against every real engine (Elasticsearch 8, 9, 7 and
 * OpenSearch 2), through the one pipeline of a real app. Each engine gets two uniquely named
 * indices holding the same known hour of logs, one ECS-shaped and one with seed 000's flat
 * names; every expected number below is computed from that dataset. Windows are passed as
 * explicit ISO instants, so "now" never matters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { elkDetectErrors } from '../../src/tools/elk/elk_detect_errors.js';
import { elkSearchLogs } from '../../src/tools/elk/elk_search_logs.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, ENGINES, EngineAdmin, callErr, callOk, ecsLogMappings, requireEngineUrl, uniqueSuffix } from '../helpers/es-fixtures.js';

const START = '2026-03-10T10:00:00.000Z';
const END = '2026-03-10T11:00:00.000Z';
const T0 = Date.parse(START);
const INCIDENT = '2026-03-10T10:35:00.000Z';
const at = (minute: number, second = 0) => T0 + minute * 60_000 + second * 1000;

interface LogDoc {
  time: number;
  service: string;
  /** Level as the ECS index spells it, and as the flat index does. */
  ecsLevel: string;
  flatLevel: string;
  message: string;
  trace?: string;
  host: string;
}

const ERROR_LEVELS = new Set(['error', 'err', 'fatal', 'critical', 'crit', 'emergency', 'emerg', 'alert', 'panic', 'severe']);
const isError = (d: LogDoc) => ERROR_LEVELS.has(d.ecsLevel.toLowerCase());
const inWindow = (d: LogDoc) => d.time >= T0 && d.time <= Date.parse(END);

/** One hour with an incident at 10:35: payment-service times out calling fraud-service; checkout sees 503s; fraud-service rejects tasks. */
function dataset(): LogDoc[] {
  const docs: LogDoc[] = [];
  const services = ['payment-service', 'checkout-service', 'fraud-service', 'search-service'];
  for (let m = 0; m < 60; m++) {
    for (const [s, service] of services.entries()) {
      for (const second of [5, 35]) {
        docs.push({ time: at(m, second), service, ecsLevel: m % 2 ? 'INFO' : 'info', flatLevel: 'info', message: `request handled in ${10 + ((m * 7 + s) % 90)}ms status 200`, host: `node-${s}` });
      }
    }
    // distractor: a steady warning every minute
    docs.push({ time: at(m, 20), service: 'search-service', ecsLevel: 'WARN', flatLevel: 'warning', message: 'slow query took 250ms on orders table', host: 'node-3' });
  }
  // baseline errors, one every ten minutes
  for (const m of [3, 13, 23, 33, 43, 53]) {
    docs.push({ time: at(m, 40), service: 'checkout-service', ecsLevel: 'error', flatLevel: 'error', message: `card declined for order ${1000 + m}`, trace: `trace-card-${m}`, host: 'node-1' });
  }
  // a resolved spike
  for (const m of [10, 11, 12]) {
    for (const second of [10, 25, 40, 55]) {
      docs.push({ time: at(m, second), service: 'search-service', ecsLevel: 'Error', flatLevel: 'Error', message: `index shard unavailable [shard ${second % 3}]`, trace: `trace-shard-${m}-${second}`, host: 'node-3' });
    }
  }
  // the incident: pairs of timeouts share exact timestamps, so pages split ties
  for (let m = 35; m < 60; m++) {
    for (let k = 0; k < 6; k++) {
      const second = Math.floor(k / 2) * 20;
      docs.push({
        time: at(m, second),
        service: 'payment-service',
        ecsLevel: k % 2 ? 'ERROR' : 'error',
        flatLevel: k % 2 ? 'Error' : 'error',
        message: `timeout to fraud-service after ${1000 + ((m * 7 + k * 13) % 4000)}ms`,
        trace: `trace-pay-${m}-${k}`,
        host: 'node-0',
      });
    }
    // downstream and upstream symptoms share trace ids with the newest timeouts of the minute
    for (const second of [10, 50]) {
      const trace = second === 50 ? `trace-pay-${m}-5` : `trace-up-${m}`;
      docs.push({ time: at(m, second), service: 'checkout-service', ecsLevel: 'error', flatLevel: 'error', message: `upstream payment-service returned 503 for order ${5000 + m * 2 + second}`, trace, host: 'node-1' });
    }
    docs.push({ time: at(m, 30), service: 'fraud-service', ecsLevel: 'FATAL', flatLevel: 'fatal', message: `thread pool queue full, rejected task 7c9e6679-7425-40de-944b-e07fc1f9${String(m).padStart(4, '0')}`, trace: `trace-pay-${m}-4`, host: 'node-2' });
  }
  docs.push({ time: at(50, 45), service: 'fraud-service', ecsLevel: 'Critical', flatLevel: 'crit', message: 'disk usage 97% on /var/lib/fraud/data', trace: 'trace-disk', host: 'node-2' });
  // longer than the keyword field's ignore_above (256): not aggregatable, found by the long-message sample
  docs.push({ time: at(40, 45), service: 'payment-service', ecsLevel: 'error', flatLevel: 'error', message: `timeout to fraud-service after 4500ms while scoring payload ${'x'.repeat(300)}`, trace: 'trace-long', host: 'node-0' });
  // outside the window
  for (const time of [Date.parse('2026-03-10T09:55:00Z'), Date.parse('2026-03-10T11:05:00Z')]) {
    docs.push({ time, service: 'payment-service', ecsLevel: 'error', flatLevel: 'error', message: 'timeout to fraud-service after 999ms', trace: `trace-out-${time}`, host: 'node-0' });
  }
  // hostile content: bidi override, ANSI escapes, and a 2,000-character line
  docs.push({ time: at(1, 1), service: 'search-service', ecsLevel: 'info', flatLevel: 'info', message: 'user \u202Eevil\u202C logged in \u001b[31mred\u001b[0m', host: 'node-3' });
  docs.push({ time: at(2, 2), service: 'search-service', ecsLevel: 'info', flatLevel: 'info', message: `padding ${'y'.repeat(2000)}`, host: 'node-3' });
  return docs;
}

const DOCS = dataset();
const WINDOW_DOCS = DOCS.filter(inWindow);
const ERRORS = WINDOW_DOCS.filter(isError);
const PAYMENT_ERRORS = ERRORS.filter((d) => d.service === 'payment-service');

const SHAPES = {
  ecs: {
    mappings: ecsLogMappings({ host: true }),
    // info lines use dotted keys, the rest nested objects: both are read
    doc: (d: LogDoc): Record<string, unknown> =>
      d.ecsLevel.toLowerCase() === 'info'
        ? { '@timestamp': new Date(d.time).toISOString(), 'service.name': d.service, 'log.level': d.ecsLevel, message: d.message, 'host.name': d.host }
        : { '@timestamp': new Date(d.time).toISOString(), service: { name: d.service }, log: { level: d.ecsLevel }, message: d.message, ...(d.trace ? { trace: { id: d.trace } } : {}), host: { name: d.host } },
    used: { timestamp: '@timestamp', service: 'service.name', level: 'log.level', message: 'message (message.keyword)', trace_id: 'trace.id' },
  },
  flat: {
    mappings: {
      properties: {
        timestamp: { type: 'date_nanos' },
        service_name: { type: 'keyword' },
        log_level: { type: 'keyword' },
        message: { type: 'text' },
        trace_id: { type: 'keyword' },
        host: { type: 'keyword' },
      },
    },
    // date_nanos holding epoch milliseconds, +07:00 strings, and (for one timeout of each tied
    // pair) nanoseconds within the same millisecond: still one tie when sorted by millisecond
    doc: (d: LogDoc): Record<string, unknown> => ({
      timestamp: d.trace?.match(/^trace-pay-\d+-[135]$/)
        ? new Date(d.time).toISOString().replace('Z', '000123Z')
        : d.time % 2000 === 0
          ? new Date(d.time + 7 * 3_600_000).toISOString().replace('Z', '+07:00')
          : d.time,
      service_name: d.service,
      log_level: d.flatLevel,
      message: d.message,
      ...(d.trace ? { trace_id: d.trace } : {}),
      host: d.host,
    }),
    used: { timestamp: 'timestamp', service: 'service_name', level: 'log_level', message: 'message', trace_id: 'trace_id' },
  },
} as const;

interface SearchHit {
  time: string;
  index: string;
  service?: string;
  level?: string;
  message?: string;
  message_truncated?: boolean;
  trace_id?: string;
  fields?: Record<string, unknown>;
}
interface SearchResult {
  summary: string;
  window: { start: string; end: string; server_now: string };
  total: number;
  total_relation: string;
  hits: SearchHit[];
  truncated: boolean;
  next_cursor?: string;
  hint?: string;
  fields_used: Record<string, string>;
  notes?: string[];
}
interface DetectResult {
  summary: string;
  window: { start: string; end: string; server_now: string };
  total_errors: number;
  errors_by_service: { service: string; count: number }[];
  top_error_messages: { message: string; count: number; first_seen?: string; last_seen?: string; services: string[]; trace_id?: string; example: string }[];
  errors_over_time: { interval: string; start: string; counts: number[] };
  rising_since: string | null;
  rise?: { interval: string; baseline_per_interval: number; peak_per_interval: number; peak_at: string; ongoing: boolean };
  samples: { timestamp: string; service?: string; log_level?: string; message: string; trace_id?: string }[];
  recommendation: string[];
  fields_used: Record<string, string>;
  notes?: string[];
}

function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

/** The JSON payload of a cursor (not verified): what a client could try to tamper with. */
function cursorPayload(cursor: string): { t: string; f: string; e: number; s: { p?: { id: string } } } {
  return JSON.parse(Buffer.from(cursor.split('.')[1], 'base64url').toString('utf8'));
}

describe.each(ENGINES)('log tools on $label', (engine) => {
  let admin: EngineAdmin;
  let app: App;
  const suffix = uniqueSuffix();
  const index = { ecs: `logs-${suffix}-ecs`, flat: `logs-${suffix}-flat` };

  beforeAll(async () => {
    const url = requireEngineUrl(engine.envVar);
    admin = new EngineAdmin(url);
    for (const shape of ['ecs', 'flat'] as const) {
      await admin.createIndex(index[shape], { shards: 2, replicas: 0, mappings: SHAPES[shape].mappings });
      await admin.waitForStatus(index[shape], 'green');
      await admin.bulkIndex(index[shape], DOCS.map(SHAPES[shape].doc));
    }
    app = buildApp(testConfig({ [engine.configKey]: url, ALLOWED_INDEX_PATTERNS: 'logs-*', CURSOR_SECRET: 'it-cursor-secret' }));
  });

  afterAll(async () => {
    await app?.close();
    await admin?.deleteIndices(Object.values(index));
  });

  describe.each(['ecs', 'flat'] as const)('%s field names', (shape) => {
    const search = (input: Record<string, unknown>) => callOk<SearchResult>(app, 'elk_search_logs', { index_pattern: index[shape], start_time: START, end_time: END, ...input }, CALLERS.viewer);
    const detect = (input: Record<string, unknown>) => callOk<DetectResult>(app, 'elk_detect_errors', { index_pattern: index[shape], start_time: START, end_time: END, ...input }, CALLERS.viewer);

    /** Walks every page; returns the hits in order and the cursors seen. */
    async function walk(input: Record<string, unknown>): Promise<{ hits: SearchHit[]; pages: SearchResult[] }> {
      const pages: SearchResult[] = [];
      let cursor: string | undefined;
      do {
        const page = await search({ ...input, ...(cursor ? { cursor } : {}) });
        pages.push(page);
        cursor = page.next_cursor;
        expect(page.truncated).toBe(cursor !== undefined);
      } while (cursor && pages.length < 100);
      return { hits: pages.flatMap((p) => p.hits), pages };
    }

    it('filters by service and level (any case), echoes the window and the fields it detected', async () => {
      const res = await search({ service_name: 'payment-service', log_level: 'error', limit: 5 });
      expect(elkSearchLogs.output.parse(res)).toEqual(res);
      expect(res.total).toBe(PAYMENT_ERRORS.length);
      expect(res.total_relation).toBe('eq');
      expect(res.window.start).toBe(START);
      expect(res.window.end).toBe(END);
      expect(Number.isNaN(Date.parse(res.window.server_now))).toBe(false);
      expect(res.fields_used).toEqual(SHAPES[shape].used);
      expect(res.hits).toHaveLength(5);
      const newest = [...PAYMENT_ERRORS].sort((a, b) => b.time - a.time)[0];
      expect(res.hits[0].time).toBe(new Date(newest.time).toISOString());
      for (const hit of res.hits) {
        expect(hit.service).toBe('payment-service');
        expect(hit.level?.toLowerCase()).toBe('error');
        expect(hit.trace_id).toMatch(/^trace-/);
        expect(hit.index).toBe(index[shape]);
        expect(Object.keys(hit).sort()).toEqual(['index', 'level', 'message', 'service', 'time', 'trace_id']);
      }
      const levels = await search({ log_level: ['FATAL', 'crit'] });
      expect(levels.total).toBe(WINDOW_DOCS.filter((d) => ['fatal', 'critical'].includes(d.ecsLevel.toLowerCase())).length);
      const warn = await search({ log_level: 'warn', limit: 1 });
      expect(warn.total).toBe(60);
    });

    it('matches message words with AND semantics and refuses costly wildcards', async () => {
      const res = await search({ query: 'timeout fraud', limit: 1 });
      expect(res.total).toBe(WINDOW_DOCS.filter((d) => d.message.startsWith('timeout to fraud-service')).length);
      const both = await search({ query: 'upstream 503', service_name: 'checkout-service', limit: 1 });
      expect(both.total).toBe(50);
      const none = await search({ query: 'upstream fraud', limit: 1 });
      expect(none.total).toBe(0);
      const prefix = await search({ query: 'timeo*', limit: 1 });
      expect(prefix.total).toBe(res.total);
      for (const query of ['*out', 'ti*', 'ti*me']) {
        const err = await callErr(app, 'elk_search_logs', { index_pattern: index[shape], start_time: START, end_time: END, query }, CALLERS.viewer);
        expect(err.error.code, query).toBe('invalid_input');
      }
    });

    it('returns compact hits: messages capped and stripped of control and bidi characters, only the fields asked for', async () => {
      const hostile = await search({ query: 'logged' });
      expect(hostile.total).toBe(1);
      expect(hostile.hits[0].message).toBe('user evil logged in red');
      const long = await search({ query: 'padding' });
      expect(long.hits[0].message_truncated).toBe(true);
      expect(long.hits[0].message!.length).toBeLessThanOrEqual(501);
      const picked = await search({ service_name: 'fraud-service', fields: ['message', shape === 'ecs' ? 'host.name' : 'host'], limit: 2 });
      for (const hit of picked.hits) {
        expect(Object.keys(hit).sort()).toEqual(['fields', 'index', 'message', 'time']);
        expect(Object.values(hit.fields ?? {})).toEqual(['node-2']);
      }
    });

    it('pages through every hit exactly once, newest first, splitting runs of equal timestamps', async () => {
      const expected = PAYMENT_ERRORS.map((d) => d.trace).sort();
      for (const [limit, sort] of [[40, 'desc'], [7, 'asc']] as const) {
        const { hits, pages } = await walk({ service_name: 'payment-service', log_level: 'error', limit, sort });
        expect(pages).toHaveLength(Math.ceil(expected.length / limit));
        expect(hits.map((h) => h.trace_id).sort()).toEqual(expected);
        expect(new Set(hits.map((h) => h.trace_id)).size).toBe(hits.length);
        const times = hits.map((h) => Date.parse(h.time));
        const ordered = [...times].sort((a, b) => (sort === 'desc' ? b - a : a - b));
        expect(times).toEqual(ordered);
        for (const page of pages) {
          expect(page.total).toBe(expected.length);
          expect(page.window.start).toBe(START);
        }
        expect(pages[1].summary).toContain(`logs ${limit + 1}-${2 * limit} of ${expected.length}`);
        // Elasticsearch pages inside a point in time; OpenSearch from the signed boundary.
        expect(cursorPayload(pages[0].next_cursor!).s.p !== undefined).toBe(engine.configKey === 'ES_URL');
      }
    });

    it('refuses tampered, forged and reused cursors', async () => {
      const first = await search({ service_name: 'payment-service', log_level: 'error', limit: 10 });
      const cursor = first.next_cursor!;
      const [v, payload, mac] = cursor.split('.');
      const forged = Buffer.from(JSON.stringify({ ...cursorPayload(cursor), s: { ...cursorPayload(cursor).s, o: 0, n: 999 } })).toString('base64url');
      const flipped = mac.slice(0, 5) + (mac[5] === 'A' ? 'B' : 'A') + mac.slice(6);
      const attempts: [string, Record<string, unknown>][] = [
        ['forged payload', { service_name: 'payment-service', log_level: 'error', cursor: `${v}.${forged}.${mac}` }],
        ['flipped signature', { service_name: 'payment-service', log_level: 'error', cursor: `${v}.${payload}.${flipped}` }],
        ['other arguments', { service_name: 'payment-service', log_level: 'warn', cursor }],
        ['other index', { index_pattern: index[shape === 'ecs' ? 'flat' : 'ecs'], service_name: 'payment-service', log_level: 'error', cursor }],
        ['not a cursor', { cursor: 'abc' }],
      ];
      for (const [what, input] of attempts) {
        const err = await callErr(app, 'elk_search_logs', { index_pattern: index[shape], start_time: START, end_time: END, ...input }, CALLERS.viewer);
        expect(err.error.code, what).toBe('invalid_input');
        expect(err.error.message, what).toMatch(/cursor/);
      }
      const second = await search({ service_name: 'payment-service', log_level: 'error', limit: 10, cursor });
      expect(second.hits).toHaveLength(10);
    });

    it('says which filter to relax when nothing matched', async () => {
      const res = await search({ service_name: 'payment-service', log_level: 'debug' });
      expect(res.total).toBe(0);
      expect(res.hits).toEqual([]);
      const paymentInWindow = WINDOW_DOCS.filter((d) => d.service === 'payment-service').length;
      expect(res.hint).toContain(`${paymentInWindow} without the log_level filter`);
      expect(res.hint).toContain('0 without the service_name filter');
      expect(res.hint).toContain('Relax the log_level filter first');
      expect(res.hint).toContain(`between ${START} and ${END}`);
      expect(res.hint).toMatch(/Levels in this window: .*(INFO|info)/);
      const typo = await search({ service_name: 'Payment-Service' });
      expect(typo.hint).toContain('Services in this window:');
      expect(typo.hint).toContain('payment-service');
      const empty = await search({ start_time: '2026-03-11T00:00:00Z', end_time: '2026-03-11T01:00:00Z' });
      expect(empty.hint).toContain('The window holds no logs at all; the newest log');
      expect(empty.hint).toContain('2026-03-10T11:05:00.000Z');
    });

    it('refuses out-of-range limits and windows with the allowed maximum', async () => {
      const limit = await callErr(app, 'elk_search_logs', { index_pattern: index[shape], limit: 101 }, CALLERS.viewer);
      expect(limit.error.code).toBe('invalid_input');
      expect(limit.error.message).toContain('100');
      const wide = await callErr(app, 'elk_search_logs', { index_pattern: index[shape], start_time: 'now-40d' }, CALLERS.viewer);
      expect(wide.error.code).toBe('invalid_input');
      expect(wide.error.message).toContain('31 days');
      const topN = await callErr(app, 'elk_detect_errors', { index_pattern: index[shape], top_n: 51 }, CALLERS.viewer);
      expect(topN.error.message).toContain('50');
    });

    it('detects errors: exact total, services, the top pattern and its count, and the minute they started rising', async () => {
      const res = await detect({});
      expect(elkDetectErrors.output.parse(res)).toEqual(res);
      expect(res.total_errors).toBe(ERRORS.length);
      const byService = [...countBy(ERRORS, (d) => d.service)].map(([service, count]) => ({ service, count })).sort((a, b) => b.count - a.count);
      expect(res.errors_by_service).toEqual(byService);
      const top = res.top_error_messages[0];
      expect(top.message).toBe('timeout to fraud-service after <*>');
      expect(top.count).toBe(150);
      expect(top.services).toEqual(['payment-service']);
      expect(top.first_seen).toBe(INCIDENT);
      expect(top.last_seen).toBe('2026-03-10T10:59:40.000Z');
      expect(top.trace_id).toMatch(/^trace-pay-/);
      expect(res.top_error_messages.map((p) => p.message)).toEqual(
        expect.arrayContaining(['upstream payment-service returned <*> for order <*>', 'thread pool queue full, rejected task <*>', 'card declined for order <*>', 'index shard unavailable [shard <*>]']),
      );
      expect(res.top_error_messages.find((p) => p.message.startsWith('upstream'))?.count).toBe(50);
      expect(res.top_error_messages.find((p) => p.message.startsWith('timeout to fraud-service after <*> while scoring'))?.count).toBe(1);
      expect(res.rising_since).toBe(INCIDENT);
      expect(res.rise).toMatchObject({ interval: '1m', baseline_per_interval: 0, ongoing: true });
      expect(res.errors_over_time.interval).toBe('1m');
      expect(res.errors_over_time.start).toBe(START);
      expect(res.errors_over_time.counts.reduce((a, b) => a + b, 0)).toBe(ERRORS.length);
      expect(res.errors_over_time.counts[35]).toBe(ERRORS.filter((d) => d.time >= at(35) && d.time < at(36)).length);
      expect(res.samples.length).toBeGreaterThan(0);
      expect(res.samples.length).toBeLessThanOrEqual(5);
      for (const s of res.samples) expect(s.trace_id).toMatch(/^trace-/);
      expect(res.samples[0]).toMatchObject({ service: 'payment-service', trace_id: top.trace_id });
      expect(res.recommendation[0]).toMatch(/^Validate the most frequent error \("timeout to fraud-service after <\*>", 150x\) with its trace_id trace-pay-/);
      expect(res.recommendation.join('\n')).toContain(`at ${INCIDENT}`);
      expect(res.summary).toContain(`rising since ${INCIDENT}`);
      expect(res.window).toMatchObject({ start: START, end: END });
    });

    it("follows the top pattern's trace_id across services", async () => {
      const top = (await detect({})).top_error_messages[0];
      const res = await search({ trace_id: top.trace_id });
      const expected = WINDOW_DOCS.filter((d) => d.trace === top.trace_id);
      expect(expected.length).toBe(2);
      expect(res.total).toBe(expected.length);
      expect(res.hits.map((h) => h.service).sort()).toEqual(expected.map((d) => d.service).sort());
      expect(res.hits.every((h) => h.trace_id === top.trace_id)).toBe(true);
    });

    it('narrows to one service, and reports a quiet window plainly', async () => {
      const res = await detect({ service_name: 'payment-service', top_n: 3 });
      expect(res.total_errors).toBe(PAYMENT_ERRORS.length);
      expect(res.errors_by_service).toEqual([{ service: 'payment-service', count: PAYMENT_ERRORS.length }]);
      expect(res.top_error_messages.length).toBeLessThanOrEqual(3);
      expect(res.top_error_messages[0]).toMatchObject({ message: 'timeout to fraud-service after <*>', count: 150 });
      const quiet = await detect({ start_time: '2026-03-10T10:15:00Z', end_time: '2026-03-10T10:20:00Z' });
      expect(quiet.total_errors).toBe(0);
      expect(quiet.rising_since).toBeNull();
      expect(quiet.recommendation[0]).toMatch(/widen start_time/);
    });
  });

  it('continues a walk on live data when its point in time has gone', async () => {
    const input = { index_pattern: index.ecs, start_time: START, end_time: END, service_name: 'payment-service', log_level: 'error', limit: 50 };
    const first = await callOk<SearchResult>(app, 'elk_search_logs', input, CALLERS.viewer);
    const pit = cursorPayload(first.next_cursor!).s.p;
    if (engine.configKey === 'OPENSEARCH_URL') {
      expect(pit).toBeUndefined();
      return;
    }
    expect(pit?.id).toBeTruthy();
    await admin.must('DELETE', '/_pit', { id: pit!.id });
    const hits = [...first.hits];
    let cursor = first.next_cursor;
    let sawNote = false;
    while (cursor) {
      const page = await callOk<SearchResult>(app, 'elk_search_logs', { ...input, cursor }, CALLERS.viewer);
      sawNote ||= (page.notes ?? []).some((n) => n.includes('point in time'));
      hits.push(...page.hits);
      cursor = page.next_cursor;
    }
    expect(sawNote).toBe(true);
    expect(hits.map((h) => h.trace_id).sort()).toEqual(PAYMENT_ERRORS.map((d) => d.trace).sort());
  });

  it('defaults to LOG_INDEX_PATTERN and keeps other indices out', async () => {
    const scoped = buildApp(testConfig({ [engine.configKey]: requireEngineUrl(engine.envVar), ALLOWED_INDEX_PATTERNS: 'logs-*', LOG_INDEX_PATTERN: `logs-${suffix}-ecs` }));
    try {
      const res = await callOk<DetectResult>(scoped, 'elk_detect_errors', { start_time: START, end_time: END }, CALLERS.viewer);
      expect(res.total_errors).toBe(ERRORS.length);
      const denied = await callErr(scoped, 'elk_search_logs', { index_pattern: 'secrets-*' }, CALLERS.viewer);
      expect(denied.error.code).toBe('index_pattern_denied');
    } finally {
      await scoped.close();
    }
  });
});
