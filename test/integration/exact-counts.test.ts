/**
 * Counts a tool states are exact for its window, whatever the number of distinct messages behind
 * a pattern (issue 11, "counts"): an incident whose 3,600 timeouts each carry their own numbers
 * (3,600 distinct messages, more than the 1,000 a terms aggregation used to read) is counted
 * 3,600 by elk_detect_errors and logs_patterns, on every real engine and on the embedded store,
 * and the totals agree with logs_search for the same window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import type { LogSource } from '../../src/backends/capabilities.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { detectErrorsOnSource } from '../../src/tools/elk/detect-errors-on-source.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, ENGINES, EngineAdmin, callOk, ecsLogMappings, requireEngineUrl, uniqueSuffix } from '../helpers/es-fixtures.js';

const START = '2026-03-11T10:00:00.000Z';
const END = '2026-03-11T11:00:00.000Z';
const T0 = Date.parse(START);
const TIMEOUTS = 3600;
const DECLINES = 150;
const INFOS = 400;

interface Line {
  ts: number;
  service: string;
  level: string;
  message: string;
  trace?: string;
}

/** One line a second of timeouts, each with its own duration; a smaller pattern; info noise. */
function lines(): Line[] {
  const out: Line[] = [];
  for (let n = 0; n < TIMEOUTS; n++) {
    out.push({ ts: T0 + n * 1000 + 3, service: n % 5 ? 'payment-service' : 'checkout-service', level: 'error', message: `Timeout after ${1000 + n} ms calling db-${n % 4}`, trace: `trace-t-${n}` });
  }
  for (let n = 0; n < DECLINES; n++) out.push({ ts: T0 + n * 20_000 + 7, service: 'checkout-service', level: 'error', message: `card declined for order ${90_000 + n}` });
  for (let n = 0; n < INFOS; n++) out.push({ ts: T0 + n * 9000 + 11, service: 'search-service', level: 'info', message: `request handled in ${n % 90}ms status 200` });
  return out;
}

const LINES = lines();
const ERRORS = TIMEOUTS + DECLINES;

interface Detect {
  total_errors: number;
  top_error_messages: { message: string; count: number; services: string[]; first_seen?: string; last_seen?: string; trace_id?: string }[];
  counts: string;
  uncounted?: number;
  notes?: string[];
}
interface Patterns {
  total: number;
  sampled: number;
  counts: string;
  uncounted?: number;
  patterns: { template: string; count: number; share: number; services: { service: string; count: number }[]; levels: string[] }[];
  truncated: boolean;
}

/** What every answer must say about these lines, whichever backend holds them. */
async function expectExact(app: App, scopeArgs: { elk: Record<string, unknown>; logs: Record<string, unknown> }): Promise<void> {
  const window = { start_time: START, end_time: END };
  const detect = await callOk<Detect>(app, 'elk_detect_errors', { ...window, ...scopeArgs.elk }, CALLERS.viewer);
  expect(detect.total_errors).toBe(ERRORS);
  expect(detect.counts).toBe('exact');
  expect(detect.uncounted).toBeUndefined();
  const [timeouts, declines] = detect.top_error_messages;
  expect(timeouts.message).toMatch(/^Timeout after <\*> ms calling /);
  expect(timeouts).toMatchObject({ count: TIMEOUTS, services: ['payment-service', 'checkout-service'], first_seen: new Date(T0 + 3).toISOString(), last_seen: new Date(T0 + (TIMEOUTS - 1) * 1000 + 3).toISOString() });
  expect(timeouts.trace_id).toMatch(/^trace-t-/);
  expect(declines).toMatchObject({ message: 'card declined for order <*>', count: DECLINES });
  expect(detect.top_error_messages.reduce((n, p) => n + p.count, 0)).toBe(ERRORS);

  const search = await callOk<{ total: number; total_relation: string }>(app, 'logs_search', { ...window, ...scopeArgs.logs, log_level: 'error', limit: 1 }, CALLERS.viewer);
  expect(search).toMatchObject({ total: detect.total_errors, total_relation: 'eq' });
  const timeoutSearch = await callOk<{ total: number }>(app, 'logs_search', { ...window, ...scopeArgs.logs, log_level: 'error', query: 'Timeout calling', limit: 1 }, CALLERS.viewer);
  expect(timeoutSearch.total).toBe(timeouts.count);

  // A sample of 100 would scale its counts; the source's counts per message need none.
  const patterns = await callOk<Patterns>(app, 'logs_patterns', { ...window, ...scopeArgs.logs, log_level: 'error', sample_size: 100, top_n: 5 }, CALLERS.viewer);
  expect(patterns).toMatchObject({ total: ERRORS, sampled: 100, counts: 'exact', truncated: false });
  expect(patterns.uncounted).toBeUndefined();
  expect(patterns.patterns.map((p) => [p.template, p.count])).toEqual([
    [timeouts.message, TIMEOUTS],
    ['card declined for order <*>', DECLINES],
  ]);
  expect(patterns.patterns[0]).toMatchObject({ share: 0.96, levels: ['error'], services: [{ service: 'payment-service', count: 2880 }, { service: 'checkout-service', count: 720 }] });
}

