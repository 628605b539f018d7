import { TelemcpError } from '../../core/errors.js';
import { sanitizeText } from '../../security/sanitize.js';
import type {
  CountByOptions,
  FoundLogRecord,
  HistogramOptions,
  LogCounts,
  LogExamples,
  LogFieldRoles,
  LogHistogram,
  LogLabel,
  LogQuery,
  LogRecord,
  LogSample,
  LogSearchOptions,
  LogSearchPage,
  LogSeries,
  LogSource,
  LogSourceCapabilities,
  MessageCountOptions,
  MessageCounts,
  SampleOptions,
} from '../capabilities.js';
import { canonicalLevel } from '../../core/log-levels.js';
import {
  DEFAULT_TOP,
  LOG_SOURCE_LIMITS,
  MAX_COUNT_VALUES,
  MAX_SERIES,
  RECORD_MESSAGE_CHARS,
  bucketStart,
  RECORD_VALUE_CHARS,
  checkLabel,
  checkLogQuery,
  checkMessageQuery,
  checkRecordFields,
  checkSampleLimit,
  checkSearchLimit,
  checkTop,
  histogramBuckets,
  searchFingerprint,
  spreadQuotas,
  spreadSlices,
} from '../log-query.js';
import {
  detectLogFields,
  levelFilter,
  messageFilter,
  readSource,
  scalarText,
  timeRangeFilter,
  timeSort,
  valuesFilter,
  type LogField,
  type LogFields,
} from './log-fields.js';
import { cursorCodec, type CursorCodec } from '../cursor.js';
import { MESSAGE_COUNT_CAPABILITY, checkMaxGroups } from '../message-counts.js';
import { countMessages, uncountableNote } from './message-counts.js';
import { pageWindow, readPageCursor, searchLogPage } from './log-search.js';
import { SearchEngine } from './search-engine.js';

/** Elasticsearch's and OpenSearch's default index.max_inner_result_window: the most one top_hits may return. */
const MAX_TOP_HITS = 100;
/** Counting the matches of a newest-first sample stops here; spread samples and counts are always exact. */
const TOTAL_HITS_BOUND = 100_000;
/** Spellings one level breakdown asks for before merging them (`ERROR`, `Error`, `err` → `error`). */
const LEVEL_TERMS = 30;
/** Bounded searches a spread sample runs at once for slices too full for top_hits. */
const SLICE_CONCURRENCY = 4;
/** A sample whose messages overflow BACKEND_MAX_RESPONSE_BYTES is retried once at a tenth of its size, not below this. */
const MIN_RETRY_LIMIT = 50;
/** Extra field values of a search hit: strings, and objects too deep to keep, cut to these lengths. */
const FIELD_TEXT_CHARS = 500;
const FIELD_JSON_CHARS = 200;
/** Groups, and messages per group, one examples call may ask for: its filters stay within a few hundred kB. */
const MAX_EXAMPLE_GROUPS = 50;
const MAX_EXAMPLE_MESSAGES = 200;

const CAPABILITIES: LogSourceCapabilities = {
  pastWindows: true,
  traceIds: true,
  textSearch: true,
  labels: ['service', 'level', 'host'],
  messageCounts: MESSAGE_COUNT_CAPABILITY,
  ...LOG_SOURCE_LIMITS,
};

const SEARCH_PARAMS = { expand_wildcards: 'open', ignore_unavailable: true, allow_partial_search_results: true } as const;
const HITS_PATH = 'timed_out,_shards.failed,hits.total,hits.hits._source,hits.hits.sort';
const COUNTS_PATH = 'timed_out,_shards.failed,hits.total,aggregations.**.key,aggregations.**.doc_count';
const EXAMPLES_PATH = 'timed_out,_shards.failed,aggregations.groups.buckets.*.hit.hits.hits._source,aggregations.groups.buckets.*.hit.hits.hits.sort';
const SLICE_HITS_PATH = 'timed_out,_shards.failed,aggregations.slices.buckets.key,aggregations.slices.buckets.hits.hits.hits._source,aggregations.slices.buckets.hits.hits.hits.sort';

