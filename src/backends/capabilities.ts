import type { LogLabel } from '../core/log-labels.js';
import { capability } from './module.js';

/**
 * The interfaces analysis tools call, whatever backend answers them (DESIGN.md principle 3).
 * A log tool (logs_patterns, logs_bursts, logs_correlate, incident_summary, …) never builds a
 * backend query: it asks a LogSource for a bounded sample of normalised records, for
 * server-side counts (per label, per bucket, per distinct message), or for pages of the matching records (logs_search), so the same tool runs over Elasticsearch/OpenSearch today and over the
 * embedded store, Loki or VictoriaLogs later.
 */

export type LogSourceKind = 'elasticsearch' | 'opensearch' | 'embedded' | 'loki' | 'victorialogs';

export type { LogLabel };

/** One log line, normalised so analysis code never sees backend field names. */
export interface LogRecord {
  /** Epoch milliseconds. */
  ts: number;
  service?: string;
  /** Lowercase, one spelling per level (`warning`/`WARN` → `warn`, `err` → `error`): see core/log-levels.ts. */
  level?: string;
  /** Control characters removed and capped in length; empty when the record has none. */
  message: string;
  traceId?: string;
  host?: string;
}

/**
 * Which records. Both ends of the window are inclusive, as every tool's window is
 * (core/time.ts rounds an end such as `now/d` up to the unit's last millisecond).
 */
export interface LogQuery {
  from: Date;
  to: Date;
  /** Any of these services (exact values). */
  services?: string[];
  /** Any of these levels, in any case and common spelling: `warn` also finds `WARNING`. */
  levels?: string[];
  /** Any of these trace ids (exact values). */
  traceIds?: string[];
  /** Message words, all required: `"phrase"`, `-not`, `a|b`, `prefix*` (3+ characters before the `*`). */
  text?: string;
  /**
   * Where to look: an index pattern for Elasticsearch/OpenSearch (checked against
   * ALLOWED_INDEX_PATTERNS like every tool's index_pattern), a dataset pattern elsewhere.
   * Default: the source's defaultScope.
   */
  scope?: string;
}

/** A role a field of the records plays: what LogRecord normalises it to. */
export type LogFieldRole = 'timestamp' | 'service' | 'level' | 'message' | 'trace_id' | 'host';

/** The field playing a role in a scope, by the names a caller may know it by. */
export interface LogRoleField {
  /** The field as the backend stores it (`service.name`, `service_name`, a column). */
  name: string;
  /** Its exact-value form, when filters and counts use another field (`message.keyword`). */
  exact?: string;
  /** Other names the caller may use for it (the names the embedded store ingests it from). */
  aliases?: readonly string[];
}

/**
 * Which field plays which role in the scope read, whatever the backend: detected from the
 * mapping on Elasticsearch/OpenSearch (ECS, flat names, LOG_FIELDS), fixed columns on the
 * embedded store, labels elsewhere. A role no field plays is absent.
 */
export type LogFieldRoles = Partial<Record<LogFieldRole, LogRoleField>>;

/** What every answer says besides its data, for the tool to pass on. */
export interface LogAnswerMeta {
  /** The scope actually searched, in canonical form. */
  scope: string;
  /** Some shards or partitions failed or timed out: counts are lower bounds. */
  partial: boolean;
  /** Things worth telling the caller (a LOG_FIELDS name that does not exist, an empty scope, …). */
  notes: string[];
  /** Which field played which role, for a tool that reports it (elk's fields_used) or maps field names to roles. */
  fields?: LogFieldRoles;
}

/**
 * `newest`: the most recent records of the window. `spread`: records spread evenly over the
 * window, so a burst cannot crowd out the quiet minutes (what pattern mining needs): the window
 * is cut into equal slices and each slice contributes at most an equal share, a share a sparse
 * slice leaves unused going to the others.
 */
export type SampleStrategy = 'newest' | 'spread';

export interface SampleOptions {
  /** At most this many records; above the source's capabilities.maxSample is refused. */
  limit: number;
  strategy: SampleStrategy;
}

export interface LogSample extends LogAnswerMeta {
  /** Newest first. */
  records: LogRecord[];
  /** Records matching the query in the window. */
  total: number;
  /** False when counting stopped at a bound: `total` is then a lower bound. */
  totalExact: boolean;
  strategy: SampleStrategy;
}

