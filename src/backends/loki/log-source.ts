import { createHash } from 'node:crypto';
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
import { MESSAGE_COUNT_CAPABILITY, MessageTally, checkMaxGroups } from '../message-counts.js';
import { MAX_ENTRIES, compareNs, type LokiApi, type LokiEntry } from './client.js';
import { countBuckets, countWindow, sampleValue } from './counts.js';
import { DEFAULT_LOKI_FIELDS, NS_PER_MS, anyOf, countOverTime, entryMs, label, levelFilter, logqlQuery, ns, q, regexLiteral, windowParams, type LokiFieldNames } from './logql.js';

const CAPABILITIES: LogSourceCapabilities = {
  pastWindows: true,
  traceIds: true,
  textSearch: true,
  labels: ['service', 'level', 'host'],
  messageCounts: MESSAGE_COUNT_CAPABILITY,
  ...LOG_SOURCE_LIMITS,
};

/** Loki has no indices: one scope, the tenant the configuration fixes. */
export const LOKI_DEFAULT_SCOPE = '*';
/** Groups, and messages per group, one examples call may ask for (as on the other sources). */
const MAX_EXAMPLE_GROUPS = 50;
const MAX_EXAMPLE_MESSAGES = 200;
/**
 * Lines messageCounts reads to count every distinct message exactly (40 queries of Loki's 5,000):
 * LogQL cannot count per line server-side within max_query_series (500), nor give a group's
 * first and last time; past this bound the records are reported uncountable and tools sample them.
 */
export const MAX_COUNTED_LINES = 200_000;
/** Queries one call runs at once. */
const PARALLEL = 4;

export interface LokiLogSourceSettings {
  /** The name tools select this source by (the instance name). */
  name: string;
  /** Which labels play which role; default DEFAULT_LOKI_FIELDS. */
  fields?: LokiFieldNames;
  /** CURSOR_SECRET, which signs search cursors (cursor.ts); absent, a key of this process does. */
  cursorSecret?: string;
}

/**
 * Cursor state of a search: the first page's window [from, to, now] and total, the records on
 * the pages before, and the boundary: the time (unix ns, as text) of the last record returned
 * and short digests of the records at exactly that time already returned. The next page reads
 * from that time on again and drops those: Loki orders records of one nanosecond in different
 * streams as it likes, so a count of them would not say which.
 */
interface PageState {
  w: [number, number, number];
  n: number;
  o: number;
  b: { t: string; h: string[] };
}

/**
 * LogSource over Loki's query API. Every count is a range aggregation
 * (`sum by (…) (count_over_time(… [step]))`) evaluated by Loki at the end of each half-open
 * bucket, minus one nanosecond, and is exact; every answer is bounded (a limit on every log
 * query within Loki's max_entries_limit_per_query, at most 1,000 buckets per range query, the
 * connection's response size). Filters are LogQL built by logql.ts with every value quoted;
 * levels are matched in every common spelling, in `level` or else Loki 3's `detected_level`.
 */
export class LokiLogSource implements LogSource {
  readonly kind = 'loki' as const;
  readonly capabilities = CAPABILITIES;
  readonly defaultScope = LOKI_DEFAULT_SCOPE;
  readonly name: string;
  private readonly fields: LokiFieldNames;
  private readonly roles: LogFieldRoles;
  private readonly cursors: CursorCodec;

  constructor(
    private readonly api: LokiApi,
    settings: LokiLogSourceSettings,
  ) {
    this.name = settings.name;
    this.fields = settings.fields ?? DEFAULT_LOKI_FIELDS;
    this.cursors = cursorCodec(settings.cursorSecret);
    const f = this.fields;
    this.roles = {
      service: { name: f.service },
      level: { name: f.level, ...(f.levelFallback ? { aliases: [f.levelFallback] } : {}) },
      trace_id: { name: f.traceId },
      host: { name: f.host },
    };
  }

