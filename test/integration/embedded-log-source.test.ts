/**
 * The embedded LogSource over a real SQLite store in a temporary DATA_DIR, on the dataset of
 * log-source.test.ts (the Elasticsearch suite): the same records must give the same samples,
 * spread slices, histogram buckets, breakdowns and counts. The hour is written twice, as two
 * datasets spelling levels the way the ECS and the flat index do; every expected value is
 * computed from the dataset.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogQuery } from '../../src/backends/capabilities.js';
import { EmbeddedLogSource } from '../../src/backends/embedded/log-source.js';
import { spreadQuotas } from '../../src/backends/log-query.js';
import { TelemcpError } from '../../src/core/errors.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { openLogStore, type LogStore } from '../../src/store/log-store.js';
import { DOCS, FROM, IN_WINDOW, MINUTE, TO, at, countBy, expected, failure, signal, type Doc } from '../helpers/log-source-fixture.js';

const DATASET = { ecs: 'logs-app-ecs', flat: 'logs-app-flat' } as const;
/** One line in a dataset outside `logs-*`, inside the window. */
const PRIVATE = 'private-audit';
/** Two lines outside `logs-*` lacking labels. */
const BARE = 'bare-lines';

function record(d: Doc, shape: 'ecs' | 'flat'): IngestRecord {
  return { ts: d.ts, dataset: DATASET[shape], service: d.service, level: shape === 'ecs' ? d.ecsLevel : d.flatLevel, message: d.message, ...(d.traceId ? { traceId: d.traceId } : {}), host: d.host };
}