type Hit = { _source?: unknown; sort?: unknown[] };
interface Bucket {
  key: string | number;
  doc_count: number;
  over_time?: { buckets?: Bucket[] };
  hits?: { hits?: { hits?: Hit[] } };
}
interface SearchResponse {
  timed_out?: boolean;
  _shards?: { failed?: number };
  hits?: { total?: { value: number; relation: string }; hits?: Hit[] };
  aggregations?: Record<string, { buckets?: Bucket[] } | undefined>;
}

export interface ElasticsearchLogSourceSettings {
  /** The name tools select this source by. */
  name: string;
  /** LOG_INDEX_PATTERN. */
  defaultScope: string;
  /** LOG_FIELDS. */
  logFields?: string;
  /** BACKEND_TIMEOUT_MS: each search gets a server-side timeout just under it. */
  timeoutMs: number;
  /** CURSOR_SECRET, which signs search cursors (cursor.ts); absent, a key of this process does. */
  cursorSecret?: string;
}

/** A scope that passed the guard, with its fields and the query every request of a call shares. */
interface Prepared {
  scope: string;
  fields: LogFields;
  /** Absent only when the scope matches no index: there is nothing to search. */
  timestamp?: { name: string; nanos: boolean };
  query: { bool: { filter: Record<string, unknown>[] } };
  notes: string[];
  partial: boolean;
}
type Searchable = Prepared & { timestamp: NonNullable<Prepared['timestamp']> };

function searchable(p: Prepared): p is Searchable {
  return p.timestamp !== undefined;
}

/**
 * LogSource over Elasticsearch 7.17/8.x/9.x and OpenSearch, through the SearchEngine's
 * read-only client. Every call checks its scope with the engine's index guard (syntax, the
 * allowlist, then what aliases and data streams resolve to), exactly as the pipeline checks a
 * tool's index_pattern, because log tools select sources by name and may not declare indices.
 * Fields come from detectLogFields (ECS, flat names, LOG_FIELDS), level aliases from
 * log-levels, and every answer is bounded: sample sizes, bucket counts and term counts are
 * capped, and responses are trimmed with filter_path.
 */
export class ElasticsearchLogSource implements LogSource {
  readonly capabilities = CAPABILITIES;
  readonly name: string;
  readonly defaultScope: string;
  private readonly timeout: string;
  private readonly cursors: CursorCodec;

  constructor(
    private readonly es: SearchEngine,
    private readonly settings: ElasticsearchLogSourceSettings,
  ) {
    this.name = settings.name;
    this.defaultScope = settings.defaultScope;
    this.timeout = `${Math.max(1, Math.floor(settings.timeoutMs / 1000) - 1)}s`;
    this.cursors = cursorCodec(settings.cursorSecret);
  }

  get kind(): 'elasticsearch' | 'opensearch' {
    return this.es.kind;
  }

  async sample(query: LogQuery, opts: SampleOptions, signal: AbortSignal): Promise<LogSample> {
    checkLogQuery(query);
    checkSampleLimit(opts.limit, this.capabilities);
    const p = await this.prepare(query, signal);
    const empty = { records: [], total: 0, totalExact: true, strategy: opts.strategy };
    if (!searchable(p)) return { ...empty, ...meta(p) };
    const result = await shrinking(p, opts.limit, (limit) => (opts.strategy === 'spread' ? this.spread(p, query, limit, signal) : this.newest(p, limit, signal)));
    return { ...result, strategy: opts.strategy, ...meta(p) };
  }

