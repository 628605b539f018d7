/**
 * The known hour of logs both LogSource suites read: log-source.test.ts writes it into every real
 * engine (ECS and flat indices), embedded-log-source.test.ts into the embedded store, and the
 * same expected values hold for both: sharedShapeTests holds the tests both run on each shape.
 */
import { expect, it } from 'vitest';
import type { LogQuery, LogRecord, LogSource, MessageCount } from '../../src/backends/capabilities.js';
import { spreadQuotas } from '../../src/backends/log-query.js';
import { compareGroups } from '../../src/backends/message-counts.js';
import { TelemcpError } from '../../src/core/errors.js';
import { rejectedError } from './errors.js';

export const FROM = Date.parse('2026-03-10T10:00:00.000Z');
export const TO = Date.parse('2026-03-10T11:00:00.000Z');
export const MINUTE = 60_000;
export const at = (minute: number, ms = 0) => FROM + minute * MINUTE + ms;

export interface Doc {
  ts: number;
  service: string;
  /** Level as the ECS index spells it, as the flat one does, and as records report it. */
  ecsLevel: string;
  flatLevel: string;
  level: string;
  message: string;
  traceId?: string;
  host: string;
}

/**
 * Steady api lines every minute except 10:40-10:50 (an empty stretch), a warning every ten
 * minutes, a payment error burst at 10:20-10:22, a debug storm of 400 lines inside one second
 * at 10:30, one line at exactly the window's end and two just outside it. No two lines share a
 * millisecond, so every order is exact.
 */
function dataset(): Doc[] {
  const docs: Doc[] = [];
  for (let m = 0; m < 60; m++) {
    if (m >= 40 && m < 50) continue;
    docs.push({ ts: at(m, 30_000), service: 'api', ecsLevel: m % 2 ? 'INFO' : 'info', flatLevel: 'Information', level: 'info', message: `GET /orders/${m} 200`, host: 'node-a' });
  }
  for (const m of [5, 15, 25, 35, 55]) {
    docs.push({ ts: at(m, 40_000), service: 'db', ecsLevel: 'WARNING', flatLevel: 'warn', level: 'warn', message: 'slow query on orders took 900ms', host: 'node-b' });
  }
  for (let k = 0; k < 300; k++) {
    docs.push({
      ts: at(20, 100 + k * 400),
      service: 'payment',
      ecsLevel: k % 2 ? 'ERROR' : 'error',
      flatLevel: k % 2 ? 'Error' : 'err',
      level: 'error',
      message: `payment declined for order ${k}`,
      traceId: `trace-pay-${k}`,
      host: 'node-c',
    });
  }
  for (let k = 0; k < 400; k++) {
    docs.push({ ts: at(30, 1 + k * 2), service: 'batch', ecsLevel: 'DEBUG', flatLevel: 'debug', level: 'debug', message: `flushed batch ${k}`, host: 'node-d' });
  }
  docs.push({ ts: TO, service: 'api', ecsLevel: 'info', flatLevel: 'info', level: 'info', message: 'GET /health 200', host: 'node-a' });
  for (const ts of [FROM - 1, TO + 1]) docs.push({ ts, service: 'payment', ecsLevel: 'error', flatLevel: 'error', level: 'error', message: 'payment declined outside', traceId: 'trace-pay-7', host: 'node-c' });
  return docs;
}

export const DOCS = dataset();
export const IN_WINDOW = DOCS.filter((d) => d.ts >= FROM && d.ts <= TO).sort((a, b) => b.ts - a.ts);

/** A record as the source must return it for a dataset line. */
export function expected(d: Doc): LogRecord {
  return { ts: d.ts, service: d.service, level: d.level, message: d.message, ...(d.traceId ? { traceId: d.traceId } : {}), host: d.host };
}

export function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

export const signal = () => AbortSignal.timeout(30_000);