  async sample(query: LogQuery, opts: SampleOptions, signal: AbortSignal): Promise<LogSample> {
    checkLogQuery(query);
    checkSampleLimit(opts.limit, this.capabilities);
    const log = this.filter(query);
    if (log === undefined) return { records: [], total: 0, totalExact: true, strategy: opts.strategy, ...this.meta() };
    const { records, total } =
      opts.strategy === 'newest'
        ? await Promise.all([this.newest(log, windowParams(query.from, query.to), opts.limit, signal), this.count(log, query.from.getTime(), query.to.getTime() + 1, signal)]).then(([records, total]) => ({ records, total }))
        : await this.spread(log, query, opts.limit, signal);
    return { records, total, totalExact: true, strategy: opts.strategy, ...this.meta() };
  }

  async histogram(query: LogQuery, opts: HistogramOptions, signal: AbortSignal): Promise<LogHistogram> {
    checkLogQuery(query);
    const start = bucketStart(query, opts);
    const n = histogramBuckets({ ...query, from: new Date(start) }, opts.bucketMs, this.capabilities);
    const top = checkTop(opts.top ?? DEFAULT_TOP, MAX_SERIES, 'top');
    if (opts.by) checkLabel(opts.by, this.capabilities);
    const log = this.filter(query);
    const zeros = () => new Array<number>(n).fill(0);
    const base = { start, bucketMs: opts.bucketMs };
    if (log === undefined) return { ...base, counts: zeros(), total: 0, ...(opts.by ? { series: [], otherTotal: 0 } : {}), ...this.meta() };
    const from = query.from.getTime();
    const toEx = query.to.getTime() + 1;
    const grid = { start, bucketMs: opts.bucketMs, n, from, toEx };
    const counts = (await countBuckets(this.api, log, [], grid, signal)).get('[]')?.counts ?? zeros();
    const total = sum(counts);
    if (!opts.by) return { ...base, counts, total, ...this.meta() };

    const notes: string[] = [];
    const values = (await this.topValues(log, from, toEx, opts.by, top, notes, signal)).map((v) => v.value);
    const series = new Map<string, LogSeries>(values.map((value) => [value, { value, total: 0, counts: zeros() }]));
    if (values.length) {
      const narrowed = `${log} ${opts.by === 'level' ? levelFilter(values, this.fields) : `| ${anyOf(this.labelField(opts.by), values)}`}`;
      for (const { labels, counts: c } of (await countBuckets(this.api, narrowed, this.labelNames(opts.by), grid, signal)).values()) {
        const s = series.get(this.labelValue(opts.by, labels));
        if (!s) continue;
        c.forEach((x, i) => (s.counts[i] += x));
        s.total += sum(c);
      }
    }
    const list = [...series.values()];
    return { ...base, counts, total, series: list, otherTotal: total - list.reduce((a, s) => a + s.total, 0), ...this.meta(notes) };
  }

  async countBy(query: LogQuery, opts: CountByOptions, signal: AbortSignal): Promise<LogCounts> {
    checkLogQuery(query);
    checkLabel(opts.by, this.capabilities);
    const limit = checkTop(opts.limit ?? DEFAULT_TOP, MAX_COUNT_VALUES, 'limit');
    const log = this.filter(query);
    if (log === undefined) return { by: opts.by, values: [], other: 0, total: 0, ...this.meta() };
    const from = query.from.getTime();
    const toEx = query.to.getTime() + 1;
    const notes: string[] = [];
    const [values, total] = await Promise.all([this.topValues(log, from, toEx, opts.by, limit, notes, signal), this.count(log, from, toEx, signal)]);
    return { by: opts.by, values, other: total - values.reduce((a, v) => a + v.count, 0), total, ...this.meta(notes) };
  }