  async histogram(query: LogQuery, opts: HistogramOptions, signal: AbortSignal): Promise<LogHistogram> {
    checkLogQuery(query);
    const from = bucketStart(query, opts);
    const n = histogramBuckets({ ...query, from: new Date(from) }, opts.bucketMs, this.capabilities);
    const top = checkTop(opts.top ?? DEFAULT_TOP, MAX_SERIES, 'top');
    if (opts.by) checkLabel(opts.by, this.capabilities);
    const p = await this.prepare(query, signal);
    const zeros = () => new Array<number>(n).fill(0);
    const base = { start: from, bucketMs: opts.bucketMs };
    if (!searchable(p)) return { ...base, counts: zeros(), total: 0, ...(opts.by ? { series: [], otherTotal: 0 } : {}), ...meta(p) };
    const byField = opts.by ? this.labelField(p, opts.by) : undefined;
    const overTime = {
      date_histogram: {
        field: p.timestamp.name,
        fixed_interval: `${opts.bucketMs}ms`,
        ...alignedTo(from, opts.bucketMs),
        min_doc_count: 0,
        extended_bounds: { min: from, max: query.to.getTime() },
      },
    };
    const aggs: Record<string, unknown> = { over_time: overTime };
    if (byField) aggs.by = { terms: { field: byField, size: opts.by === 'level' ? Math.max(top, LEVEL_TERMS) : top }, aggs: { over_time: overTime } };
    const res = await this.request(p, { size: 0, track_total_hits: false, query: p.query, aggs }, COUNTS_PATH, signal);
    // Keys are from + i·bucketMs; records at exactly `to` land one bucket past the window and belong to the last.
    const toCounts = (buckets: Bucket[] | undefined) => {
      const counts = zeros();
      for (const b of buckets ?? []) counts[Math.min(n - 1, Math.max(0, Math.floor((Number(b.key) - from) / opts.bucketMs)))] += b.doc_count;
      return counts;
    };
    const counts = toCounts(res.aggregations?.over_time?.buckets);
    const total = counts.reduce((a, b) => a + b, 0);
    if (!opts.by) return { ...base, counts, total, ...meta(p) };
    const series = mergeLabels(
      opts.by,
      (res.aggregations?.by?.buckets ?? []).map((b): LogSeries => ({ value: String(b.key), total: b.doc_count, counts: toCounts(b.over_time?.buckets) })),
      (a, b) => ({ ...a, total: a.total + b.total, counts: a.counts.map((c, i) => c + b.counts[i]) }),
      (s) => s.total,
    ).slice(0, top);
    return { ...base, counts, total, series, otherTotal: total - series.reduce((a, s) => a + s.total, 0), ...meta(p) };
  }

  async countBy(query: LogQuery, opts: CountByOptions, signal: AbortSignal): Promise<LogCounts> {
    checkLogQuery(query);
    checkLabel(opts.by, this.capabilities);
    const limit = checkTop(opts.limit ?? DEFAULT_TOP, MAX_COUNT_VALUES, 'limit');
    const p = await this.prepare(query, signal);
    if (!searchable(p)) return { by: opts.by, values: [], other: 0, total: 0, ...meta(p) };
    const field = this.labelField(p, opts.by);
    const aggs = { by: { terms: { field, size: opts.by === 'level' ? Math.max(limit, LEVEL_TERMS) : limit } } };
    const res = await this.request(p, { size: 0, track_total_hits: true, query: p.query, aggs }, COUNTS_PATH, signal);
    const values = mergeLabels(
      opts.by,
      (res.aggregations?.by?.buckets ?? []).map((b) => ({ value: String(b.key), count: b.doc_count })),
      (a, b) => ({ value: a.value, count: a.count + b.count }),
      (v) => v.count,
    ).slice(0, limit);
    const total = res.hits?.total?.value ?? 0;
    return { by: opts.by, values, other: total - values.reduce((a, v) => a + v.count, 0), total, ...meta(p) };
  }

  /** Every distinct message of the window, paged with a composite aggregation (message-counts.ts). */
  async messageCounts(query: LogQuery, opts: MessageCountOptions, signal: AbortSignal): Promise<MessageCounts> {
    checkLogQuery(query);
    checkMaxGroups(opts.maxGroups, this.capabilities);
    if (opts.uncountableSample !== undefined) checkSampleLimit(opts.uncountableSample, this.capabilities);
    const p = await this.prepare(query, signal);
    if (!searchable(p)) return { groups: [], total: 0, counted: 0, exhaustive: true, uncountable: 0, ...meta(p) };
    const counts = await countMessages(this.es, { indices: p.scope, fields: p.fields, timestamp: p.timestamp, query: p.query, timeout: this.timeout }, opts.maxGroups, signal);
    p.notes.push(...counts.notes);
    if (counts.partial) p.partial = true;
    const { groups, total, counted, exhaustive, uncountable } = counts;
    const sampled = opts.uncountableSample && uncountable > 0 ? await shrinking(p, opts.uncountableSample, (limit) => this.uncountable(p, limit, signal)) : undefined;
    // Uncountable records all in the sample are not lost to the caller: nothing to say about them.
    if (uncountable > (sampled?.records.length ?? 0)) p.notes.push(uncountableNote(uncountable, p.fields));
    return { groups, total, counted, exhaustive, uncountable, ...(sampled ? { uncountableRecords: sampled.records } : {}), ...meta(p) };
  }