/**
 * The samples, histograms and counts every LogSource must give for one shape of the hour (ECS or
 * flat names, level spellings): called inside each suite's describe, with the source and scope
 * it wrote the hour to.
 */
export function sharedShapeTests(source: () => LogSource, scope: string): void {
  const query = (extra: Partial<LogQuery> = {}): LogQuery => ({ from: new Date(FROM), to: new Date(TO), scope, ...extra });
  it('samples the newest records first, normalised, with an exact total and the limit as a hard cap', async () => {
    const res = await source().sample(query(), { limit: 5, strategy: 'newest' }, signal());
    expect(res.records).toEqual(IN_WINDOW.slice(0, 5).map(expected));
    expect(res.records[0].ts).toBe(TO);
    expect(res).toMatchObject({ total: IN_WINDOW.length, totalExact: true, strategy: 'newest', scope, partial: false, notes: [] });
    const capped = await source().sample(query(), { limit: 3, strategy: 'newest' }, signal());
    expect(capped.records).toHaveLength(3);
  });

  it('filters by level aliases in any case, by service, by trace id and by message words', async () => {
    const errors = await source().sample(query({ levels: ['ERR'] }), { limit: 3, strategy: 'newest' }, signal());
    const payment = IN_WINDOW.filter((d) => d.level === 'error');
    expect(errors.total).toBe(300);
    expect(errors.records).toEqual(payment.slice(0, 3).map(expected));
    const warnings = await source().sample(query({ levels: ['Warning'] }), { limit: 10, strategy: 'newest' }, signal());
    expect(warnings.records).toEqual(IN_WINDOW.filter((d) => d.level === 'warn').map(expected));
    expect(warnings.records.every((r) => r.level === 'warn')).toBe(true);
    const infos = await source().sample(query({ levels: ['info'], services: ['api'] }), { limit: 100, strategy: 'newest' }, signal());
    expect(infos.total).toBe(51);
    expect(infos.records.every((r) => r.level === 'info' && r.service === 'api')).toBe(true);
    expect((await source().sample(query({ levels: ['INFORMATIONAL', 'DEBUG'] }), { limit: 1, strategy: 'newest' }, signal())).total).toBe(451);

    const traced = await source().sample(query({ traceIds: ['trace-pay-7', 'trace-pay-150', 'trace-none'] }), { limit: 10, strategy: 'newest' }, signal());
    expect(traced.records).toEqual(IN_WINDOW.filter((d) => d.traceId === 'trace-pay-150' || d.traceId === 'trace-pay-7').map(expected));
    expect(traced.records.map((r) => r.traceId)).toEqual(['trace-pay-150', 'trace-pay-7']);

    const words = await source().sample(query({ text: 'declined order', services: ['payment', 'db'] }), { limit: 1, strategy: 'newest' }, signal());
    expect(words.total).toBe(300);
    const none = await source().sample(query({ services: ['nope'] }), { limit: 5, strategy: 'spread' }, signal());
    expect(none).toMatchObject({ records: [], total: 0, totalExact: true });
  });

  it('spreads a sample evenly over the window: equal shares per slice, unused shares to the others', async () => {
    const limit = 12;
    const res = await source().sample(query(), { limit, strategy: 'spread' }, signal());
    expect(res).toMatchObject({ total: IN_WINDOW.length, totalExact: true, strategy: 'spread' });
    expect(res.records).toHaveLength(limit);
    // Twelve slices of just over five minutes; the two of 10:40-10:50 are empty.
    const sliceMs = Math.ceil((TO - FROM + 1) / limit);
    const slice = (ts: number) => Math.floor((ts - FROM) / sliceMs);
    const perSlice = Array.from({ length: limit }, (_, i) => IN_WINDOW.filter((d) => slice(d.ts) === i));
    const quotas = spreadQuotas(perSlice.map((s) => s.length), limit);
    expect(quotas).toEqual([1, 1, 2, 1, 1, 1, 1, 2, 0, 0, 1, 1]);
    expect(res.records).toEqual(perSlice.flatMap((docs, i) => docs.slice(0, quotas[i])).sort((a, b) => b.ts - a.ts).map(expected));
    // A newest-first sample of the same size sees only the last ten minutes.
    const newest = await source().sample(query(), { limit, strategy: 'newest' }, signal());
    expect(Math.min(...newest.records.map((r) => r.ts))).toBeGreaterThan(at(50));
    expect(Math.min(...res.records.map((r) => r.ts))).toBeLessThan(at(5));
  });

  it('spreads a large sample exactly, slices packed with records included (more than one top_hits returns on an engine)', async () => {
    const limit = 600;
    const res = await source().sample(query(), { limit, strategy: 'spread' }, signal());
    const sliceMs = Math.ceil((TO - FROM + 1) / 500);
    const slice = (ts: number) => Math.floor((ts - FROM) / sliceMs);
    const perSlice = Array.from({ length: 500 }, (_, i) => IN_WINDOW.filter((d) => slice(d.ts) === i));
    const quotas = spreadQuotas(perSlice.map((s) => s.length), limit);
    // The storm's 400 lines fall in two slices that get 122 each: more than one top_hits returns.
    expect([quotas[slice(at(30))], quotas[slice(at(30)) + 1]]).toEqual([122, 122]);
    expect(res.records).toHaveLength(limit);
    expect(res.records).toEqual(perSlice.flatMap((docs, i) => docs.slice(0, quotas[i])).sort((a, b) => b.ts - a.ts).map(expected));
    expect(countBy(res.records, (r) => r.service ?? '')).toEqual(new Map([['api', 51], ['db', 5], ['payment', 300], ['batch', 244]]));
  });

  it('returns everything when the window holds no more than the limit, whatever the strategy', async () => {
    const res = await source().sample(query({ levels: ['warn', 'error'], services: ['db'] }), { limit: 50, strategy: 'spread' }, signal());
    expect(res.records).toEqual(IN_WINDOW.filter((d) => d.service === 'db').map(expected));
    expect(res).toMatchObject({ total: 5, totalExact: true });
  });

  it('counts per equal bucket from the window start, empty buckets included, records at the end in the last', async () => {
    const res = await source().histogram(query(), { bucketMs: 10 * MINUTE }, signal());
    expect(res).toMatchObject({ start: FROM, bucketMs: 10 * MINUTE, counts: [11, 11, 311, 411, 0, 12], total: IN_WINDOW.length, scope, partial: false });
    expect(res.series).toBeUndefined();
    // Buckets aligned to a start that is not on the interval grid.
    const shifted = await source().histogram(query({ from: new Date(at(5)), to: new Date(at(35)) }), { bucketMs: 7 * MINUTE }, signal());
    const expectedShifted = [0, 0, 0, 0, 0];
    for (const d of IN_WINDOW) if (d.ts >= at(5) && d.ts <= at(35)) expectedShifted[Math.min(4, Math.floor((d.ts - at(5)) / (7 * MINUTE)))] += 1;
    expect(shifted.counts).toEqual(expectedShifted);
    expect(shifted.start).toBe(at(5));
    // A window that does not divide into whole buckets: the last one is short, and still holds `to`.
    const uneven = await source().histogram(query(), { bucketMs: 25 * MINUTE }, signal());
    const expectedUneven = [0, 0, 0];
    for (const d of IN_WINDOW) expectedUneven[Math.floor((d.ts - FROM) / (25 * MINUTE))] += 1;
    expect(uneven.counts).toEqual(expectedUneven);
    expect(uneven.total).toBe(IN_WINDOW.length);
  });

  it('breaks a histogram down by level (spellings merged), service (top values) and host', async () => {
    const byLevel = await source().histogram(query(), { bucketMs: 10 * MINUTE, by: 'level' }, signal());
    expect(byLevel.series).toEqual([
      { value: 'debug', total: 400, counts: [0, 0, 0, 400, 0, 0] },
      { value: 'error', total: 300, counts: [0, 0, 300, 0, 0, 0] },
      { value: 'info', total: 51, counts: [10, 10, 10, 10, 0, 11] },
      { value: 'warn', total: 5, counts: [1, 1, 1, 1, 0, 1] },
    ]);
    expect(byLevel.otherTotal).toBe(0);
    const byService = await source().histogram(query({ levels: ['error', 'info', 'warn'] }), { bucketMs: 20 * MINUTE, by: 'service', top: 2 }, signal());
    expect(byService).toMatchObject({
      counts: [22, 322, 12],
      total: 356,
      series: [
        { value: 'payment', total: 300, counts: [0, 300, 0] },
        { value: 'api', total: 51, counts: [20, 20, 11] },
      ],
      otherTotal: 5,
    });
    const byHost = await source().histogram(query({ services: ['db', 'api'] }), { bucketMs: 30 * MINUTE, by: 'host' }, signal());
    expect(byHost.series).toEqual([
      { value: 'node-a', total: 51, counts: [30, 21] },
      { value: 'node-b', total: 5, counts: [3, 2] },
    ]);
  });

  it('counts by label, spellings merged, with the rest as other', async () => {
    const levels = await source().countBy(query(), { by: 'level' }, signal());
    expect(levels).toMatchObject({ by: 'level', values: [{ value: 'debug', count: 400 }, { value: 'error', count: 300 }, { value: 'info', count: 51 }, { value: 'warn', count: 5 }], other: 0, total: IN_WINDOW.length });
    const top = await source().countBy(query(), { by: 'service', limit: 1 }, signal());
    expect(top).toMatchObject({ values: [{ value: 'batch', count: 400 }], other: IN_WINDOW.length - 400, total: IN_WINDOW.length });
    const hosts = await source().countBy(query({ traceIds: ['trace-pay-1'] }), { by: 'host' }, signal());
    expect(hosts).toMatchObject({ values: [{ value: 'node-c', count: 1 }], other: 0, total: 1 });
  });
}

