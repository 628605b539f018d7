import type { Filter, LogStoreReader, StoredLog } from '../../store/log-store.js';
import type {
  CountByOptions,
  HistogramOptions,
  LogAnswerMeta,
  LogCounts,
  LogFieldRoles,
  LogHistogram,
  LogQuery,
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
import { cursorCodec, type CursorCodec } from '../cursor.js';
import {
  DEFAULT_TOP,
  LOG_SOURCE_LIMITS,
  MAX_COUNT_VALUES,
  MAX_SERIES,
  checkLabel,
  checkLogQuery,
  checkMessageQuery,
  checkRecordFields,
  checkSampleLimit,
  bucketStart,
  checkTop,
  histogramBuckets,
  spreadQuotas,
  spreadSlices,
} from '../log-query.js';
import { MESSAGE_COUNT_CAPABILITY, MessageTally, cappedNote, checkMaxGroups } from '../message-counts.js';
import { checkAborted, toLogRecord } from './answers.js';
import { searchLogStore } from './log-search.js';

export const EMBEDDED_CAPABILITIES: LogSourceCapabilities = {
  pastWindows: true,
  traceIds: true,
  textSearch: true,
  labels: ['service', 'level', 'host'],
  messageCounts: MESSAGE_COUNT_CAPABILITY,
  ...LOG_SOURCE_LIMITS,
};

/**
 * The store's columns by role, with the names its ingest reads them from (ECS and seed 000's
 * flat names), so a caller may name a column either way.
 */
const EMBEDDED_FIELDS: LogFieldRoles = {
  timestamp: { name: 'timestamp', aliases: ['@timestamp'] },
  service: { name: 'service', aliases: ['service.name', 'service_name'] },
  level: { name: 'level', aliases: ['log.level', 'log_level'] },
  message: { name: 'message' },
  trace_id: { name: 'trace_id', aliases: ['trace.id', 'traceId'] },
  host: { name: 'host', aliases: ['host.name'] },
};

/** Every dataset in the store. */
export const EMBEDDED_DEFAULT_SCOPE = '*';

export interface EmbeddedLogSourceSettings {
  /** The name tools select this source by (default `embedded`). */
  name?: string;
  /** CURSOR_SECRET, which signs search cursors (cursor.ts); absent, a key of this process does. */
  cursorSecret?: string;
}

/**
 * LogSource over the embedded store, answering exactly as the Elasticsearch source does for the
 * same records: the same checks and limits (log-query.ts), the same message syntax
 * (checkMessageQuery, then FTS5), the same spread slices and shares, histograms aligned to the
 * window's start with records at exactly `to` in the last bucket. A scope is a dataset pattern
 * (`*`, `logs-*`, `app,web-*`). Levels are stored in their canonical spelling, so filters
 * and counts by level need no merging. The store is synchronous: the abort signal is checked
 * between its statements. The server runs this class in a reader thread (worker-log-source.ts),
 * so its statements never hold the event loop and a deadline ends the call mid-statement.
 */
export class EmbeddedLogSource implements LogSource {
  readonly kind = 'embedded' as const;
  readonly capabilities = EMBEDDED_CAPABILITIES;
  readonly defaultScope = EMBEDDED_DEFAULT_SCOPE;
  readonly name: string;
  private readonly cursors: CursorCodec;

  constructor(
    private readonly store: LogStoreReader,
    settings: EmbeddedLogSourceSettings = {},
  ) {
    this.name = settings.name ?? 'embedded';
    this.cursors = cursorCodec(settings.cursorSecret);
  }

  async sample(query: LogQuery, opts: SampleOptions, signal: AbortSignal): Promise<LogSample> {
    checkLogQuery(query);
    checkSampleLimit(opts.limit, this.capabilities);
    const f = this.filter(query, signal);
    if (f.none) return { records: [], total: 0, totalExact: true, strategy: opts.strategy, ...meta(f) };
    const { records, total } = opts.strategy === 'spread' ? this.spread(f, query, opts.limit, signal) : { records: this.store.newest(f, opts.limit), total: this.store.count(f) };
    return { records: records.map(toLogRecord), total, totalExact: true, strategy: opts.strategy, ...meta(f) };
  }

  async histogram(query: LogQuery, opts: HistogramOptions, signal: AbortSignal): Promise<LogHistogram> {
    checkLogQuery(query);
    const start = bucketStart(query, opts);
    const n = histogramBuckets({ ...query, from: new Date(start) }, opts.bucketMs, this.capabilities);
    const top = checkTop(opts.top ?? DEFAULT_TOP, MAX_SERIES, 'top');
    if (opts.by) checkLabel(opts.by, this.capabilities);
    const f = this.filter(query, signal);
    const zeros = () => new Array<number>(n).fill(0);
    const base = { start, bucketMs: opts.bucketMs };
    // Records at exactly `to` fall one bucket past the window when it divides evenly: they belong to the last.
    const index = (bucket: number) => Math.min(n - 1, bucket);
    const counts = zeros();
    if (!opts.by) {
      for (const b of this.store.bucketCounts(f, start, opts.bucketMs)) counts[index(b.bucket)] += b.count;
      return { ...base, counts, total: sum(counts), ...meta(f) };
    }
    const values = this.store.topValues(f, opts.by, top).map((v) => v.value);
    checkAborted(signal);
    const series = new Map<string, LogSeries>(values.map((value) => [value, { value, total: 0, counts: zeros() }]));
    for (const b of this.store.bucketCounts(f, start, opts.bucketMs, { label: opts.by, values })) {
      counts[index(b.bucket)] += b.count;
      const s = b.value === null ? undefined : series.get(b.value);
      if (!s) continue;
      s.counts[index(b.bucket)] += b.count;
      s.total += b.count;
    }
    const total = sum(counts);
    const list = [...series.values()];
    return { ...base, counts, total, series: list, otherTotal: total - list.reduce((a, s) => a + s.total, 0), ...meta(f) };
  }

  async countBy(query: LogQuery, opts: CountByOptions, signal: AbortSignal): Promise<LogCounts> {
    checkLogQuery(query);
    checkLabel(opts.by, this.capabilities);
    const limit = checkTop(opts.limit ?? DEFAULT_TOP, MAX_COUNT_VALUES, 'limit');
    const f = this.filter(query, signal);
    const values = this.store.topValues(f, opts.by, limit);
    checkAborted(signal);
    const total = this.store.count(f);
    return { by: opts.by, values, other: total - values.reduce((a, v) => a + v.count, 0), total, ...meta(f) };
  }

  /**
   * The window's total, then its groups most frequent first (one GROUP BY, message-counts.ts),
   * until the cap on groups or on the text held. Every stored message is kept whole, so none is
   * uncountable.
   */
  async messageCounts(query: LogQuery, opts: MessageCountOptions, signal: AbortSignal): Promise<MessageCounts> {
    checkLogQuery(query);
    checkMaxGroups(opts.maxGroups, this.capabilities);
    const f = this.filter(query, signal);
    const total = this.store.count(f);
    checkAborted(signal);
    const tally = new MessageTally();
    this.store.messageGroups(f, opts.maxGroups, (g) => {
      tally.add(g);
      return !tally.full;
    });
    const groups = tally.groups();
    const exhaustive = tally.counted >= total;
    const notes = exhaustive ? f.notes : [...f.notes, cappedNote(tally.counted, total, groups.length)];
    return { groups, total, counted: tally.counted, exhaustive, uncountable: 0, scope: f.scope, partial: false, notes, fields: EMBEDDED_FIELDS };
  }

  /**
   * Of the other fields asked for, a record holds only its host (under the name asked for); the
   * store keeps no other field, and the page says so.
   */
  async search(query: LogQuery, opts: LogSearchOptions, signal: AbortSignal): Promise<LogSearchPage> {
    checkRecordFields(opts.fields);
    const page = await searchLogStore(this.store, { name: this.name, defaultScope: this.defaultScope, cursors: this.cursors }, query, opts, signal);
    const named = (role: keyof LogFieldRoles, name: string) => EMBEDDED_FIELDS[role]!.name === name || EMBEDDED_FIELDS[role]!.aliases?.includes(name);
    const hostNames = (opts.fields ?? []).filter((name) => named('host', name));
    const unknown = (opts.fields ?? []).filter((name) => !hostNames.includes(name) && !(['timestamp', 'service', 'level', 'message', 'trace_id'] as const).some((role) => named(role, name)));
    const records = hostNames.length ? page.records.map((r) => (r.host === undefined ? r : { ...r, fields: Object.fromEntries(hostNames.map((name) => [name, r.host])) })) : page.records;
    const notes = unknown.length ? [...page.notes, `The embedded store keeps service, level, message and trace_id for each log; no field ${unknown.join(', ')}.`] : page.notes;
    return { ...page, records, notes, fields: EMBEDDED_FIELDS };
  }

  private filter(query: LogQuery, signal: AbortSignal): Filter {
    checkAborted(signal);
    return this.store.filter({
      from: query.from.getTime(),
      to: query.to.getTime(),
      scope: query.scope ?? this.defaultScope,
      services: query.services,
      levels: query.levels,
      traceIds: query.traceIds,
      text: query.text === undefined ? undefined : checkMessageQuery(query.text),
    });
  }

  /**
   * The matches per slice (one GROUP BY over the window), then, when they exceed the limit,
   * each slice's share of its newest records (spreadQuotas), one bounded statement per slice
   * that has a share. Slices are read newest first, so the records come out newest first.
   */
  private spread(f: Filter, query: LogQuery, limit: number, signal: AbortSignal): { records: StoredLog[]; total: number } {
    const { slices, sliceMs } = spreadSlices(query, limit);
    const counts = new Array<number>(slices).fill(0);
    for (const b of this.store.bucketCounts(f, f.from, sliceMs)) counts[b.bucket] += b.count;
    const total = sum(counts);
    if (total <= limit) return { records: this.store.newest(f, limit), total };
    const quotas = spreadQuotas(counts, limit);
    const records: StoredLog[] = [];
    for (let i = slices - 1; i >= 0; i--) {
      if (quotas[i] === 0) continue;
      checkAborted(signal);
      const start = f.from + i * sliceMs;
      records.push(...this.store.newest(f, quotas[i], { from: start, to: Math.min(f.to, start + sliceMs - 1) }));
    }
    return { records, total };
  }
}

function meta(f: Filter): LogAnswerMeta {
  return { scope: f.scope, partial: false, notes: f.notes, fields: EMBEDDED_FIELDS };
}

function sum(counts: number[]): number {
  return counts.reduce((a, b) => a + b, 0);
}