  /**
   * One filters aggregation with a top_hits per group: a sample inside each of the (up to
   * 200,000) counted groups would cost more than the counting itself on large indices.
   */
  async examples(query: LogQuery, messages: readonly (readonly string[])[], signal: AbortSignal): Promise<LogExamples> {
    checkLogQuery(query);
    if (messages.length > MAX_EXAMPLE_GROUPS || messages.some((m) => m.length < 1 || m.length > MAX_EXAMPLE_MESSAGES)) {
      throw new TelemcpError('invalid_input', `examples takes at most ${MAX_EXAMPLE_GROUPS} groups of 1-${MAX_EXAMPLE_MESSAGES} messages.`, { hint: 'Ask for fewer patterns, or fewer messages per pattern.' });
    }
    const p = await this.prepare(query, signal);
    const keyword = p.fields.message?.keyword;
    const none = messages.map(() => undefined);
    if (!searchable(p) || !keyword || !messages.length) return { records: none, ...meta(p) };
    const trace = p.fields.trace_id?.keyword ?? p.fields.trace_id?.name;
    const filters = Object.fromEntries(messages.map((m, i) => [`g${i}`, { bool: { filter: [{ terms: { [keyword]: m } }, ...(trace ? [{ exists: { field: trace } }] : [])] } }]));
    const hit = { top_hits: { size: 1, sort: [timeSort(p.timestamp, 'desc')], _source: { includes: this.sourceFields(p) } } };
    const res = await this.request(p, { size: 0, track_total_hits: false, query: p.query, aggs: { groups: { filters: { filters }, aggs: { hit } } } }, EXAMPLES_PATH, signal);
    const buckets = (res.aggregations?.groups as { buckets?: Record<string, Bucket & { hit?: Bucket['hits'] }> } | undefined)?.buckets ?? {};
    const records = messages.map((_, i) => {
      const first = buckets[`g${i}`]?.hit?.hits?.hits?.[0];
      return first ? toRecord(first, p.fields) : undefined;
    });
    return { records, ...meta(p) };
  }

  /**
   * Pages (log-search.ts): inside a point in time on Elasticsearch,
   * from the last page's boundary on OpenSearch. The scope is guarded again on every page,
   * and the cursor is bound to this source, so it cannot carry a search anywhere else.
   */
  async search(query: LogQuery, opts: LogSearchOptions, signal: AbortSignal): Promise<LogSearchPage> {
    checkLogQuery(query);
    checkSearchLimit(opts.limit);
    checkRecordFields(opts.fields);
    const extra = opts.fields ?? [];
    const signer = { codec: this.cursors, tool: `log-source:${this.name}`, fingerprint: searchFingerprint(query, this.defaultScope, opts) };
    const state = opts.cursor ? readPageCursor(signer, opts.cursor) : undefined;
    const window = state ? pageWindow(state) : { from: query.from, to: query.to, now: new Date() };
    const p = await this.prepare({ ...query, from: window.from, to: window.to }, signal);
    const searched = { from: window.from, to: window.to };
    if (!searchable(p)) return { records: [], total: 0, totalExact: true, offset: state?.o ?? 0, window: searched, ...meta(p) };
    const page = await searchLogPage(
      this.es,
      { indices: p.scope, timestamp: p.timestamp, query: p.query, sourceFields: [...this.sourceFields(p), ...extra], order: opts.order ?? 'desc', limit: opts.limit, timeout: this.timeout, window, state, signer },
      signal,
    );
    p.notes.push(...page.notes);
    if (page.partial) p.partial = true;
    const records = page.hits.flatMap((h): FoundLogRecord[] => {
      const record = toRecord(h, p.fields);
      if (!record) return [];
      const fields = fieldValues(h._source, extra);
      return [{ ...record, index: h._index, ...(fields ? { fields } : {}) }];
    });
    return { records, total: page.total, totalExact: page.relation === 'eq', offset: page.offset, window: searched, ...(page.next ? { next: page.next } : {}), ...meta(p) };
  }