/**
 * An hour of one noisy pattern for messageCounts, an hour after the shared one so no other test
 * sees it: 20,500 distinct lines "Timeout after <n> ms calling db-<k>" (each once, more distinct
 * messages than one page of groups holds), and 40 repeats of one line in three groups (gateway
 * errors, orders errors, orders warnings), so groups differ by service and level as well as by message.
 */
export const MANY_FROM = Date.parse('2026-03-10T12:00:00.000Z');
export const MANY_TO = Date.parse('2026-03-10T13:00:00.000Z');
export const MANY_DISTINCT = 20_500;
export const MANY: Doc[] = [
  ...Array.from({ length: MANY_DISTINCT }, (_, n): Doc => ({
    ts: MANY_FROM + 1000 + n * 150,
    service: n % 3 ? 'orders' : 'billing',
    ecsLevel: 'ERROR',
    flatLevel: 'error',
    level: 'error',
    message: `Timeout after ${1000 + n} ms calling db-${n % 7}`,
    host: 'node-e',
  })),
  ...Array.from({ length: 40 }, (_, k): Doc => ({
    ts: MANY_FROM + 500 + k * 60_000,
    service: k % 4 ? 'orders' : 'gateway',
    ecsLevel: k % 2 ? 'WARNING' : 'ERROR',
    flatLevel: k % 2 ? 'warn' : 'err',
    level: k % 2 ? 'warn' : 'error',
    message: 'connection pool exhausted',
    host: 'node-e',
  })),
];