describe.each(ENGINES)('exact pattern counts on $label', (engine) => {
  const suffix = uniqueSuffix();
  const index = `logs-${suffix}-exact`;
  /** The same lines with a text-only message field: nothing to count messages by. */
  const textOnly = `logs-${suffix}-text`;
  let admin: EngineAdmin;
  let app: App;

  beforeAll(async () => {
    const url = requireEngineUrl(engine.envVar);
    admin = new EngineAdmin(url);
    await admin.createIndex(index, {
      shards: 2,
      replicas: 0,
      mappings: ecsLogMappings(),
    });
    await admin.bulkIndex(
      index,
      LINES.map((l) => ({ '@timestamp': new Date(l.ts).toISOString(), service: { name: l.service }, log: { level: l.level.toUpperCase() }, message: l.message, ...(l.trace ? { trace: { id: l.trace } } : {}) })),
    );
    await admin.createIndex(textOnly, { replicas: 0, mappings: { properties: { '@timestamp': { type: 'date' }, service: { type: 'keyword' }, level: { type: 'keyword' }, message: { type: 'text' } } } });
    await admin.bulkIndex(textOnly, LINES.map((l) => ({ '@timestamp': new Date(l.ts).toISOString(), service: l.service, level: l.level, message: l.message })));
    app = buildApp(testConfig({ [engine.configKey]: url, ALLOWED_INDEX_PATTERNS: 'logs-*', LOG_INDEX_PATTERN: index }));
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await admin?.deleteIndices([index, textOnly]);
  });

  it(`counts ${TIMEOUTS} timeouts of ${TIMEOUTS} distinct messages exactly, with the total logs_search gives`, async () => {
    await expectExact(app, { elk: { index_pattern: index }, logs: { scope: index } });
  });

  it('says its counts are estimates, and by how much they may be off, when messages cannot be counted', async () => {
    const window = { start_time: START, end_time: END };
    const patterns = await callOk<Patterns & { notes?: string[] }>(app, 'logs_patterns', { ...window, scope: textOnly, log_level: 'error', sample_size: 100, top_n: 5 }, CALLERS.viewer);
    expect(patterns).toMatchObject({ total: ERRORS, sampled: 100, counts: 'estimate', uncounted: ERRORS - 100, truncated: true });
    expect(patterns.notes).toEqual(expect.arrayContaining(['message is text-only (no keyword sub-field), so messages cannot be counted exactly.', expect.stringContaining('counts are scaled estimates')]));
    const detect = await callOk<Detect>(app, 'elk_detect_errors', { ...window, index_pattern: textOnly }, CALLERS.viewer);
    expect(detect).toMatchObject({ total_errors: ERRORS, counts: 'lower_bound', uncounted: ERRORS - 500 });
    expect(detect.top_error_messages.reduce((n, p) => n + p.count, 0)).toBe(500);
  });
});

describe('exact pattern counts on the embedded store', () => {
  let app: App;

  beforeAll(async () => {
    app = buildApp(testConfig({ EMBEDDED_STORE: 'on' }));
    const records: IngestRecord[] = LINES.map((l) => ({ ts: l.ts, dataset: 'logs-exact', service: l.service, level: l.level, message: l.message, ...(l.trace ? { traceId: l.trace } : {}) }));
    expect((await app.store!.ingest(records)).rejected).toEqual([]);
  });

  afterAll(async () => {
    await app?.close();
  });

  it(`counts ${TIMEOUTS} timeouts of ${TIMEOUTS} distinct messages exactly, with the total logs_search gives`, async () => {
    await expectExact(app, { elk: { index_pattern: 'logs-exact' }, logs: { scope: 'logs-exact' } });
  });

  it('labels its counts estimates, with the errors it did not read, on a source that cannot count messages', async () => {
    const store = app.rt.backends.logSources.get('embedded')!;
    // The same source without its counts per message, as a source lacking the capability is.
    const sampling: LogSource = {
      name: store.name,
      kind: store.kind,
      defaultScope: store.defaultScope,
      capabilities: { ...store.capabilities, messageCounts: undefined },
      sample: (q, o, s) => store.sample(q, o, s),
      histogram: (q, o, s) => store.histogram(q, o, s),
      countBy: (q, o, s) => store.countBy(q, o, s),
      search: (q, o, s) => store.search(q, o, s),
    };
    const extra: IngestRecord[] = Array.from({ length: 2000 }, (_, n) => ({ ts: T0 + n * 1000 + 500, dataset: 'logs-exact', service: 'payment-service', level: 'error', message: `Timeout after ${9000 + n} ms calling db-9` }));
    expect((await app.store!.ingest(extra)).rejected).toEqual([]);
    const res = await detectErrorsOnSource(sampling, { start_time: START, end_time: END, index_pattern: 'logs-exact', top_n: 5 }, AbortSignal.timeout(60_000));
    expect(res).toMatchObject({ total_errors: ERRORS + 2000, counts: 'estimate', uncounted: ERRORS + 2000 - 5000 });
    expect(res.notes).toEqual(expect.arrayContaining([expect.stringContaining('their counts and first/last seen are estimates')]));
    const exact = await callOk<Detect>(app, 'elk_detect_errors', { start_time: START, end_time: END, index_pattern: 'logs-exact', top_n: 5 }, CALLERS.viewer);
    expect(exact).toMatchObject({ total_errors: ERRORS + 2000, counts: 'exact' });
    expect(exact.top_error_messages[0]).toMatchObject({ count: TIMEOUTS + 2000 });
  });
});