export interface HistogramOptions {
  /** Bucket width; the window may hold at most capabilities.maxHistogramBuckets buckets. */
  bucketMs: number;
  /** Also count per value of this label. */
  by?: LogLabel;
  /** Values of `by` to count, the most frequent in the window (default 10, at most 20). */
  top?: number;
  /**
   * Buckets on the epoch's grid of bucketMs (whole minutes, hours) instead of from the
   * window's start, so bucket times read as round times: the first bucket then starts at or
   * before `from`, and still counts only records of the window.
   */
  align?: boolean;
}

export interface LogSeries {
  value: string;
  total: number;
  /** Per bucket, aligned with LogHistogram.counts. */
  counts: number[];
}

/**
 * Counts per equal bucket, empty buckets included. Bucket i covers
 * [start + i·bucketMs, start + (i+1)·bucketMs); the last one also holds records at exactly
 * `to`, so the buckets add up to the window's total.
 */
export interface LogHistogram extends LogAnswerMeta {
  /** The first bucket's start, epoch ms: the window's `from`, or with `align` the grid point at or before it. */
  start: number;
  bucketMs: number;
  counts: number[];
  /** Exact: every matching record is counted. */
  total: number;
  /** With `by`: one series per top value, most frequent first. */
  series?: LogSeries[];
  /** With `by`: records beyond the top values or without the label. */
  otherTotal?: number;
}

export interface CountByOptions {
  by: LogLabel;
  /** Values to list, the most frequent first (default 10, at most 100). */
  limit?: number;
}

export interface LogCounts extends LogAnswerMeta {
  by: LogLabel;
  values: { value: string; count: number }[];
  /** Records beyond the listed values or without the label. */
  other: number;
  /** Exact. */
  total: number;
}

export interface LogSourceCapabilities {
  /** Counts any retained past window (the same hour a day earlier), not only recent data. */
  pastWindows: boolean;
  /**
   * Present when the source implements messageCounts: exact counts per distinct message,
   * counted server-side, so a tool never has to scale counts up from a sample. `maxGroups` is
   * the most distinct groups one call may ask for.
   */
  messageCounts?: { maxGroups: number };
  /** Records can carry trace ids, and `traceIds` filters. */
  traceIds: boolean;
  /** `text` is matched server-side. */
  textSearch: boolean;
  /** Labels histogram(by) and countBy accept. */
  labels: readonly LogLabel[];
  maxSample: number;
  maxHistogramBuckets: number;
}

export interface MessageCountOptions {
  /**
   * Distinct groups to return at most, 1 to capabilities.messageCounts.maxGroups. Memory and
   * time are bounded by it whatever the window holds; past it the answer is not exhaustive.
   */
  maxGroups: number;
  /**
   * Also return the newest of the `uncountable` records, at most this many (1 to
   * capabilities.maxSample), so a tool can read their patterns from a sample in the same call.
   */
  uncountableSample?: number;
}

/** The records of one distinct (message, service, level), as stored. */
export interface MessageCount {
  /** Control characters removed and capped in length, as LogRecord.message. */
  message: string;
  service?: string;
  /** Canonical spelling (core/log-levels.ts), as LogRecord.level. */
  level?: string;
  /** Exact. */
  count: number;
  /** Epoch ms of the group's first and last record. */
  firstMs: number;
  lastMs: number;
}

/**
 * The window's distinct messages with exact counts. `total` = `counted` + `uncountable` + the
 * records of groups left out when `exhaustive` is false, so `total - counted` bounds what a
 * count read from `groups` may miss.
 */
export interface MessageCounts extends LogAnswerMeta {
  /** Most frequent first (ties: message, service, level). */
  groups: MessageCount[];
  /** Records matching the query: exact. */
  total: number;
  /** Records in `groups`. */
  counted: number;
  /**
   * False when the cap on groups (maxGroups, or the source's bound on message text held) stopped
   * the counting: some distinct messages are missing from `groups`. Which ones is the source's
   * choice (the least frequent on the embedded store, the last in key order on Elasticsearch).
   */
  exhaustive: boolean;
  /**
   * Records whose message the backend cannot count exactly: a message field without an
   * exact-value (keyword) form, or messages longer than it holds (ignore_above). A tool
   * estimates these from a sample, and says so.
   */
  uncountable: number;
  /** With MessageCountOptions.uncountableSample: the newest uncountable records, newest first. */
  uncountableRecords?: LogRecord[];
}