  /**
   * Every line of the window read (newest first, Loki's 5,000 at a time) and counted here per
   * (message, service, level) with its first and last time: exact. A window of more than
   * MAX_COUNTED_LINES lines is not read: its records are reported uncountable, so a tool
   * estimates them from a sample and says so.
   */
  async messageCounts(query: LogQuery, opts: MessageCountOptions, signal: AbortSignal): Promise<MessageCounts> {
    checkLogQuery(query);
    checkMaxGroups(opts.maxGroups, this.capabilities);
    if (opts.uncountableSample !== undefined) checkSampleLimit(opts.uncountableSample, this.capabilities);
    const log = this.filter(query);
    if (log === undefined) return { groups: [], total: 0, counted: 0, exhaustive: true, uncountable: 0, ...this.meta() };
    const window = windowParams(query.from, query.to);
    const total = await this.count(log, query.from.getTime(), query.to.getTime() + 1, signal);
    // Too many lines to read, or (below) too much message text to hold: every record is left to the tool's sample.
    const uncountable = async (why: string): Promise<MessageCounts> => {
      const uncountableRecords = opts.uncountableSample ? await this.newest(log, window, opts.uncountableSample, signal) : undefined;
      return { groups: [], total, counted: 0, exhaustive: true, uncountable: total, ...(uncountableRecords ? { uncountableRecords } : {}), ...this.meta([why]) };
    };
    if (total > MAX_COUNTED_LINES) return uncountable(`${total} records match: more than the ${MAX_COUNTED_LINES} lines telemcp reads from Loki to count messages exactly; narrow the window or filter to count them.`);
    const tally = new MessageTally();
    // Pages newest first; each next page ends just after the oldest time read and drops the lines of that time already counted.
    let boundary: string | undefined;
    let seen = new Set<string>();
    for (;;) {
      signal.throwIfAborted();
      const end = boundary === undefined ? window.end : (BigInt(boundary) + 1n).toString();
      const read = await this.api.logs(log, { start: window.start, end, limit: MAX_ENTRIES, direction: 'backward' }, signal);
      const page = read.filter((e) => !(e.ns === boundary && seen.has(digest(e))));
      for (const e of page) {
        const r = this.record(e);
        tally.add({ message: e.line, service: r.service, level: r.level, count: 1, firstMs: r.ts, lastMs: r.ts });
      }
      if (tally.full) return uncountable(`The distinct messages of these ${total} records hold more text than telemcp keeps to count them exactly; narrow the window or filter to count them.`);
      if (read.length < MAX_ENTRIES) break;
      if (page.length === 0) throw new TelemcpError('invalid_input', `More than ${MAX_ENTRIES} records of this window share one nanosecond: telemcp cannot count them through Loki's query API.`, { hint: 'Narrow the query (a service, a level, message words).' });
      const oldest = page[page.length - 1].ns;
      if (oldest !== boundary) seen = new Set();
      for (const e of page) if (e.ns === oldest) seen.add(digest(e));
      boundary = oldest;
    }
    const all = tally.groups();
    const groups = all.slice(0, opts.maxGroups);
    const counted = groups.reduce((a, g) => a + g.count, 0);
    const exhaustive = groups.length === all.length;
    return {
      groups,
      total,
      counted,
      exhaustive,
      uncountable: 0,
      ...this.meta(exhaustive ? [] : [`Counted ${counted} of ${total} records exactly, in ${groups.length} distinct messages; the rest carry messages beyond that bound and are not counted.`]),
    };
  }

