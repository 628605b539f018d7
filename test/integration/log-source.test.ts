/**
 * The Elasticsearch/OpenSearch LogSource against every real engine (Elasticsearch 8, 9, 7 and
 * OpenSearch 2), obtained the way a log tool obtains it (resolveLogSource over the app's
 * backends). Each engine gets two uniquely named indices holding the same known hour of logs,
 * one with ECS names and one with flat names (date_nanos, mixed time formats, other level
 * spellings); every expected value below is computed from that dataset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import type { LogQuery, LogSource } from '../../src/backends/capabilities.js';
import { TelemcpError } from '../../src/core/errors.js';
import { resolveLogSource } from '../../src/tools/logs/sources.js';
import { testConfig } from '../helpers/config.js';
import { ENGINES, EngineAdmin, ecsLogMappings, requireEngineUrl, uniqueSuffix } from '../helpers/es-fixtures.js';
import { DOCS, FROM, IN_WINDOW, MANY, MANY_FROM, MANY_TO, MINUTE, TO, at, expected, expectedGroups, sharedMessageCountTests, sharedShapeTests, signal, type Doc } from '../helpers/log-source-fixture.js';
import { rejectedError } from '../helpers/errors.js';


const SHAPES = {
  ecs: {
    mappings: ecsLogMappings({ host: true }),
    // info lines with dotted keys, the rest as nested objects: both are read
    doc: (d: Doc): Record<string, unknown> =>
      d.level === 'info'
        ? { '@timestamp': new Date(d.ts).toISOString(), 'service.name': d.service, 'log.level': d.ecsLevel, message: d.message, 'host.name': d.host }
        : { '@timestamp': new Date(d.ts).toISOString(), service: { name: d.service }, log: { level: d.ecsLevel }, message: d.message, ...(d.traceId ? { trace: { id: d.traceId } } : {}), host: { name: d.host } },
  },
  flat: {
    mappings: {
      properties: {
        timestamp: { type: 'date_nanos' },
        service_name: { type: 'keyword' },
        log_level: { type: 'keyword' },
        message: { type: 'text' },
        trace_id: { type: 'keyword' },
        hostname: { type: 'keyword' },
      },
    },
    // epoch milliseconds, +02:00 strings and nanosecond strings within the same millisecond
    doc: (d: Doc): Record<string, unknown> => ({
      timestamp: d.ts % 3 === 0 ? d.ts : d.ts % 3 === 1 ? new Date(d.ts + 2 * 3_600_000).toISOString().replace('Z', '+02:00') : new Date(d.ts).toISOString().replace('Z', '000456Z'),
      service_name: d.service,
      log_level: d.flatLevel,
      message: d.message,
      ...(d.traceId ? { trace_id: d.traceId } : {}),
      hostname: d.host,
    }),
  },
} as const;


describe.each(ENGINES)('log source on $label', (engine) => {
  let admin: EngineAdmin;
  let app: App;
  let source: LogSource;
  const suffix = uniqueSuffix();
  const index = { ecs: `logs-${suffix}-ecs`, flat: `logs-${suffix}-flat` };
  const outside = `private-${suffix}`;
  /** A time, a text-only service and a message: nothing else to filter or count on. */
  const bare = `logs-${suffix}-bare`;
  const sneakyAlias = `logs-${suffix}-alias`;
  /** The noisy hour of messageCounts, ECS-shaped. */
  const many = `logs-${suffix}-many`;

  beforeAll(async () => {
    const url = requireEngineUrl(engine.envVar);
    admin = new EngineAdmin(url);
    for (const shape of ['ecs', 'flat'] as const) {
      await admin.createIndex(index[shape], { shards: 2, replicas: 0, mappings: SHAPES[shape].mappings });
      await admin.waitForStatus(index[shape], 'green');
      await admin.bulkIndex(index[shape], DOCS.map(SHAPES[shape].doc));
    }
    await admin.createIndex(many, { shards: 2, replicas: 0, mappings: SHAPES.ecs.mappings });
    await admin.bulkIndex(many, MANY.map(SHAPES.ecs.doc));
    await admin.createIndex(bare, { replicas: 0, mappings: { properties: { '@timestamp': { type: 'date' }, service: { type: 'text' }, message: { type: 'text' } } } });
    await admin.bulkIndex(bare, [{ '@timestamp': new Date(at(1)).toISOString(), service: 'api', message: 'hello' }]);
    // An alias inside the allowlist that points at an index outside it.
    await admin.createIndex(outside, { replicas: 0 });
    await admin.must('POST', '/_aliases', { actions: [{ add: { index: outside, alias: sneakyAlias } }] });
    app = buildApp(testConfig({ [engine.configKey]: url, ALLOWED_INDEX_PATTERNS: 'logs-*', LOG_INDEX_PATTERN: `logs-${suffix}-ecs` }));
    source = resolveLogSource(app.rt, undefined);
  });

  afterAll(async () => {
    await app?.close();
    await admin?.deleteIndices([...Object.values(index), bare, outside, many]);
  });

  it('is the one configured source, named after the engine, with its capabilities and default scope', async () => {
    const kind = engine.configKey === 'ES_URL' ? 'elasticsearch' : 'opensearch';
    expect([...app.rt.backends.logSources.keys()]).toEqual([kind]);
    expect(source.name).toBe(kind);
    expect(source.kind).toBe(kind);
    expect(source.defaultScope).toBe(index.ecs);
    expect(source.capabilities).toMatchObject({ pastWindows: true, traceIds: true, textSearch: true, labels: ['service', 'level', 'host'], messageCounts: { maxGroups: 200_000 }, maxSample: 5000, maxHistogramBuckets: 1000 });
    expect(resolveLogSource(app.rt, kind)).toBe(source);
    const counted = await source.countBy({ from: new Date(FROM), to: new Date(TO) }, { by: 'service', limit: 1 }, signal());
    expect(counted).toMatchObject({ scope: index.ecs, total: IN_WINDOW.length, values: [{ value: 'batch', count: 400 }] });
  });

  it('refuses an unknown source name, listing the configured one', () => {
    const err = (() => {
      try {
        resolveLogSource(app.rt, 'loki');
      } catch (e) {
        return e as TelemcpError;
      }
      throw new Error('expected a failure');
    })();
    expect(err.code).toBe('invalid_input');
    expect(err.hint).toContain(source.name);
  });

  it('refuses scopes outside the allowlist, including an allowed-looking alias to a denied index', async () => {
    const q = (scope: string): LogQuery => ({ from: new Date(FROM), to: new Date(TO), scope });
    for (const scope of [outside, 'private-*', `${index.ecs},${outside}`, '_all', sneakyAlias]) {
      expect((await rejectedError(source.sample(q(scope), { limit: 1, strategy: 'newest' }, signal()))).code, scope).toBe('index_pattern_denied');
    }
    expect((await rejectedError(source.histogram(q(outside), { bucketMs: MINUTE }, signal()))).code).toBe('index_pattern_denied');
    expect((await rejectedError(source.countBy(q(sneakyAlias), { by: 'service' }, signal()))).code).toBe('index_pattern_denied');
  });

  it('refuses queries it cannot answer, with the limit named', async () => {
    const q: LogQuery = { from: new Date(FROM), to: new Date(TO) };
    for (const limit of [0, 5001, 2.5]) expect((await rejectedError(source.sample(q, { limit, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    const tooMany = await rejectedError(source.histogram(q, { bucketMs: 1000 }, signal()));
    expect(tooMany.code).toBe('invalid_input');
    expect(tooMany.message).toContain('3600 buckets');
    expect(tooMany.hint).toContain('3600 ms');
    expect((await rejectedError(source.sample({ from: new Date(TO), to: new Date(FROM) }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await rejectedError(source.sample({ ...q, services: [] }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await rejectedError(source.sample({ ...q, text: '*clined' }, { limit: 1, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
  });

  it('refuses filters and labels whose field the scope lacks or cannot aggregate, naming the LOG_FIELDS fix', async () => {
    const q: LogQuery = { from: new Date(FROM), to: new Date(TO), scope: bare };
    const traced = await rejectedError(source.sample({ ...q, traceIds: ['t'] }, { limit: 1, strategy: 'newest' }, signal()));
    expect(traced.code).toBe('invalid_input');
    expect(traced.hint).toContain('LOG_FIELDS=trace_id=<field>');
    expect((await rejectedError(source.histogram({ ...q, levels: ['error'] }, { bucketMs: MINUTE }, signal()))).hint).toContain('LOG_FIELDS=level=<field>');
    expect((await rejectedError(source.countBy(q, { by: 'host' }, signal()))).hint).toContain('LOG_FIELDS=host=<field>');
    const textOnly = await rejectedError(source.countBy(q, { by: 'service' }, signal()));
    expect(textOnly.code).toBe('invalid_input');
    expect(textOnly.message).toContain('text-only');
    const sample = await source.sample({ ...q, services: ['api'], text: 'hello' }, { limit: 5, strategy: 'newest' }, signal());
    expect(sample.records).toEqual([{ ts: at(1), service: 'api', message: 'hello' }]);
  });

  it('counts the messages the keyword field holds; longer ones are uncountable, and it says so', async () => {
    const long = `logs-${suffix}-long`;
    try {
      await admin.createIndex(long, { replicas: 0, mappings: SHAPES.ecs.mappings });
      const doc = (message: string, minute: number) => ({ '@timestamp': new Date(at(minute)).toISOString(), service: { name: 'api' }, log: { level: 'ERROR' }, message });
      await admin.bulkIndex(long, [doc('disk full', 1), doc('disk full', 2), doc(`stack trace ${'x'.repeat(300)}`, 3)]);
      const res = await source.messageCounts!({ from: new Date(FROM), to: new Date(TO), scope: long }, { maxGroups: 10 }, signal());
      expect(res).toMatchObject({ groups: [{ message: 'disk full', service: 'api', level: 'error', count: 2, firstMs: at(1), lastMs: at(2) }], total: 3, counted: 2, uncountable: 1, exhaustive: true });
      expect(res.notes).toEqual(['1 record(s) have a message longer than message.keyword holds (its ignore_above), or none: they are not counted per message.']);
    } finally {
      await admin.deleteIndices([long]);
    }
  });

  it('names the field of each role, samples what it cannot count, finds the newest traced record of each group of messages, and returns other fields asked for', async () => {
    const mixed = `logs-${suffix}-mixed`;
    try {
      await admin.createIndex(mixed, { replicas: 0, mappings: SHAPES.ecs.mappings });
      const doc = (message: string, minute: number, trace?: string) => ({
        '@timestamp': new Date(at(minute)).toISOString(),
        service: { name: 'api' },
        log: { level: 'ERROR' },
        message,
        ...(trace ? { trace: { id: trace } } : {}),
        host: { name: 'node-x' },
      });
      const long = `stack trace ${'x'.repeat(300)}`;
      await admin.bulkIndex(mixed, [doc('disk full', 1, 't-1'), doc('disk full', 2), doc(long, 3), doc('queue full', 4)]);
      const q: LogQuery = { from: new Date(FROM), to: new Date(TO), scope: mixed };
      const counts = await source.messageCounts!(q, { maxGroups: 10, uncountableSample: 5 }, signal());
      // Every uncountable record is in the sample, so there is nothing to warn about.
      expect(counts).toMatchObject({ counted: 3, uncountable: 1, uncountableRecords: [{ ts: at(3), service: 'api', level: 'error', message: long, host: 'node-x' }], notes: [] });
      expect(counts.fields).toEqual({
        timestamp: { name: '@timestamp' },
        service: { name: 'service.name' },
        level: { name: 'log.level' },
        message: { name: 'message', exact: 'message.keyword' },
        trace_id: { name: 'trace.id' },
        host: { name: 'host.name' },
      });
      // The newer "disk full" has no trace id; "queue full" has none at all.
      const examples = await source.examples!(q, [['disk full'], ['queue full', 'no such message']], signal());
      expect(examples.records).toEqual([{ ts: at(1), service: 'api', level: 'error', message: 'disk full', traceId: 't-1', host: 'node-x' }, undefined]);
      expect((await rejectedError(source.examples!(q, Array.from({ length: 51 }, () => ['disk full']), signal()))).code).toBe('invalid_input');
      const page = await source.search(q, { limit: 1, fields: ['host.name', 'no.such.field'] }, signal());
      expect(page.records).toEqual([{ ts: at(4), service: 'api', level: 'error', message: 'queue full', host: 'node-x', index: mixed, fields: { 'host.name': 'node-x' } }]);
    } finally {
      await admin.deleteIndices([mixed]);
    }
  });

  it('answers an empty scope with nothing, and says so', async () => {
    const q: LogQuery = { from: new Date(FROM), to: new Date(TO), scope: `logs-${suffix}-none*` };
    const sample = await source.sample(q, { limit: 5, strategy: 'spread' }, signal());
    expect(sample).toMatchObject({ records: [], total: 0, totalExact: true, partial: false });
    expect(sample.notes).toEqual([`logs-${suffix}-none* matches no open index.`]);
    const hist = await source.histogram(q, { bucketMs: 10 * MINUTE, by: 'level' }, signal());
    expect(hist).toMatchObject({ counts: [0, 0, 0, 0, 0, 0], total: 0, series: [], otherTotal: 0 });
  });

  describe.each(['ecs', 'flat'] as const)('%s field names', (shape) => {
    const query = (extra: Partial<LogQuery> = {}): LogQuery => ({ from: new Date(FROM), to: new Date(TO), scope: index[shape], ...extra });

    sharedShapeTests(() => source, index[shape]);

    if (shape === 'ecs') {
      sharedMessageCountTests(() => source, index[shape], many);

      it('pages in smaller pages when a page of messages would overflow BACKEND_MAX_RESPONSE_BYTES, still counting every group once', async () => {
        const small = buildApp(testConfig({ [engine.configKey]: requireEngineUrl(engine.envVar), ALLOWED_INDEX_PATTERNS: 'logs-*', BACKEND_MAX_RESPONSE_BYTES: '1000000' }));
        try {
          const res = await resolveLogSource(small.rt, undefined).messageCounts!({ from: new Date(MANY_FROM), to: new Date(MANY_TO), scope: many }, { maxGroups: 200_000 }, signal());
          expect(res.groups).toEqual(expectedGroups(MANY));
          expect(res).toMatchObject({ total: MANY.length, counted: MANY.length, exhaustive: true, uncountable: 0 });
        } finally {
          await small.close();
        }
      });
    } else {
      it('cannot count a text-only message field exactly: every record is uncountable, and it says why', async () => {
        const res = await source.messageCounts!(query(), { maxGroups: 1000 }, signal());
        expect(res).toMatchObject({ groups: [], total: IN_WINDOW.length, counted: 0, uncountable: IN_WINDOW.length, exhaustive: true, partial: false });
        expect(res.notes).toEqual(['message is text-only (no keyword sub-field), so messages cannot be counted exactly.']);
      });
    }

    it('shrinks a sample whose response would overflow BACKEND_MAX_RESPONSE_BYTES, and says so', async () => {
      const small = buildApp(testConfig({ [engine.configKey]: requireEngineUrl(engine.envVar), ALLOWED_INDEX_PATTERNS: 'logs-*', BACKEND_MAX_RESPONSE_BYTES: '40000' }));
      try {
        const res = await resolveLogSource(small.rt, undefined).sample(query(), { limit: 600, strategy: 'newest' }, signal());
        expect(res.records).toEqual(IN_WINDOW.slice(0, 60).map(expected));
        expect(res.notes).toEqual(['Messages are very large: sampled at most 60 records instead of 600.']);
      } finally {
        await small.close();
      }
    });
  });
});