  /** Guards the scope, detects its fields, and builds the filter every request of the call shares. */
  private async prepare(query: LogQuery, signal: AbortSignal): Promise<Prepared> {
    const scope = await this.es.guardIndices(query.scope ?? this.defaultScope, signal);
    const fields = await detectLogFields(this.es, scope, this.settings.logFields, signal);
    const p: Prepared = { scope, fields, query: { bool: { filter: [] } }, notes: [...fields.notes], partial: false };
    if (fields.indexCount === 0) {
      p.notes.push(`${scope} matches no open index.`);
      return p;
    }
    if (!fields.timestamp) {
      throw new TelemcpError('invalid_input', `No date field (@timestamp, timestamp, …) in ${scope}.`, { hint: 'Name it with LOG_FIELDS=timestamp=<field>, or choose another scope.' });
    }
    p.timestamp = fields.timestamp;
    const filter = [timeRangeFilter(fields.timestamp.name, query.from, query.to)];
    if (query.services) filter.push(valuesFilter(required(fields.service, 'service', scope), query.services));
    if (query.levels) filter.push(levelFilter(required(fields.level, 'level', scope), query.levels));
    if (query.traceIds) filter.push(valuesFilter(required(fields.trace_id, 'trace_id', scope), query.traceIds));
    if (query.text !== undefined) filter.push(messageFilter(fields, checkMessageQuery(query.text)));
    p.query.bool.filter = filter;
    return p;
  }

  /** The exact-value field a label is counted on; text-only fields cannot be aggregated. */
  private labelField(p: Prepared, label: LogLabel): string {
    const field = required(p.fields[label], label, p.scope);
    if (!field.keyword) throw new TelemcpError('invalid_input', `${field.name} in ${p.scope} is text-only, so records cannot be counted by ${label}.`, { hint: `Map ${field.name} as keyword (or give it a keyword sub-field), or count by another label.` });
    return field.keyword;
  }

  private async request(p: Prepared, body: Record<string, unknown>, filterPath: string, signal: AbortSignal): Promise<SearchResponse> {
    const res = await this.es.post<SearchResponse>(`/${SearchEngine.encodeIndices(p.scope)}/_search`, { timeout: this.timeout, ...body }, signal, { ...SEARCH_PARAMS, filter_path: filterPath });
    if ((res._shards?.failed ?? 0) > 0 || res.timed_out === true) p.partial = true;
    return res;
  }

  private sourceFields(p: Prepared): string[] {
    const { timestamp, service, level, message, trace_id, host } = p.fields;
    return [timestamp, service, level, message, trace_id, host].flatMap((f) => (f ? [f.name] : []));
  }

  private hitsBody(p: Searchable, size: number, query: Record<string, unknown>): Record<string, unknown> {
    return { size, query, sort: [timeSort(p.timestamp, 'desc')], _source: { includes: this.sourceFields(p) } };
  }

  /** The newest records whose message the keyword field does not hold: every one when the field has no keyword form. */
  private async uncountable(p: Searchable, limit: number, signal: AbortSignal) {
    const keyword = p.fields.message?.keyword;
    const query = keyword ? { bool: { filter: p.query.bool.filter, must_not: [{ exists: { field: keyword } }] } } : p.query;
    const res = await this.request(p, { ...this.hitsBody(p, limit, query), track_total_hits: false }, HITS_PATH, signal);
    return { records: toRecords(res.hits?.hits ?? [], p.fields) };
  }

  private async newest(p: Searchable, limit: number, signal: AbortSignal) {
    const res = await this.request(p, { ...this.hitsBody(p, limit, p.query), track_total_hits: TOTAL_HITS_BOUND }, HITS_PATH, signal);
    const total = res.hits?.total?.value ?? 0;
    return { records: toRecords(res.hits?.hits ?? [], p.fields), total, totalExact: res.hits?.total?.relation !== 'gte' };
  }