  /** Per group of messages, the newest record holding one of them, with a trace id when any record of the window has one. */
  async examples(query: LogQuery, messages: readonly (readonly string[])[], signal: AbortSignal): Promise<LogExamples> {
    checkLogQuery(query);
    if (messages.length > MAX_EXAMPLE_GROUPS || messages.some((m) => m.length < 1 || m.length > MAX_EXAMPLE_MESSAGES)) {
      throw new TelemcpError('invalid_input', `examples takes at most ${MAX_EXAMPLE_GROUPS} groups of 1-${MAX_EXAMPLE_MESSAGES} messages.`, { hint: 'Ask for fewer patterns, or fewer messages per pattern.' });
    }
    const log = this.filter(query);
    const records: (LogRecord | undefined)[] = messages.map(() => undefined);
    if (log === undefined || !messages.length) return { records, ...this.meta() };
    const window = windowParams(query.from, query.to);
    const traced = `| ${label(this.fields.traceId)}!=""`;
    const newestOf = (extra: string, m: readonly string[]) => this.api.logs(`${log} ${extra}|~ ${q(`^(?:${m.map(regexLiteral).join('|')})$`)}`, { ...window, limit: 1, direction: 'backward' }, signal);
    const found = await inBatches(messages, (m) => newestOf(`${traced} `, m));
    // No record of the window carries a trace id at all: any record will do, as on a source without the label.
    const anyTraced = found.some((f) => f.length) || (await this.api.logs(`${log} ${traced}`, { ...window, limit: 1, direction: 'backward' }, signal)).length > 0;
    const chosen = anyTraced ? found : await inBatches(messages, (m) => newestOf('', m));
    chosen.forEach((f, i) => (records[i] = f[0] ? this.record(f[0]) : undefined));
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
    const log = this.filter({ ...query, from: searched.from, to: searched.to });
    const offset = state?.o ?? 0;
    if (log === undefined) return { records: [], total: 0, totalExact: true, offset, window: searched, ...this.meta() };

    const window = windowParams(w[0], w[1]);
    if (state && order === 'desc') window.end = (BigInt(state.b.t) + 1n).toString();
    if (state && order === 'asc') window.start = state.b.t;
    const skip = new Set(state?.b.h ?? []);
    const limit = opts.limit + skip.size + 1;
    if (limit > MAX_ENTRIES) throw new TelemcpError('invalid_input', `More than ${MAX_ENTRIES - opts.limit - 1} records share one nanosecond at this page boundary.`, { hint: 'Use a smaller limit, or narrow the query.' });
    const [entries, total] = await Promise.all([
      this.api.logs(log, { ...window, limit, direction: order === 'desc' ? 'backward' : 'forward' }, signal),
      state ? Promise.resolve(state.n) : this.count(log, w[0], w[1] + 1, signal),
    ]);
    const rows = entries
      .map((e) => ({ e, h: digest(e) }))
      .filter(({ e, h }) => !(state && e.ns === state.b.t && skip.has(h)))
      .sort((a, b) => compareNs(a.e.ns, b.e.ns) * (order === 'desc' ? -1 : 1) || (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
    const page = rows.slice(0, opts.limit);
    const records = page.map(({ e }): FoundLogRecord => {
      const fields = askedFields(e.labels, extra);
      return { ...this.record(e), index: sanitizeText(streamText(e.labels), RECORD_VALUE_CHARS).text, ...(fields ? { fields } : {}) };
    });
    let next: string | undefined;
    if (rows.length > opts.limit) {
      const t = page[page.length - 1].e.ns;
      const h = [...(state && state.b.t === t ? state.b.h : []), ...page.filter((r) => r.e.ns === t).map((r) => r.h)];
      const following: PageState = { w: [w[0], w[1], w[2]], n: total, o: offset + page.length, b: { t, h } };
      next = this.cursors.encode(tool, fingerprint, following as unknown as Record<string, unknown>);
    }
    return { records, total, totalExact: true, offset, window: searched, ...(next ? { next } : {}), ...this.meta() };
  }

  private filter(query: LogQuery): string | undefined {
    if (query.scope !== undefined && query.scope !== LOKI_DEFAULT_SCOPE) {
      throw new TelemcpError('invalid_input', `Loki source ${this.name} has no scope ${JSON.stringify(sanitizeText(query.scope, 80).text)}: it reads one tenant, fixed by configuration.`, {
        hint: `Omit scope (or pass "${LOKI_DEFAULT_SCOPE}"); filter with services, levels or text instead.`,
      });
    }
    return logqlQuery(query, this.fields);
  }

  private meta(notes: string[] = []): LogAnswerMeta {
    return { scope: LOKI_DEFAULT_SCOPE, partial: false, notes, fields: this.roles };
  }

  private labelField(by: LogLabel): string {
    return by === 'service' ? this.fields.service : by === 'level' ? this.fields.level : this.fields.host;
  }

  /** The labels a `sum by` groups on for a breakdown: the level and its fallback, or the one label. */
  private labelNames(by: LogLabel): string[] {
    return by === 'level' && this.fields.levelFallback ? [this.fields.level, this.fields.levelFallback] : [this.labelField(by)];
  }

  /** A breakdown's value for a label set: the level (or its fallback) in its canonical spelling, or the label's value. */
  private labelValue(by: LogLabel, labels: Record<string, string>): string {
    const raw = by === 'level' ? levelOf(labels, this.fields) ?? '' : by === 'service' ? serviceOf(labels, this.fields) ?? '' : labels[this.labelField(by)] ?? '';
    const value = sanitizeText(raw, RECORD_VALUE_CHARS).text;
    return by === 'level' && value !== '' ? canonicalLevel(value) : value;
  }

  private count(log: string, fromMs: number, toExMs: number, signal: AbortSignal): Promise<number> {
    return countWindow(this.api, log, fromMs, toExMs, signal);
  }

  /**
   * The most frequent values of a label in [from, toEx), most frequent first (ties by value);
   * records without it are left out, level spellings merged. All values are counted (one
   * `sum by`); when Loki refuses that many series (max_query_series) it asks for `topk`, whose
   * choice among values tied at the cut is Loki's, and says so.
   */
  private async topValues(log: string, from: number, toEx: number, by: LogLabel, limit: number, notes: string[], signal: AbortSignal): Promise<{ value: string; count: number }[]> {
    const names = this.labelNames(by);
    const time = (BigInt(toEx) * NS_PER_MS - 1n).toString();
    const all = countOverTime(log, toEx - from, names);
    let rows;
    try {
      rows = await this.api.vector(all, time, signal);
    } catch (err) {
      if (!(err instanceof TelemcpError) || err.code !== 'invalid_input' || !/max_query_series/.test(err.message) || by === 'level') throw err;
      rows = await this.api.vector(`topk(${limit}, ${countOverTime(`${log} | ${label(this.labelField(by))}!=""`, toEx - from, names)})`, time, signal);
      notes.push(`More ${by} values than Loki returns in one query (max_query_series): the top ${limit} are Loki's topk, which picks among values tied at the cut.`);
    }
    const merged = new Map<string, number>();
    for (const r of rows) {
      const v = this.labelValue(by, r.metric);
      if (v !== '') merged.set(v, (merged.get(v) ?? 0) + sampleValue(r.value[1]));
    }
    return [...merged]
      .map(([v, n]) => ({ value: v, count: n }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, limit);
  }

  private async newest(log: string, window: { start: string; end: string }, limit: number, signal: AbortSignal): Promise<LogRecord[]> {
    return (await this.api.logs(log, { ...window, limit, direction: 'backward' }, signal)).map((e) => this.record(e));
  }

  /**
   * The matches per slice (one range query), then, when they exceed the limit, each slice's
   * share (spreadQuotas): consecutive slices holding at most Loki's 5,000 lines together are
   * read whole in one query and cut to their shares here; a slice holding more is read alone,
   * its newest `share` lines. Both steps cut slices on the same nanosecond boundaries, so a
   * record is counted and sampled in the same slice.
   */
  private async spread(log: string, query: LogQuery, limit: number, signal: AbortSignal): Promise<{ records: LogRecord[]; total: number }> {
    const from = query.from.getTime();
    const toEx = query.to.getTime() + 1;
    const { slices, sliceMs } = spreadSlices(query, limit);
    const counts = (await countBuckets(this.api, log, [], { start: from, bucketMs: sliceMs, n: slices, from, toEx }, signal)).get('[]')?.counts ?? new Array<number>(slices).fill(0);
    const total = sum(counts);
    if (total <= limit) return { records: await this.newest(log, windowParams(query.from, query.to), limit, signal), total };
    const quotas = spreadQuotas(counts, limit);
    const edge = (i: number) => ns(Math.min(toEx, from + i * sliceMs));
    const runs: { first: number; last: number; lines: number }[] = [];
    for (let i = 0; i < slices; i++) {
      if (quotas[i] === 0) continue;
      const run = runs.at(-1);
      if (run && run.last === i - 1 && counts[i] <= MAX_ENTRIES && run.lines + counts[i] <= MAX_ENTRIES) {
        run.last = i;
        run.lines += counts[i];
      } else runs.push({ first: i, last: i, lines: counts[i] });
    }
    const read = await inBatches(runs, (run) => {
      const whole = run.lines <= MAX_ENTRIES;
      return this.api.logs(log, { start: edge(run.first), end: edge(run.last + 1), limit: whole ? Math.max(1, run.lines) : quotas[run.first], direction: 'backward' }, signal);
    });
    const taken = new Array<number>(slices).fill(0);
    const picked: LokiEntry[] = [];
    for (const entry of read.flat()) {
      const slice = Math.min(slices - 1, Math.floor((entryMs(entry.ns) - from) / sliceMs));
      if (taken[slice] >= quotas[slice]) continue;
      taken[slice] += 1;
      picked.push(entry);
    }
    picked.sort((a, b) => compareNs(b.ns, a.ns));
    return { records: picked.map((e) => this.record(e)), total };
  }

  private record(e: LokiEntry): LogRecord {
    return lokiRecord(e, this.fields);
  }

}

/**
 * What Loki 3 writes as `service_name` on a stream that names no service (its discover_service_name
 * found none of the labels it looks for): no service, as the other sources report such a record.
 */
const NO_SERVICE = 'unknown_service';

/** The service of a record, none when Loki's placeholder stands for it. */
function serviceOf(labels: Record<string, string>, fields: LokiFieldNames): string | undefined {
  const service = labels[fields.service];
  return service === NO_SERVICE ? undefined : service;
}

/** What Loki 3 writes as `detected_level` when it finds no level in a line: no level. */
const NO_LEVEL = 'unknown';

/** The level of a record: its level label, or the fallback when that is empty (Loki's placeholder for none aside). */
function levelOf(labels: Record<string, string>, fields: LokiFieldNames): string | undefined {
  const direct = labels[fields.level];
  if (direct !== undefined && direct !== '') return direct;
  const detected = fields.levelFallback ? labels[fields.levelFallback] : undefined;
  return detected === NO_LEVEL ? undefined : detected;
}

/** A record's identity for page boundaries: its labels, time and line (Loki keeps one of identical entries of a stream). */
function digest(e: LokiEntry): string {
  return createHash('sha256').update(JSON.stringify([streamText(e.labels), e.ns, e.line])).digest('base64url').slice(0, 16);
}

/** The labels of a record's stream as a selector, sorted: where the record is kept. */
function streamText(labels: Record<string, string>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${q(labels[k])}`)
    .join(', ')}}`;
}

function sum(counts: number[]): number {
  return counts.reduce((a, b) => a + b, 0);
}

/** Runs `run` over the items, PARALLEL at a time, answers in the items' order. */
async function inBatches<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += PARALLEL) out.push(...(await Promise.all(items.slice(i, i + PARALLEL).map(run))));
  return out;
}


function readState(raw: Record<string, unknown>): PageState {
  const st = raw as unknown as PageState;
  const ok =
    Array.isArray(st.w) && st.w.length === 3 && st.w.every((x) => Number.isFinite(x)) &&
    Number.isInteger(st.n) && Number.isInteger(st.o) && st.o >= 0 &&
    typeof st.b === 'object' && st.b !== null && typeof st.b.t === 'string' && /^\d{1,20}$/.test(st.b.t) &&
    Array.isArray(st.b.h) && st.b.h.every((h) => typeof h === 'string' && /^[A-Za-z0-9_-]{16}$/.test(h));
  if (!ok) throw new TelemcpError('invalid_input', 'cursor is not a cursor this server issued.', { hint: 'Omit cursor to start over.' });
  return st;
}

/** An entry as a LogRecord, its roles read from the labels `fields` names. */
export function lokiRecord(e: LokiEntry, fields: LokiFieldNames): LogRecord {
  return logRecord(entryMs(e.ns), e.line, { service: serviceOf(e.labels, fields), level: levelOf(e.labels, fields), traceId: e.labels[fields.traceId], host: e.labels[fields.host] });
}