/** Per group of messages asked for (aligned with it), a record holding one of them; see LogSource.examples. */
export interface LogExamples extends LogAnswerMeta {
  records: (LogRecord | undefined)[];
}

/** A record a search returns: the normalised fields, and where the record is kept. */
export interface FoundLogRecord extends LogRecord {
  /** The index (Elasticsearch/OpenSearch) or dataset (embedded store) holding the record. */
  index: string;
  /** The values of LogSearchOptions.fields the record holds, by name, bounded in size. */
  fields?: Record<string, unknown>;
}

export interface LogSearchOptions {
  /** Records per page, 1 to MAX_SEARCH_PAGE (log-query.ts). */
  limit: number;
  /** By time, newest first by default. Records sharing a millisecond come in the backend's own order. */
  order?: 'desc' | 'asc';
  /** `next` of the previous page, to continue that search: same query, order and boundTo; only limit may change. */
  cursor?: string;
  /**
   * The caller's own arguments the cursor is also bound to, such as the window as the caller
   * wrote it (`now-15m`). A continued search keeps its first page's window whatever window the
   * query states, so the pages of a relative window do not slide; this is how a cursor is still
   * refused for another window.
   */
  boundTo?: unknown;
  /**
   * Other fields to return with each record, by the names the backend stores them under
   * (at most 20). A name the source cannot return is left out, and named in the page's notes
   * when the source keeps no such field at all.
   */
  fields?: readonly string[];
}

/** One page of a search, with what the tool needs to say where it is in the whole. */
export interface LogSearchPage extends LogAnswerMeta {
  /** In the order asked for. */
  records: FoundLogRecord[];
  /** Records matching the search, counted on its first page. */
  total: number;
  /** False when counting stopped at a bound: `total` is then a lower bound. */
  totalExact: boolean;
  /** Records on the pages before this one. */
  offset: number;
  /** The window searched: the first page's, on every page of a search. */
  window: { from: Date; to: Date };
  /**
   * Opaque, for LogSearchOptions.cursor; absent on the last page. Signed by the source (cursor.ts)
   * and bound to the source, the query and boundTo, because it carries state (a window, a point
   * in time, a position) a caller must not choose.
   */
  next?: string;
}

/**
 * A configured log backend. Every method is read-only, bounded, and honours the abort signal.
 * Failures are TelemcpErrors with a fix hint: `invalid_input` for a query the source cannot
 * answer (a label or filter whose field the scope lacks, a limit above the maximum),
 * `index_pattern_denied` for a scope outside the allowlist, backend_* for the backend itself.
 */
export interface LogSource {
  /** The configured name tools select it by with their `source` argument, e.g. "elasticsearch". */
  readonly name: string;
  readonly kind: LogSourceKind;
  readonly capabilities: LogSourceCapabilities;
  /** The scope used when a query names none (LOG_INDEX_PATTERN for Elasticsearch). */
  readonly defaultScope: string;
  sample(query: LogQuery, opts: SampleOptions, signal: AbortSignal): Promise<LogSample>;
  histogram(query: LogQuery, opts: HistogramOptions, signal: AbortSignal): Promise<LogHistogram>;
  countBy(query: LogQuery, opts: CountByOptions, signal: AbortSignal): Promise<LogCounts>;
  /** The matching records themselves, page by page, every one exactly once. */
  search(query: LogQuery, opts: LogSearchOptions, signal: AbortSignal): Promise<LogSearchPage>;
  /** Exact counts per distinct (message, service, level); implemented when capabilities.messageCounts is set. */
  messageCounts?(query: LogQuery, opts: MessageCountOptions, signal: AbortSignal): Promise<MessageCounts>;
  /**
   * For each group of exact messages (at most 50 groups of 200), the newest matching record
   * holding one of them and a trace id (any, when the scope has no trace id field); undefined
   * for a group without one. Lets a tool show a traced example of each pattern it counted with
   * messageCounts in one request, where a spread sample may hold none of a pattern's messages.
   */
  examples?(query: LogQuery, messages: readonly (readonly string[])[], signal: AbortSignal): Promise<LogExamples>;
}

/** Provided by every backend whose logs the log tools read (Elasticsearch, OpenSearch, the embedded store, …). */
export const LOG_SOURCE = capability<LogSource>('log-source');