  /**
   * Two requests in the common case: the matches per slice (a date_histogram, exact), then,
   * when they exceed the limit, each slice's share (spreadQuotas) in one date_histogram with a
   * top_hits per slice. A share above top_hits' maximum (data packed into few slices) is read
   * by its own bounded search over that slice instead, at most limit / 100 of them.
   */
  private async spread(p: Searchable, query: LogQuery, limit: number, signal: AbortSignal) {
    const from = query.from.getTime();
    const { slices, sliceMs } = spreadSlices(query, limit);
    const histogram = { field: p.timestamp.name, fixed_interval: `${sliceMs}ms`, ...alignedTo(from, sliceMs), min_doc_count: 1 };
    const res = await this.request(p, { size: 0, track_total_hits: false, query: p.query, aggs: { slices: { date_histogram: histogram } } }, COUNTS_PATH, signal);
    const counts = new Array<number>(slices).fill(0);
    for (const b of res.aggregations?.slices?.buckets ?? []) counts[sliceIndex(b.key, from, sliceMs, slices)] += b.doc_count;
    const total = counts.reduce((a, b) => a + b, 0);
    if (total <= limit) return { ...(await this.newest(p, limit, signal)), total, totalExact: true };

    const quotas = spreadQuotas(counts, limit);
    const crowded = quotas.flatMap((q, i) => (q > MAX_TOP_HITS ? [i] : []));
    const sliceRange = (i: number) => ({ range: { [p.timestamp.name]: { gte: from + i * sliceMs, lt: from + (i + 1) * sliceMs, format: 'epoch_millis' } } });
    const perSlice = new Map<number, Hit[]>();
    const topHits = Math.max(0, ...quotas.filter((q) => q <= MAX_TOP_HITS));
    if (topHits > 0) {
      const outsideCrowded = crowded.length ? { bool: { filter: p.query.bool.filter, must_not: crowded.map(sliceRange) } } : p.query;
      const hits = { top_hits: { size: topHits, sort: [timeSort(p.timestamp, 'desc')], _source: { includes: this.sourceFields(p) } } };
      const sampled = await this.request(p, { size: 0, track_total_hits: false, query: outsideCrowded, aggs: { slices: { date_histogram: histogram, aggs: { hits } } } }, SLICE_HITS_PATH, signal);
      for (const b of sampled.aggregations?.slices?.buckets ?? []) {
        const i = sliceIndex(b.key, from, sliceMs, slices);
        perSlice.set(i, [...(perSlice.get(i) ?? []), ...(b.hits?.hits?.hits ?? [])]);
      }
    }
    await eachLimited(crowded, SLICE_CONCURRENCY, async (i) => {
      const body = this.hitsBody(p, quotas[i], { bool: { filter: [...p.query.bool.filter, sliceRange(i)] } });
      const sliced = await this.request(p, { ...body, track_total_hits: false }, HITS_PATH, signal);
      perSlice.set(i, sliced.hits?.hits ?? []);
    });
    const hits = [...perSlice].flatMap(([i, list]) => list.slice(0, quotas[i]));
    return { records: toRecords(hits, p.fields), total, totalExact: true };
  }
}

function meta(p: Prepared): { scope: string; partial: boolean; notes: string[]; fields: LogFieldRoles } {
  return { scope: p.scope, partial: p.partial, notes: p.notes, fields: roleFields(p.fields) };
}

/** The detected fields by role, in the backend-neutral words of LogAnswerMeta.fields. */
function roleFields(fields: LogFields): LogFieldRoles {
  const out: LogFieldRoles = {};
  if (fields.timestamp) out.timestamp = { name: fields.timestamp.name };
  for (const role of ['service', 'level', 'message', 'trace_id', 'host'] as const) {
    const f = fields[role];
    if (f) out[role] = { name: f.name, ...(f.keyword && f.keyword !== f.name ? { exact: f.keyword } : {}) };
  }
  return out;
}

/**
 * Sizes are the tool's, not the caller's: huge messages (stack traces) that overflow
 * BACKEND_MAX_RESPONSE_BYTES shrink a read to a tenth instead of failing the call.
 */
