import { TelemcpError } from '../core/errors.js';
import { canonicalLevel } from '../core/log-levels.js';
import { sanitizeText } from '../security/sanitize.js';
import type { HistogramOptions, LogLabel, LogQuery, LogRecord, LogSearchOptions, LogSourceCapabilities } from './capabilities.js';
import { fingerprint } from './cursor.js';

/**
 * Checks and arithmetic every LogSource shares, so a query is refused (or sliced) the same
 * way whichever backend answers it.
 */

const MAX_FILTER_VALUES = 1000;
const MAX_VALUE_CHARS = 512;

/** Limits every source shares, so a tool gets the same answer size whichever backend serves it. */
export const LOG_SOURCE_LIMITS = { maxSample: 5000, maxHistogramBuckets: 1000 } as const;
/** Values a histogram breakdown (`top`) and a countBy (`limit`) list by default, and at most. */
export const DEFAULT_TOP = 10;
export const MAX_SERIES = 20;
export const MAX_COUNT_VALUES = 100;
/** Records one search page may hold, on every source (the embedded store's own page maximum). */
export const MAX_SEARCH_PAGE = 1000;
/** A record's message and label values as a source returns them, at most. */
export const RECORD_MESSAGE_CHARS = 4000;
export const RECORD_VALUE_CHARS = 256;

function invalid(message: string, hint: string): TelemcpError {
  return new TelemcpError('invalid_input', message, { hint });
}

/** A window of real instants, start first, and bounded filter lists. */
export function checkLogQuery(query: LogQuery): void {
  const from = query.from?.getTime();
  const to = query.to?.getTime();
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw invalid('The log query has no valid time window.', 'Pass start and end times (date math, ISO 8601 or epoch ms).');
  if (from >= to) throw invalid(`The window start (${query.from.toISOString()}) must be before its end (${query.to.toISOString()}).`, 'Swap the two, or use a start such as now-1h with end now.');
  for (const [name, values] of [['services', query.services], ['levels', query.levels], ['traceIds', query.traceIds]] as const) {
    if (values === undefined) continue;
    if (values.length === 0) throw invalid(`${name} is an empty list.`, `Omit ${name} to match every value, or name at least one.`);
    if (values.length > MAX_FILTER_VALUES) throw invalid(`${name} lists ${values.length} values; at most ${MAX_FILTER_VALUES} are allowed.`, 'Filter on fewer values.');
    if (values.some((v) => typeof v !== 'string' || v.length === 0 || v.length > MAX_VALUE_CHARS)) {
      throw invalid(`${name} holds an empty value or one longer than ${MAX_VALUE_CHARS} characters.`, `Pass each of ${name} as a non-empty string.`);
    }
  }
}

export function checkSampleLimit(limit: number, caps: LogSourceCapabilities): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > caps.maxSample) {
    throw invalid(`limit ${limit} is outside 1-${caps.maxSample}.`, `Ask for at most ${caps.maxSample} records; counts come from histogram and countBy, not from samples.`);
  }
}

export function checkSearchLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_PAGE) {
    throw invalid(`limit ${limit} is outside 1-${MAX_SEARCH_PAGE}.`, `Ask for at most ${MAX_SEARCH_PAGE} records per page and follow next.`);
  }
}

/**
 * What a search cursor is bound to: everything that defines the result set except the window,
 * which the cursor itself carries (a relative window resolves differently on every page) and
 * which `boundTo` pins as the caller wrote it. The limit is left out so pages may change size.
 */
export function searchFingerprint(query: LogQuery, defaultScope: string, opts: LogSearchOptions): string {
  const { services, levels, traceIds, text } = query;
  return fingerprint({ scope: query.scope ?? defaultScope, services, levels, traceIds, text, order: opts.order ?? 'desc', boundTo: opts.boundTo });
}

/** A `top` or `limit` count of values: a whole number from 1 to max. */
export function checkTop(value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 1 || value > max) throw invalid(`${name} ${value} is outside 1-${max}.`, `Ask for at most ${max} values.`);
  return value;
}

export function checkLabel(label: LogLabel, caps: LogSourceCapabilities): void {
  if (!caps.labels.includes(label)) throw invalid(`This log source cannot count by ${label}.`, `Count by one of: ${caps.labels.join(', ')}.`);
}

/** Where a histogram's first bucket starts (HistogramOptions.align): the window's start, or the grid point at or before it. */
export function bucketStart(query: LogQuery, opts: HistogramOptions): number {
  const from = query.from.getTime();
  return opts.align ? Math.floor(from / opts.bucketMs) * opts.bucketMs : from;
}

/** How many buckets of bucketMs cover the window: the window's own length, never more than the maximum. */
export function histogramBuckets(query: LogQuery, bucketMs: number, caps: LogSourceCapabilities): number {
  if (!Number.isInteger(bucketMs) || bucketMs < 1) throw invalid(`bucketMs ${bucketMs} is not a whole number of milliseconds ≥ 1.`, 'Use a bucket width such as 60000 (one minute).');
  const span = query.to.getTime() - query.from.getTime();
  const buckets = Math.max(1, Math.ceil(span / bucketMs));
  if (buckets > caps.maxHistogramBuckets) {
    throw invalid(`A ${bucketMs} ms bucket cuts this window into ${buckets} buckets; at most ${caps.maxHistogramBuckets} are allowed.`, `Use buckets of at least ${Math.ceil(span / caps.maxHistogramBuckets)} ms, or a shorter window.`);
  }
  return buckets;
}

