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
import { TelemcpError } from '../../src/core/errors.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { openLogStore, type LogStore } from '../../src/store/log-store.js';
import { DOCS, FROM, IN_WINDOW, MANY, MINUTE, TO, at, sharedMessageCountTests, sharedShapeTests, signal, type Doc } from '../helpers/log-source-fixture.js';
import { rejectedError } from '../helpers/errors.js';

const DATASET = { ecs: 'logs-app-ecs', flat: 'logs-app-flat' } as const;
/** One line in a dataset outside `logs-*`, inside the window. */
const PRIVATE = 'private-audit';
/** Two lines outside `logs-*` lacking labels. */
const BARE = 'bare-lines';
/** The noisy hour of messageCounts. */
const NOISY = 'logs-noisy';

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
    const noisy = MANY.map((d) => ({ ...record(d, 'ecs'), dataset: NOISY }));
    for (let i = 0; i < noisy.length; i += 5000) expect(store.write(noisy.slice(i, i + 5000)).rejected).toEqual([]);
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
    expect(source.capabilities).toEqual({ pastWindows: true, traceIds: true, textSearch: true, labels: ['service', 'level', 'host'], messageCounts: { maxGroups: 200_000 }, maxSample: 5000, maxHistogramBuckets: 1000 });
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
      const err = await rejectedError(source.sample(q, { limit, strategy: 'newest' }, signal()));
      expect(err.code).toBe('invalid_input');
      expect(err.message).toContain('1-5000');
    }
    const tooMany = await rejectedError(source.histogram(q, { bucketMs: 1000 }, signal()));
    expect(tooMany.code).toBe('invalid_input');
    expect(tooMany.message).toContain('3600 buckets');
    expect(tooMany.hint).toContain('3600 ms');
    expect((await rejectedError(source.histogram(q, { bucketMs: MINUTE, by: 'service', top: 21 }, signal()))).message).toContain('1-20');
    expect((await rejectedError(source.countBy(q, { by: 'host', limit: 101 }, signal()))).message).toContain('1-100');
    expect((await rejectedError(source.sample({ from: new Date(TO), to: new Date(FROM) }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await rejectedError(source.sample({ ...q, services: [] }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await rejectedError(source.sample({ ...q, text: '*clined' }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await rejectedError(source.sample({ ...q, text: 'a* b' }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await rejectedError(source.countBy(q, { by: 'trace' as never }, signal()))).code).toBe('invalid_input');
    expect((await rejectedError(source.sample({ ...q, scope: 'logs-*,,x' }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
  });

  it('stops at an aborted signal with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new TelemcpError('backend_timeout', 'deadline');
    controller.abort(reason);
    expect(await rejectedError(source.sample(window(), { limit: 5, strategy: 'spread' }, controller.signal))).toBe(reason);
    expect((await rejectedError(source.countBy(window(), { by: 'level' }, AbortSignal.abort()))).code).toBe('backend_timeout');
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
    expect((await rejectedError(sample('*'))).code).toBe('invalid_input');
  });

  describe.each(['ecs', 'flat'] as const)('%s level spellings', (shape) => {
    sharedShapeTests(() => source, DATASET[shape]);
    sharedMessageCountTests(() => source, DATASET[shape], NOISY);
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