describe('embedded log source', () => {
  let dataDir: string;
  let store: LogStore;
  let source: EmbeddedLogSource;
  const window = (extra: Partial<LogQuery> = {}): LogQuery => ({ from: new Date(FROM), to: new Date(TO), ...extra });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'telemcp-embedded-source-'));
    store = openLogStore({ dataDir });
    for (const shape of ['ecs', 'flat'] as const) {
      const result = store.write(DOCS.map((d) => record(d, shape)));
      expect(result).toEqual({ stored: DOCS.length, truncated: 0, rejected: [] });
    }
    store.write([
      { ts: at(1), dataset: PRIVATE, service: 'audit', level: 'info', message: 'hello from audit' },
      { ts: at(2), dataset: BARE, message: 'no labels at all' },
      { ts: at(3), dataset: BARE, service: 'api', message: 'only a service' },
    ]);
    source = new EmbeddedLogSource(store);
  });

  afterAll(() => {
    store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is named embedded, with the capabilities and limits of the Elasticsearch source, over every dataset by default', async () => {
    expect(source.name).toBe('embedded');
    expect(source.kind).toBe('embedded');
    expect(source.defaultScope).toBe('*');
    expect(source.capabilities).toEqual({ pastWindows: true, traceIds: true, textSearch: true, labels: ['service', 'level', 'host'], maxSample: 5000, maxHistogramBuckets: 1000 });
    expect(new EmbeddedLogSource(store, { name: 'local' }).name).toBe('local');
    const counted = await source.countBy(window(), { by: 'service', limit: 1 }, signal());
    expect(counted).toMatchObject({ scope: '*', partial: false, notes: [], total: 2 * IN_WINDOW.length + 3, values: [{ value: 'batch', count: 800 }] });
  });

  it('signs search cursors with CURSOR_SECRET, so a cursor outlives the process that issued it, and with no other key', async () => {
    const q = window({ services: ['batch'] });
    const first = await new EmbeddedLogSource(store, { cursorSecret: 'shared-secret' }).search(q, { limit: 5 }, signal());
    expect(first.next).toBeDefined();
    const restarted = await new EmbeddedLogSource(store, { cursorSecret: 'shared-secret' }).search(q, { limit: 5, cursor: first.next }, signal());
    expect(restarted.offset).toBe(5);
    expect(restarted.records[0].ts).toBeLessThanOrEqual(first.records[4].ts);
    for (const other of [new EmbeddedLogSource(store, { cursorSecret: 'another-secret' }), source]) {
      const err = await other.search(q, { limit: 5, cursor: first.next }, signal()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TelemcpError);
      expect((err as TelemcpError).code).toBe('invalid_input');
    }
  });

  it('refuses queries it cannot answer, with the limit named', async () => {
    const q = window();
    for (const limit of [0, 5001, 2.5]) {
      const err = await failure(source.sample(q, { limit, strategy: 'newest' }, signal()));
      expect(err.code).toBe('invalid_input');
      expect(err.message).toContain('1-5000');
    }
    const tooMany = await failure(source.histogram(q, { bucketMs: 1000 }, signal()));
    expect(tooMany.code).toBe('invalid_input');
    expect(tooMany.message).toContain('3600 buckets');
    expect(tooMany.hint).toContain('3600 ms');
    expect((await failure(source.histogram(q, { bucketMs: MINUTE, by: 'service', top: 21 }, signal()))).message).toContain('1-20');
    expect((await failure(source.countBy(q, { by: 'host', limit: 101 }, signal()))).message).toContain('1-100');
    expect((await failure(source.sample({ from: new Date(TO), to: new Date(FROM) }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await failure(source.sample({ ...q, services: [] }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await failure(source.sample({ ...q, text: '*clined' }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await failure(source.sample({ ...q, text: 'a* b' }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await failure(source.countBy(q, { by: 'trace' as never }, signal()))).code).toBe('invalid_input');
    expect((await failure(source.sample({ ...q, scope: 'logs-*,,x' }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
  });

  it('stops at an aborted signal with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new TelemcpError('backend_timeout', 'deadline');
    controller.abort(reason);
    expect(await failure(source.sample(window(), { limit: 5, strategy: 'spread' }, controller.signal))).toBe(reason);
    expect((await failure(source.countBy(window(), { by: 'level' }, AbortSignal.abort()))).code).toBe('backend_timeout');
  });

  it('reads dataset patterns: globs, lists, every dataset, and says when nothing matches', async () => {
    const total = async (scope: string) => (await source.countBy(window({ scope }), { by: 'service' }, signal())).total;
    expect(await total('logs-*')).toBe(2 * IN_WINDOW.length);
    expect(await total('*-ecs')).toBe(IN_WINDOW.length);
    expect(await total(`${DATASET.ecs}, ${PRIVATE}`)).toBe(IN_WINDOW.length + 1);
    expect(await total('logs-*,*')).toBe(2 * IN_WINDOW.length + 3);
    expect(await total('*audit*')).toBe(1);
    // Only `*` is special: SQL wildcards and regex characters are literal.
    for (const literal of ['logs-%', 'logs-app-ec_', 'logs.*', 'logs-app-[ef]*', "logs' OR 1=1 --"]) expect(await total(literal), literal).toBe(0);

    const scope = 'logs-none*';
    const sample = await source.sample(window({ scope }), { limit: 5, strategy: 'spread' }, signal());
    expect(sample).toMatchObject({ records: [], total: 0, totalExact: true, partial: false, scope });
    expect(sample.notes).toEqual([`${scope} matches no dataset.`]);
    const hist = await source.histogram(window({ scope }), { bucketMs: 10 * MINUTE, by: 'level' }, signal());
    expect(hist).toMatchObject({ counts: [0, 0, 0, 0, 0, 0], total: 0, series: [], otherTotal: 0 });
    const counts = await source.countBy(window({ scope: ` ${DATASET.flat} ,${DATASET.flat}` }), { by: 'level', limit: 1 }, signal());
    expect(counts.scope).toBe(DATASET.flat);
  });

  it('searches messages with phrases, exclusions, alternatives and prefixes', async () => {
    const total = async (text: string) => (await source.sample(window({ text, scope: DATASET.ecs }), { limit: 1, strategy: 'newest' }, signal())).total;
    expect(await total('declined order')).toBe(300);
    expect(await total('"payment declined"')).toBe(300);
    expect(await total('"declined payment"')).toBe(0);
    expect(await total('"order 7"')).toBe(1);
    expect(await total('decl* -"order 7"')).toBe(299);
    expect(await total('-payment')).toBe(IN_WINDOW.length - 300);
    expect(await total('slow|flushed')).toBe(405);
    expect(await total('flushed|declined batch')).toBe(400);
    expect(await total('-slow|flushed -declined')).toBe(IN_WINDOW.length - 705);
    expect(await total('flush*')).toBe(400);
    expect(await total('"GET /ord"*')).toBe(50);
    expect(await total('PAYMENT Declined')).toBe(300);
    expect(await total('(payment declined)')).toBe(300);
    expect(await total('\\"declined\\"')).toBe(300);
  });

  it('treats FTS5 syntax in user text as words to search for, never as syntax', async () => {
    const sample = (text: string) => source.sample(window({ text, scope: DATASET.ecs }), { limit: 1, strategy: 'newest' }, signal());
    const zero = ['declined OR order', 'NEAR(declined order)', 'declined AND NOT', 'message:declined', 'declined "order" OR "x', '{message}: declined', 'declined NOT payment'];
    for (const text of zero) expect((await sample(text)).total, text).toBe(0);
    const asIfAbsent = ['declined ^', 'declined "', 'payment: declined', '^declined', 'declined +', 'declined ""', 'declined ||', 'declined -', ') declined ('];
    for (const text of asIfAbsent) expect((await sample(text)).total, text).toBe(300);
    // A query of punctuation only has nothing to search for: it matches nothing, and says so.
    for (const text of ['"', '^', ':', '""', '"^"']) {
      const res = await sample(text);
      expect(res.total, text).toBe(0);
      expect(res.notes[0], text).toContain('holds no word to search for');
    }
    expect((await failure(sample('*'))).code).toBe('invalid_input');
  });

  describe.each(['ecs', 'flat'] as const)('%s level spellings', (shape) => {
    const query = (extra: Partial<LogQuery> = {}): LogQuery => window({ scope: DATASET[shape], ...extra });

    it('samples the newest records first, normalised, with an exact total and the limit as a hard cap', async () => {
      const res = await source.sample(query(), { limit: 5, strategy: 'newest' }, signal());
      expect(res.records).toEqual(IN_WINDOW.slice(0, 5).map(expected));
      expect(res.records[0].ts).toBe(TO);
      expect(res).toMatchObject({ total: IN_WINDOW.length, totalExact: true, strategy: 'newest', scope: DATASET[shape], partial: false, notes: [] });
      const capped = await source.sample(query(), { limit: 3, strategy: 'newest' }, signal());
      expect(capped.records).toHaveLength(3);
    });

    it('filters by level aliases in any case, by service, by trace id and by message words', async () => {
      const errors = await source.sample(query({ levels: ['ERR'] }), { limit: 3, strategy: 'newest' }, signal());
      const payment = IN_WINDOW.filter((d) => d.level === 'error');
      expect(errors.total).toBe(300);
      expect(errors.records).toEqual(payment.slice(0, 3).map(expected));
      const warnings = await source.sample(query({ levels: ['Warning'] }), { limit: 10, strategy: 'newest' }, signal());
      expect(warnings.records).toEqual(IN_WINDOW.filter((d) => d.level === 'warn').map(expected));
      expect(warnings.records.every((r) => r.level === 'warn')).toBe(true);
      const infos = await source.sample(query({ levels: ['info'], services: ['api'] }), { limit: 100, strategy: 'newest' }, signal());
      expect(infos.total).toBe(51);
      expect(infos.records.every((r) => r.level === 'info' && r.service === 'api')).toBe(true);
      expect((await source.sample(query({ levels: ['INFORMATIONAL', 'DEBUG'] }), { limit: 1, strategy: 'newest' }, signal())).total).toBe(451);

      const traced = await source.sample(query({ traceIds: ['trace-pay-7', 'trace-pay-150', 'trace-none'] }), { limit: 10, strategy: 'newest' }, signal());
      expect(traced.records).toEqual(IN_WINDOW.filter((d) => d.traceId === 'trace-pay-150' || d.traceId === 'trace-pay-7').map(expected));
      expect(traced.records.map((r) => r.traceId)).toEqual(['trace-pay-150', 'trace-pay-7']);

      const words = await source.sample(query({ text: 'declined order', services: ['payment', 'db'] }), { limit: 1, strategy: 'newest' }, signal());
      expect(words.total).toBe(300);
      const none = await source.sample(query({ services: ['nope'] }), { limit: 5, strategy: 'spread' }, signal());
      expect(none).toMatchObject({ records: [], total: 0, totalExact: true });
    });

    it('spreads a sample evenly over the window: equal shares per slice, unused shares to the others', async () => {
      const limit = 12;
      const res = await source.sample(query(), { limit, strategy: 'spread' }, signal());
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
      const newest = await source.sample(query(), { limit, strategy: 'newest' }, signal());
      expect(Math.min(...newest.records.map((r) => r.ts))).toBeGreaterThan(at(50));
      expect(Math.min(...res.records.map((r) => r.ts))).toBeLessThan(at(5));
    });

    it('spreads a large sample exactly, slices packed with records included', async () => {
      const limit = 600;
      const res = await source.sample(query(), { limit, strategy: 'spread' }, signal());
      const sliceMs = Math.ceil((TO - FROM + 1) / 500);
      const slice = (ts: number) => Math.floor((ts - FROM) / sliceMs);
      const perSlice = Array.from({ length: 500 }, (_, i) => IN_WINDOW.filter((d) => slice(d.ts) === i));
      const quotas = spreadQuotas(perSlice.map((s) => s.length), limit);
      expect([quotas[slice(at(30))], quotas[slice(at(30)) + 1]]).toEqual([122, 122]);
      expect(res.records).toHaveLength(limit);
      expect(res.records).toEqual(perSlice.flatMap((docs, i) => docs.slice(0, quotas[i])).sort((a, b) => b.ts - a.ts).map(expected));
      expect(countBy(res.records, (r) => r.service ?? '')).toEqual(new Map([['api', 51], ['db', 5], ['payment', 300], ['batch', 244]]));
    });

    it('returns everything when the window holds no more than the limit, whatever the strategy', async () => {
      const res = await source.sample(query({ levels: ['warn', 'error'], services: ['db'] }), { limit: 50, strategy: 'spread' }, signal());
      expect(res.records).toEqual(IN_WINDOW.filter((d) => d.service === 'db').map(expected));
      expect(res).toMatchObject({ total: 5, totalExact: true });
    });

    it('counts per equal bucket from the window start, empty buckets included, records at the end in the last', async () => {
      const res = await source.histogram(query(), { bucketMs: 10 * MINUTE }, signal());
      expect(res).toMatchObject({ start: FROM, bucketMs: 10 * MINUTE, counts: [11, 11, 311, 411, 0, 12], total: IN_WINDOW.length, scope: DATASET[shape], partial: false });
      expect(res.series).toBeUndefined();
      // Buckets aligned to a start that is not on the interval grid.
      const shifted = await source.histogram(query({ from: new Date(at(5)), to: new Date(at(35)) }), { bucketMs: 7 * MINUTE }, signal());
      const expectedShifted = [0, 0, 0, 0, 0];
      for (const d of IN_WINDOW) if (d.ts >= at(5) && d.ts <= at(35)) expectedShifted[Math.min(4, Math.floor((d.ts - at(5)) / (7 * MINUTE)))] += 1;
      expect(shifted.counts).toEqual(expectedShifted);
      expect(shifted.start).toBe(at(5));
      // A window that does not divide into whole buckets: the last one is short, and still holds `to`.
      const uneven = await source.histogram(query(), { bucketMs: 25 * MINUTE }, signal());
      const expectedUneven = [0, 0, 0];
      for (const d of IN_WINDOW) expectedUneven[Math.floor((d.ts - FROM) / (25 * MINUTE))] += 1;
      expect(uneven.counts).toEqual(expectedUneven);
      expect(uneven.total).toBe(IN_WINDOW.length);
    });

    it('breaks a histogram down by level, service (top values) and host', async () => {
      const byLevel = await source.histogram(query(), { bucketMs: 10 * MINUTE, by: 'level' }, signal());
      expect(byLevel.series).toEqual([
        { value: 'debug', total: 400, counts: [0, 0, 0, 400, 0, 0] },
        { value: 'error', total: 300, counts: [0, 0, 300, 0, 0, 0] },
        { value: 'info', total: 51, counts: [10, 10, 10, 10, 0, 11] },
        { value: 'warn', total: 5, counts: [1, 1, 1, 1, 0, 1] },
      ]);
      expect(byLevel.otherTotal).toBe(0);
      const byService = await source.histogram(query({ levels: ['error', 'info', 'warn'] }), { bucketMs: 20 * MINUTE, by: 'service', top: 2 }, signal());
      expect(byService).toMatchObject({
        counts: [22, 322, 12],
        total: 356,
        series: [
          { value: 'payment', total: 300, counts: [0, 300, 0] },
          { value: 'api', total: 51, counts: [20, 20, 11] },
        ],
        otherTotal: 5,
      });
      const byHost = await source.histogram(query({ services: ['db', 'api'] }), { bucketMs: 30 * MINUTE, by: 'host' }, signal());
      expect(byHost.series).toEqual([
        { value: 'node-a', total: 51, counts: [30, 21] },
        { value: 'node-b', total: 5, counts: [3, 2] },
      ]);
    });

    it('counts by label, spellings merged, with the rest as other', async () => {
      const levels = await source.countBy(query(), { by: 'level' }, signal());
      expect(levels).toMatchObject({ by: 'level', values: [{ value: 'debug', count: 400 }, { value: 'error', count: 300 }, { value: 'info', count: 51 }, { value: 'warn', count: 5 }], other: 0, total: IN_WINDOW.length });
      const top = await source.countBy(query(), { by: 'service', limit: 1 }, signal());
      expect(top).toMatchObject({ values: [{ value: 'batch', count: 400 }], other: IN_WINDOW.length - 400, total: IN_WINDOW.length });
      const hosts = await source.countBy(query({ traceIds: ['trace-pay-1'] }), { by: 'host' }, signal());
      expect(hosts).toMatchObject({ values: [{ value: 'node-c', count: 1 }], other: 0, total: 1 });
    });
  });

  it('counts records without a label as other, and reports them without it', async () => {
    const q = window({ scope: BARE });
    expect((await source.sample(q, { limit: 5, strategy: 'newest' }, signal())).records).toEqual([
      { ts: at(3), service: 'api', message: 'only a service' },
      { ts: at(2), message: 'no labels at all' },
    ]);
    expect(await source.countBy(q, { by: 'host' }, signal())).toMatchObject({ values: [], other: 2, total: 2 });
    expect(await source.histogram(q, { bucketMs: 30 * MINUTE, by: 'service' }, signal())).toMatchObject({ counts: [2, 0], series: [{ value: 'api', total: 1, counts: [1, 0] }], otherTotal: 1 });
  });
});