/** The most slices a spread sample cuts the window into. */
const MAX_SPREAD_SLICES = 500;

/**
 * The slices of a spread sample: about one per record asked for, at most 500, of equal width
 * from the window's start and covering [from, to] inclusive, so no record falls past the last.
 * Slice i is [from + i·sliceMs, from + (i+1)·sliceMs).
 */
export function spreadSlices(query: LogQuery, limit: number): { slices: number; sliceMs: number } {
  const slices = Math.min(MAX_SPREAD_SLICES, limit);
  return { slices, sliceMs: Math.max(1, Math.ceil((query.to.getTime() - query.from.getTime() + 1) / slices)) };
}

/**
 * Per-slice shares of a `limit`-record sample spread over slices holding `counts` records:
 * every slice gets the same share q, a slice with fewer records gives its unused share to the
 * others (the largest q with Σ min(count, q) ≤ limit), and what rounding leaves goes one record
 * each to full slices spaced evenly over the window. The shares add up to min(limit, Σ counts).
 */
export function spreadQuotas(counts: number[], limit: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= limit) return [...counts];
  const taken = (q: number) => counts.reduce((sum, c) => sum + Math.min(c, q), 0);
  let lo = 0;
  let hi = Math.max(...counts);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (taken(mid) <= limit) lo = mid;
    else hi = mid - 1;
  }
  const quotas = counts.map((c) => Math.min(c, lo));
  // Fewer than the slices still holding more records, or lo + 1 would have fitted.
  const left = limit - taken(lo);
  const fuller = counts.flatMap((c, i) => (c > lo ? [i] : []));
  for (let j = 0; j < left; j++) quotas[fuller[Math.floor(((2 * j + 1) * fuller.length) / (2 * left))]] += 1;
  return quotas;
}

/**
 * Message words, as every log source takes them (core/message-query.ts). Elasticsearch's
 * simple_query_string never fails on syntax, but a leading wildcard scans
 * the whole term dictionary and a one-letter prefix can expand to most of it, so both are refused.
 */
export function checkMessageQuery(query: string): string {
  const terms = query.split(/\s+/).filter(Boolean);
  if (terms.length > 32) throw new TelemcpError('invalid_input', `query has ${terms.length} terms; at most 32 are allowed.`, { hint: 'Use fewer, more specific words.' });
  for (const raw of terms) {
    const term = raw.replace(/^[+\-|("]+|[)"]+$/g, '');
    if (!term.includes('*')) continue;
    if (!/^[^*?]{3,}\*$/.test(term)) {
      throw new TelemcpError('invalid_input', `query term ${JSON.stringify(raw.slice(0, 40))}: wildcards are only allowed at the end of a word of 3+ characters (timeo*).`, {
        hint: 'Drop leading or inner wildcards; words match anywhere in the message already.',
      });
    }
  }
  return query;
}

const MAX_RECORD_FIELDS = 20;

export function checkRecordFields(fields: readonly string[] | undefined): void {
  if (fields && fields.length > MAX_RECORD_FIELDS) {
    throw new TelemcpError('invalid_input', `${fields.length} fields asked for; at most ${MAX_RECORD_FIELDS} are allowed.`, { hint: 'Ask for fewer fields.' });
  }
}

/** A record's role values as the backend stores them; missing or empty ones are left out of the record. */
export interface RoleValues {
  service?: string;
  level?: string;
  traceId?: string;
  host?: string;
}

/** A LogRecord from what a backend returned: message and values cleaned and cut, the level in its canonical spelling. */
export function logRecord(ts: number, message: string, roles: RoleValues): LogRecord {
  const text = (v: string | undefined) => (v === undefined || v === '' ? undefined : sanitizeText(v, RECORD_VALUE_CHARS).text);
  const record: LogRecord = { ts, message: sanitizeText(message, RECORD_MESSAGE_CHARS).text };
  const service = text(roles.service);
  const level = text(roles.level);
  const traceId = text(roles.traceId);
  const host = text(roles.host);
  if (service !== undefined) record.service = service;
  if (level !== undefined) record.level = canonicalLevel(level);
  if (traceId !== undefined) record.traceId = traceId;
  if (host !== undefined) record.host = host;
  return record;
}

/** Characters of a search record's extra field value. */
const FIELD_TEXT_CHARS = 500;

/** The values of LogSearchOptions.fields a record holds, each cut; undefined when it holds none. */
export function askedFields(values: Readonly<Record<string, string>>, names: readonly string[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const name of names) if (values[name] !== undefined && values[name] !== '') out[name] = sanitizeText(values[name], FIELD_TEXT_CHARS).text;
  return Object.keys(out).length ? out : undefined;
}

/** A record's fields besides its roles, at most `max`, names and values cut: what a native query's sample line shows beside its message. */
export function otherFields(values: Readonly<Record<string, string>>, roles: ReadonlySet<string | undefined>, max: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (roles.has(k) || v === '' || Object.keys(out).length >= max) continue;
    out[sanitizeText(k, 64).text] = sanitizeText(v, RECORD_VALUE_CHARS).text;
  }
  return out;
}