/** Groups as messageCounts must return them for these docs: per (message, service, level), most frequent first. */
export function expectedGroups(docs: Doc[]): MessageCount[] {
  const byKey = new Map<string, MessageCount>();
  for (const d of docs) {
    const key = JSON.stringify([d.message, d.service, d.level]);
    const g = byKey.get(key);
    if (g) {
      g.count += 1;
      g.firstMs = Math.min(g.firstMs, d.ts);
      g.lastMs = Math.max(g.lastMs, d.ts);
    } else byKey.set(key, { message: d.message, service: d.service, level: d.level, count: 1, firstMs: d.ts, lastMs: d.ts });
  }
  return [...byKey.values()].sort(compareGroups);
}

/**
 * messageCounts on a shape of the shared hour (its scope) and on the noisy hour (manyScope): exact
 * groups and totals whatever their number, the cap, the checks and the abort.
 */
export function sharedMessageCountTests(source: () => LogSource, scope: string, manyScope: string): void {
  const counts = (q: Partial<LogQuery>, maxGroups = 200_000, s = signal()) => {
    const src = source();
    if (!src.messageCounts || !src.capabilities.messageCounts) throw new Error(`${src.name} does not count messages`);
    return src.messageCounts({ from: new Date(FROM), to: new Date(TO), scope, ...q }, { maxGroups }, s);
  };

  it('counts every distinct message of the window exactly, per service and level, with first and last times', async () => {
    const res = await counts({});
    expect(res.groups).toEqual(expectedGroups(IN_WINDOW));
    expect(res).toMatchObject({ total: IN_WINDOW.length, counted: IN_WINDOW.length, exhaustive: true, uncountable: 0, scope, partial: false });
    const errors = await counts({ levels: ['ERR'], text: 'declined' });
    expect(errors.groups).toEqual(expectedGroups(IN_WINDOW.filter((d) => d.level === 'error')));
    expect(errors).toMatchObject({ total: 300, counted: 300, exhaustive: true });
    expect(await counts({ services: ['nope'] })).toMatchObject({ groups: [], total: 0, counted: 0, exhaustive: true, uncountable: 0 });
  });

  it('pages through more distinct messages than one page holds, every group counted once', async () => {
    const res = await counts({ from: new Date(MANY_FROM), to: new Date(MANY_TO), scope: manyScope });
    expect(res.groups).toHaveLength(MANY_DISTINCT + 3);
    expect(res.groups).toEqual(expectedGroups(MANY));
    expect(res).toMatchObject({ total: MANY.length, counted: MANY.length, exhaustive: true, uncountable: 0 });
  });

  it('stops at the cap on groups and says so: the groups it returns are exact, the rest is the bound', async () => {
    const res = await counts({ from: new Date(MANY_FROM), to: new Date(MANY_TO), scope: manyScope }, 100);
    expect(res.groups.length).toBeLessThanOrEqual(100);
    expect(res.groups.length).toBeGreaterThan(0);
    expect(res.exhaustive).toBe(false);
    expect(res.total).toBe(MANY.length);
    expect(res.counted).toBe(res.groups.reduce((n, g) => n + g.count, 0));
    expect(res.counted).toBeLessThan(res.total);
    const truth = new Map(expectedGroups(MANY).map((g) => [JSON.stringify([g.message, g.service, g.level]), g]));
    for (const g of res.groups) expect(g).toEqual(truth.get(JSON.stringify([g.message, g.service, g.level])));
    expect(res.notes.join('\n')).toContain(`Counted ${res.counted} of ${MANY.length} records exactly`);
  });

  it('refuses a cap outside its range, and stops at an aborted signal with the abort reason', async () => {
    for (const maxGroups of [0, 200_001, 2.5]) {
      const err = await rejectedError(counts({}, maxGroups));
      expect(err.code).toBe('invalid_input');
      expect(err.message).toContain('1-200000');
    }
    const controller = new AbortController();
    const reason = new TelemcpError('backend_timeout', 'deadline');
    controller.abort(reason);
    expect(await rejectedError(counts({ from: new Date(MANY_FROM), to: new Date(MANY_TO), scope: manyScope }, 200_000, controller.signal))).toBe(reason);
  });
}
