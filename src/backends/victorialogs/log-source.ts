import { TelemcpError } from '../../core/errors.js';
import { canonicalLevel } from '../../core/log-levels.js';
import { sanitizeText } from '../../security/sanitize.js';
import type {
  CountByOptions,
  FoundLogRecord,
  HistogramOptions,
  LogAnswerMeta,
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
import { cursorCodec, type CursorCodec } from '../cursor.js';
import {
  DEFAULT_TOP,
  askedFields,
  logRecord,
  LOG_SOURCE_LIMITS,
  MAX_COUNT_VALUES,
  MAX_SERIES,
  RECORD_VALUE_CHARS,
  bucketStart,
  checkLabel,
  checkLogQuery,
  checkRecordFields,
  checkSampleLimit,
  checkSearchLimit,
  checkTop,
  histogramBuckets,
  searchFingerprint,
  spreadQuotas,
  spreadSlices,
} from '../log-query.js';
import { MESSAGE_COUNT_CAPABILITY, MessageTally, cappedNote, checkMaxGroups } from '../message-counts.js';
import type { VictoriaLogsApi, VlParams, VlRow } from './client.js';
import { DEFAULT_VL_FIELDS, MSG, TIME, inFilter, logsqlFilter, q, timeBucket, timeMs, timeNanos, windowParams, type VlFieldNames } from './logsql.js';

const CAPABILITIES: LogSourceCapabilities = {
  pastWindows: true,
  traceIds: true,
  textSearch: true,
  labels: ['service', 'level', 'host'],
  messageCounts: MESSAGE_COUNT_CAPABILITY,
  ...LOG_SOURCE_LIMITS,
};

/** VictoriaLogs has no indices: one scope, the tenant the configuration fixes. */
export const VL_DEFAULT_SCOPE = '*';
/** Spellings one level breakdown asks for before merging them (`ERROR`, `Error`, `err` → `error`). */
const LEVEL_VALUES = 30;
/** Groups, and messages per group, one examples call may ask for (as on Elasticsearch). */
const MAX_EXAMPLE_GROUPS = 50;
const MAX_EXAMPLE_MESSAGES = 200;
/** Names of the results the stats pipes produce, prefixed so that a record's own field of the same name is unlikely. */
const COUNT = 'telemcp_n';
const FIRST = 'telemcp_first';
const LAST = 'telemcp_last';
const SLICE = 'telemcp_slice';

export interface VictoriaLogsLogSourceSettings {
  /** The name tools select this source by (the instance name). */
  name: string;
  /** Which fields play which role; default DEFAULT_VL_FIELDS. */
  fields?: VlFieldNames;
  /** CURSOR_SECRET, which signs search cursors (cursor.ts); absent, a key of this process does. */
  cursorSecret?: string;
}

/**
 * Cursor state of a search: the first page's window [from, to, now] and total, the records on
 * the pages before, and the boundary: the time (unix nanoseconds, as text) of the last record
 * returned and how many records at exactly that time were returned. The next page asks for the
 * records at or past that time in a total order (time, then stream, message and every returned
 * field) and skips those already returned; records tied on all of them are indistinguishable,
 * so which of them comes first changes nothing a caller sees.
 */
interface PageState {
  w: [number, number, number];
  n: number;
  o: number;
  b: { t: string; k: number };
}

/**
 * LogSource over VictoriaLogs (LogsQL, /select/logsql/query). Every count is computed by the
 * server with `stats` pipes and is exact; every answer is bounded (a `limit` on every query,
 * a fixed number of rows per pipe, the connection's response size). Windows go as the API's
 * start (inclusive) and end (exclusive, so `to` + 1 ms). Filters are quoted LogsQL built by
 * logsql.ts; levels are matched in every common spelling and merged when counted.
 */
export class VictoriaLogsLogSource implements LogSource {
  readonly kind = 'victorialogs' as const;
  readonly capabilities = CAPABILITIES;
  readonly defaultScope = VL_DEFAULT_SCOPE;
  readonly name: string;
  private readonly fields: VlFieldNames;
  private readonly roles: LogFieldRoles;
  private readonly cursors: CursorCodec;

  constructor(
    private readonly api: VictoriaLogsApi,
    settings: VictoriaLogsLogSourceSettings,
  ) {
    this.name = settings.name;
    this.fields = settings.fields ?? DEFAULT_VL_FIELDS;
    this.cursors = cursorCodec(settings.cursorSecret);
    const f = this.fields;
    this.roles = {
      timestamp: { name: TIME },
      service: { name: f.service },
      level: { name: f.level },
      message: { name: MSG, aliases: ['message'] },
      trace_id: { name: f.traceId },
      host: { name: f.host },
    };
  }

  async sample(query: LogQuery, opts: SampleOptions, signal: AbortSignal): Promise<LogSample> {
    checkLogQuery(query);
    checkSampleLimit(opts.limit, this.capabilities);
    const filter = this.filter(query);
    if (filter === undefined) return { records: [], total: 0, totalExact: true, strategy: opts.strategy, ...this.meta() };
    const window = windowParams(query.from, query.to);
    const notes: string[] = [];
    const { records, total } = await shrinking(notes, opts.limit, async (limit) =>
      opts.strategy === 'newest' ? { records: await this.newest(filter, window, limit, signal), total: await this.count(filter, window, signal) } : this.spread(filter, query, limit, signal),
    );
    return { records, total, totalExact: true, strategy: opts.strategy, ...this.meta(notes) };
  }

  async histogram(query: LogQuery, opts: HistogramOptions, signal: AbortSignal): Promise<LogHistogram> {
    checkLogQuery(query);
    const start = bucketStart(query, opts);
    const n = histogramBuckets({ ...query, from: new Date(start) }, opts.bucketMs, this.capabilities);
    const top = checkTop(opts.top ?? DEFAULT_TOP, MAX_SERIES, 'top');
    if (opts.by) checkLabel(opts.by, this.capabilities);
    const filter = this.filter(query);
    const zeros = () => new Array<number>(n).fill(0);
    const base = { start, bucketMs: opts.bucketMs };
    if (filter === undefined) return { ...base, counts: zeros(), total: 0, ...(opts.by ? { series: [], otherTotal: 0 } : {}), ...this.meta() };
    const window = windowParams(query.from, query.to);
    // Records at exactly `to` fall one bucket past the window when it divides evenly: they belong to the last.
    const index = (time: string | undefined) => Math.min(n - 1, Math.max(0, Math.floor((timeMs(time) - start) / opts.bucketMs)));
    const bucket = timeBucket(opts.bucketMs, start);
    const counts = zeros();
    const rows = await this.api.query(`${filter} | stats by (${bucket}) count() ${COUNT}`, n + 1, window, signal);
    for (const r of rows) counts[index(r[TIME])] += count(r);
    const total = sum(counts);
    if (!opts.by) return { ...base, counts, total, ...this.meta() };

    const field = this.labelField(opts.by);
    const values = (await this.topValues(filter, window, opts.by, top, signal)).map((v) => v.value);
    const series = new Map<string, LogSeries>(values.map((value) => [value, { value, total: 0, counts: zeros() }]));
    if (values.length) {
      const raw = opts.by === 'level' ? await this.levelSpellings(filter, window, values, signal) : values;
      const byValue = await this.api.query(`${filter} ${inFilter(field, raw)} | stats by (${bucket}, ${q(field)}) count() ${COUNT}`, Math.min(MAX_ROWS, (n + 1) * raw.length), window, signal);
      for (const r of byValue) {
        const s = series.get(this.labelValue(opts.by, r[field] ?? ''));
        if (!s) continue;
        s.counts[index(r[TIME])] += count(r);
        s.total += count(r);
      }
    }
    const list = [...series.values()];
    return { ...base, counts, total, series: list, otherTotal: total - list.reduce((a, s) => a + s.total, 0), ...this.meta() };
  }

  async countBy(query: LogQuery, opts: CountByOptions, signal: AbortSignal): Promise<LogCounts> {
    checkLogQuery(query);
    checkLabel(opts.by, this.capabilities);
    const limit = checkTop(opts.limit ?? DEFAULT_TOP, MAX_COUNT_VALUES, 'limit');
    const filter = this.filter(query);
    if (filter === undefined) return { by: opts.by, values: [], other: 0, total: 0, ...this.meta() };
    const window = windowParams(query.from, query.to);
    const [values, total] = await Promise.all([this.topValues(filter, window, opts.by, limit, signal), this.count(filter, window, signal)]);
    return { by: opts.by, values, other: total - values.reduce((a, v) => a + v.count, 0), total, ...this.meta() };
  }

  /**
   * One `stats by (message, service, level)` pipe with each group's count and first and last
   * time, the most frequent first, at most maxGroups of them. VictoriaLogs keeps every message
   * whole, so none is uncountable.
   */
  async messageCounts(query: LogQuery, opts: MessageCountOptions, signal: AbortSignal): Promise<MessageCounts> {
    checkLogQuery(query);
    checkMaxGroups(opts.maxGroups, this.capabilities);
    if (opts.uncountableSample !== undefined) checkSampleLimit(opts.uncountableSample, this.capabilities);
    const filter = this.filter(query);
    if (filter === undefined) return { groups: [], total: 0, counted: 0, exhaustive: true, uncountable: 0, ...this.meta() };
    const window = windowParams(query.from, query.to);
    const { service, level } = this.fields;
    const keys = [MSG, service, level].map(q).join(', ');
    const groupsPipe = (limit: number) => `${filter} | stats by (${keys}) count() ${COUNT}, min(${TIME}) ${FIRST}, max(${TIME}) ${LAST} | sort by (${COUNT} desc, ${keys}) | limit ${limit}`;
    const notes: string[] = [];
    const [rows, total] = await Promise.all([
      shrinking(notes, opts.maxGroups, (limit) => this.api.query(groupsPipe(limit), limit, window, signal), 'groups'),
      this.count(filter, window, signal),
    ]);
    const tally = new MessageTally();
    for (const r of rows) {
      if (tally.full) break;
      tally.add({ message: r[MSG] ?? '', service: nonEmpty(r[service]), level: nonEmpty(r[level]), count: count(r), firstMs: timeMs(r[FIRST]), lastMs: timeMs(r[LAST]) });
    }
    const groups = tally.groups();
    const exhaustive = tally.counted >= total;
    return { groups, total, counted: tally.counted, exhaustive, uncountable: 0, ...this.meta(exhaustive ? notes : [...notes, cappedNote(tally.counted, total, groups.length)]) };
  }

  /** Per group of messages, the newest record holding one of them and a trace id: one `first 1 by` per group, partitioned in one query. */
  async examples(query: LogQuery, messages: readonly (readonly string[])[], signal: AbortSignal): Promise<LogExamples> {
    checkLogQuery(query);
    if (messages.length > MAX_EXAMPLE_GROUPS || messages.some((m) => m.length < 1 || m.length > MAX_EXAMPLE_MESSAGES)) {
      throw new TelemcpError('invalid_input', `examples takes at most ${MAX_EXAMPLE_GROUPS} groups of 1-${MAX_EXAMPLE_MESSAGES} messages.`, { hint: 'Ask for fewer patterns, or fewer messages per pattern.' });
    }
    const filter = this.filter(query);
    const records: (LogRecord | undefined)[] = messages.map(() => undefined);
    if (filter === undefined || !messages.length) return { records, ...this.meta() };
    const window = windowParams(query.from, query.to);
    const all = [...new Set(messages.flat())];
    const traced = `${q(this.fields.traceId)}:*`;
    // The newest (traced) record of each distinct message, in one query; then the newest of each group's.
    const newestOf = async (extra: string) => {
      const pipe = `${filter} ${extra}${inFilter(MSG, all)} | first 1 by (${TIME} desc) partition by (${q(MSG)}) | fields ${this.recordFields()}`;
      return new Map((await this.api.query(pipe, all.length, window, signal)).map((r) => [r[MSG] ?? '', r]));
    };
    let newest = await newestOf(`${traced} `);
    // No record of the window carries a trace id at all: any record will do, as on a scope without the field.
    if (newest.size === 0 && !(await this.api.query(`${filter} ${traced} | limit 1 | fields ${TIME}`, 1, window, signal)).length) newest = await newestOf('');
    messages.forEach((m, i) => {
      const found = m.flatMap((message): VlRow[] => {
        const r = newest.get(message);
        return r ? [r] : [];
      });
      found.sort((a, b) => (timeNanos(b[TIME] ?? '') > timeNanos(a[TIME] ?? '') ? 1 : -1));
      records[i] = found[0] ? this.record(found[0]) : undefined;
    });
    return { records, ...this.meta() };
  }

  /**
   * Pages in time order with a signed cursor (PageState). The first page counts the matches
   * (exact); later pages keep the first page's window and total.
   */
  async search(query: LogQuery, opts: LogSearchOptions, signal: AbortSignal): Promise<LogSearchPage> {
    checkLogQuery(query);
    checkSearchLimit(opts.limit);
    checkRecordFields(opts.fields);
    const order = opts.order ?? 'desc';
    const extra = [...new Set(opts.fields ?? [])];
    const tool = `log-source:${this.name}`;
    const fingerprint = searchFingerprint(query, this.defaultScope, opts);
    const state = opts.cursor ? readState(this.cursors.decode(opts.cursor, tool, fingerprint)) : undefined;
    const w = state ? state.w : [query.from.getTime(), query.to.getTime(), Date.now()];
    const searched = { from: new Date(w[0]), to: new Date(w[1]) };
    const filter = this.filter({ ...query, from: searched.from, to: searched.to });
    const offset = state?.o ?? 0;
    if (filter === undefined) return { records: [], total: 0, totalExact: true, offset, window: searched, ...this.meta() };

    const window: VlParams = windowParams(w[0], w[1]);
    if (state && order === 'desc') window.end = (BigInt(state.b.t) + 1n).toString();
    if (state && order === 'asc') window.start = state.b.t;
    const dir = order === 'desc' ? ' desc' : '';
    const ties = [MSG, this.fields.service, this.fields.level, this.fields.traceId, this.fields.host, ...extra].filter((f, i, all) => f !== TIME && all.indexOf(f) === i).map(q);
    const skip = state?.b.k ?? 0;
    const pipe = `${filter} | sort by (${TIME}${dir}, _stream_id, ${ties.join(', ')})${skip ? ` offset ${skip}` : ''} limit ${opts.limit + 1} | fields ${this.recordFields(extra)}`;
    const [rows, total] = await Promise.all([this.api.query(pipe, opts.limit + 1, window, signal), state ? Promise.resolve(state.n) : this.count(filter, windowParams(w[0], w[1]), signal)]);
    const page = rows.slice(0, opts.limit);
    const records = page.map((r): FoundLogRecord => {
      const fields = askedFields(r, extra);
      return { ...this.record(r), index: sanitizeText(r._stream ?? '', RECORD_VALUE_CHARS).text, ...(fields ? { fields } : {}) };
    });
    let next: string | undefined;
    if (rows.length > opts.limit) {
      const t = page[page.length - 1][TIME] ?? '';
      const tn = timeNanos(t).toString();
      const same = page.filter((r) => r[TIME] !== undefined && timeNanos(r[TIME]).toString() === tn).length;
      const following: PageState = { w: [w[0], w[1], w[2]], n: total, o: offset + page.length, b: { t: tn, k: same + (state && state.b.t === tn ? state.b.k : 0) } };
      next = this.cursors.encode(tool, fingerprint, following as unknown as Record<string, unknown>);
    }
    return { records, total, totalExact: true, offset, window: searched, ...(next ? { next } : {}), ...this.meta() };
  }

  private filter(query: LogQuery): string | undefined {
    if (query.scope !== undefined && query.scope !== VL_DEFAULT_SCOPE) {
      throw new TelemcpError('invalid_input', `VictoriaLogs source ${this.name} has no scope ${JSON.stringify(sanitizeText(query.scope, 80).text)}: it reads one tenant, fixed by configuration.`, {
        hint: `Omit scope (or pass "${VL_DEFAULT_SCOPE}"); filter with services, levels or text instead.`,
      });
    }
    return logsqlFilter(query, this.fields);
  }

  private meta(notes: string[] = []): LogAnswerMeta {
    return { scope: VL_DEFAULT_SCOPE, partial: false, notes, fields: this.roles };
  }

  private labelField(label: LogLabel): string {
    return label === 'service' ? this.fields.service : label === 'level' ? this.fields.level : this.fields.host;
  }

  private labelValue(label: LogLabel, raw: string): string {
    const value = sanitizeText(raw, RECORD_VALUE_CHARS).text;
    return label === 'level' ? canonicalLevel(value) : value;
  }

  /** The fields a record is read from, for a `fields` pipe. */
  private recordFields(extra: readonly string[] = []): string {
    const { service, level, traceId, host } = this.fields;
    return [...new Set([TIME, MSG, '_stream', service, level, traceId, host, ...extra])].map((f) => (f === TIME ? f : q(f))).join(', ');
  }

  private async count(filter: string, window: VlParams, signal: AbortSignal): Promise<number> {
    const rows = await this.api.query(`${filter} | stats count() ${COUNT}`, 1, window, signal);
    return rows[0] ? count(rows[0]) : 0;
  }

  private async newest(filter: string, window: VlParams, limit: number, signal: AbortSignal): Promise<LogRecord[]> {
    const rows = await this.api.query(`${filter} | sort by (${TIME} desc) | limit ${limit} | fields ${this.recordFields()}`, limit, window, signal);
    return rows.map((r) => this.record(r));
  }

  /**
   * The most frequent values of a label, most frequent first (ties by value); records without
   * it are left out. Level spellings are merged into their canonical level.
   */
  private async topValues(filter: string, window: VlParams, label: LogLabel, limit: number, signal: AbortSignal): Promise<{ value: string; count: number }[]> {
    const field = q(this.labelField(label));
    const asked = label === 'level' ? Math.max(limit, LEVEL_VALUES) : limit;
    const rows = await this.api.query(`${filter} ${field}:* | stats by (${field}) count() ${COUNT} | sort by (${COUNT} desc, ${field}) | limit ${asked}`, asked, window, signal);
    const merged = new Map<string, number>();
    for (const r of rows) {
      const value = this.labelValue(label, r[this.labelField(label)] ?? '');
      merged.set(value, (merged.get(value) ?? 0) + count(r));
    }
    return [...merged]
      .map(([value, n]) => ({ value, count: n }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, limit);
  }

  /** The stored spellings of these canonical levels in the window. */
  private async levelSpellings(filter: string, window: VlParams, levels: readonly string[], signal: AbortSignal): Promise<string[]> {
    const field = this.fields.level;
    const rows = await this.api.query(`${filter} ${q(field)}:* | stats by (${q(field)}) count() ${COUNT} | limit ${MAX_SPELLINGS}`, MAX_SPELLINGS, window, signal);
    const wanted = new Set(levels);
    return rows.map((r) => r[field] ?? '').filter((v) => wanted.has(canonicalLevel(sanitizeText(v, RECORD_VALUE_CHARS).text)));
  }

  /**
   * The matches per slice (one stats pipe), then, when they exceed the limit, each slice's
   * share (spreadQuotas) in one query: the newest `max share` records of every slice
   * (`first N by (_time desc) partition by (slice)`), cut to each slice's own share here. Both
   * queries take a record's slice from the same server-side expression on its nanosecond time,
   * so a record near a slice boundary is counted and sampled in the same slice; records at
   * exactly `to` (a slice of their own when the window divides evenly) join the last slice.
   */
  private async spread(filter: string, query: LogQuery, limit: number, signal: AbortSignal): Promise<{ records: LogRecord[]; total: number }> {
    const from = query.from.getTime();
    const window = windowParams(query.from, query.to);
    const { slices, sliceMs } = spreadSlices(query, limit);
    const sliceOf = (r: VlRow) => Math.min(slices - 1, Math.max(0, Number(r[SLICE])));
    const withSlice = `${filter} | math floor((${TIME} - ${BigInt(from) * 1_000_000n}) / ${BigInt(sliceMs) * 1_000_000n}) as ${SLICE}`;
    const counts = new Array<number>(slices).fill(0);
    for (const r of await this.api.query(`${withSlice} | stats by (${SLICE}) count() ${COUNT}`, slices + 1, window, signal)) counts[sliceOf(r)] += count(r);
    const total = sum(counts);
    if (total <= limit) return { records: await this.newest(filter, window, limit, signal), total };
    const quotas = spreadQuotas(counts, limit);
    const most = Math.max(...quotas);
    const rows = await this.api.query(`${withSlice} | first ${most} by (${TIME} desc) partition by (${SLICE}) | fields ${this.recordFields()}, ${SLICE}`, Math.min(MAX_ROWS, most * (slices + 1)), window, signal);
    const taken = new Array<number>(slices).fill(0);
    const records: LogRecord[] = [];
    const newestFirst = rows.map((row) => ({ slice: sliceOf(row), record: this.record(row), ns: timeNanos(row[TIME] ?? '') })).sort((a, b) => (b.ns > a.ns ? 1 : b.ns < a.ns ? -1 : 0));
    for (const { slice, record } of newestFirst) {
      if (taken[slice] >= quotas[slice]) continue;
      taken[slice] += 1;
      records.push(record);
    }
    return { records, total };
  }

  private record(r: VlRow): LogRecord {
    return vlRecord(r, this.fields);
  }

}

/** Rows a pipe whose row count the source cannot fix in advance may return: the query API's own maximum. */
const MAX_ROWS = 200_001;
/** Distinct level spellings read at most. */
const MAX_SPELLINGS = 1000;

/** A sample or group list whose text overflows the connection's response bound is retried once at a tenth of its size, not below this. */
const MIN_RETRY_LIMIT = 50;

async function shrinking<T>(notes: string[], limit: number, run: (limit: number) => Promise<T>, what: 'records' | 'groups' = 'records'): Promise<T> {
  try {
    return await run(limit);
  } catch (err) {
    if (!(err instanceof TelemcpError) || err.code !== 'response_too_large' || limit <= MIN_RETRY_LIMIT) throw err;
    const smaller = Math.max(MIN_RETRY_LIMIT, Math.floor(limit / 10));
    notes.push(`Messages are very large: read at most ${smaller} ${what} instead of ${limit}.`);
    return run(smaller);
  }
}

function count(r: VlRow): number {
  const n = Number(r[COUNT]);
  return Number.isFinite(n) ? n : 0;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function sum(counts: number[]): number {
  return counts.reduce((a, b) => a + b, 0);
}


function readState(raw: Record<string, unknown>): PageState {
  const st = raw as unknown as PageState;
  const ok =
    Array.isArray(st.w) && st.w.length === 3 && st.w.every((x) => Number.isFinite(x)) &&
    Number.isInteger(st.n) && Number.isInteger(st.o) && st.o >= 0 &&
    typeof st.b === 'object' && st.b !== null && typeof st.b.t === 'string' && /^\d{1,20}$/.test(st.b.t) && Number.isInteger(st.b.k) && st.b.k >= 0;
  if (!ok) throw new TelemcpError('invalid_input', 'cursor is not a cursor this server issued.', { hint: 'Omit cursor to start over.' });
  return st;
}

/** A record as a LogRecord, its roles read from the fields `fields` names. */
export function vlRecord(r: VlRow, fields: VlFieldNames): LogRecord {
  return logRecord(timeMs(r[TIME]), r[MSG] ?? '', { service: r[fields.service], level: r[fields.level], traceId: r[fields.traceId], host: r[fields.host] });
}