async function shrinking<T>(p: Prepared, limit: number, run: (limit: number) => Promise<T>): Promise<T> {
  try {
    return await run(limit);
  } catch (err) {
    if (!(err instanceof TelemcpError) || err.code !== 'response_too_large' || limit <= MIN_RETRY_LIMIT) throw err;
    const smaller = Math.max(MIN_RETRY_LIMIT, Math.floor(limit / 10));
    p.notes.push(`Messages are very large: sampled at most ${smaller} records instead of ${limit}.`);
    return run(smaller);
  }
}

/** The values of the fields a search asked for, bounded so one odd document cannot flood the answer; undefined when it holds none. */
function fieldValues(source: unknown, names: readonly string[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = readSource(source, name);
    if (value !== undefined) out[name] = compactValue(value);
  }
  return Object.keys(out).length ? out : undefined;
}

function compactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return sanitizeText(value, FIELD_TEXT_CHARS).text;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 3) return sanitizeText(JSON.stringify(value), FIELD_JSON_CHARS).text;
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => compactValue(v, depth + 1));
  return Object.fromEntries(Object.entries(value).slice(0, 30).map(([k, v]) => [k, compactValue(v, depth + 1)]));
}

const FIELD_NAMES: Record<'service' | 'level' | 'trace_id' | 'host', string> = {
  service: 'service (service.name, service_name, …)',
  level: 'level (log.level, log_level, level, …)',
  trace_id: 'trace id (trace.id, trace_id, …)',
  host: 'host (host.name, hostname, host, …)',
};

function required(field: LogField | undefined, role: keyof typeof FIELD_NAMES, scope: string): LogField {
  if (!field) throw new TelemcpError('invalid_input', `No ${FIELD_NAMES[role]} field in ${scope}.`, { hint: `Drop that filter or label, or name the field with LOG_FIELDS=${role}=<field>.` });
  return field;
}

/** Buckets start at the window's start rather than at the epoch, so none is cut short at the front. */
function alignedTo(from: number, intervalMs: number): { offset?: string } {
  const offset = from % intervalMs;
  return offset ? { offset: `${offset}ms` } : {};
}

function sliceIndex(key: string | number, from: number, sliceMs: number, slices: number): number {
  return Math.min(slices - 1, Math.max(0, Math.floor((Number(key) - from) / sliceMs)));
}

/** Level spellings count as one level; other labels are kept as they are. Most frequent first. */
function mergeLabels<T extends { value: string }>(label: LogLabel, items: T[], add: (a: T, b: T) => T, size: (t: T) => number): T[] {
  if (label !== 'level') return items;
  const merged = new Map<string, T>();
  for (const item of items) {
    const value = canonicalLevel(item.value);
    const seen = merged.get(value);
    merged.set(value, seen ? add(seen, item) : { ...item, value });
  }
  return [...merged.values()].sort((a, b) => size(b) - size(a) || a.value.localeCompare(b.value));
}

function text(source: unknown, field: LogField | undefined, max: number): string | undefined {
  const value = field ? scalarText(readSource(source, field.name)) : undefined;
  return value === undefined ? undefined : sanitizeText(value, max).text;
}

/** The time comes from the sort value (epoch ms whatever the mapping: date, date_nanos, any string format); none, no record. */
function toRecord(h: Hit, fields: LogFields): LogRecord | undefined {
  const ts = Number(h.sort?.[0]);
  if (!Number.isFinite(ts)) return undefined;
  const record: LogRecord = { ts, message: text(h._source, fields.message, RECORD_MESSAGE_CHARS) ?? '' };
  const service = text(h._source, fields.service, RECORD_VALUE_CHARS);
  const level = text(h._source, fields.level, RECORD_VALUE_CHARS);
  const traceId = text(h._source, fields.trace_id, RECORD_VALUE_CHARS);
  const host = text(h._source, fields.host, RECORD_VALUE_CHARS);
  if (service !== undefined) record.service = service;
  if (level !== undefined) record.level = canonicalLevel(level);
  if (traceId !== undefined) record.traceId = traceId;
  if (host !== undefined) record.host = host;
  return record;
}

/** Newest first. */
function toRecords(hits: Hit[], fields: LogFields): LogRecord[] {
  return hits.flatMap((h) => toRecord(h, fields) ?? []).sort((a, b) => b.ts - a.ts);
}

async function eachLimited<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
