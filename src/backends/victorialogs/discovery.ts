import { TelemcpError } from '../../core/errors.js';
import { sanitizeText } from '../../security/sanitize.js';
import { RECORD_VALUE_CHARS } from '../log-query.js';
import { capability, type Guard } from '../module.js';
import type { VictoriaLogsApi, VlParams, VlValueHits } from './client.js';
import { FIELD_NAME, compileJsonFilter, type JsonFilter } from './json-filter.js';
import { DEFAULT_LOGSQL_LIMITS, MAX_LOGSQL_CHARS, matchesEverything, tokenizeFilter } from './logsql-guard.js';
import { q, timeMs, windowParams } from './logsql.js';

/**
 * The guard of vlogs_discover: what the records of a window hold (field names, the values of one
 * field, streams, records over time), read through VictoriaLogs' own discovery endpoints
 * (`field_names`, `stream_field_names`, `field_values`, `streams`, `hits`).
 *
 * The caller's filter passes the same syntax rules as vlogs_query's (no pipe, comment, options(…),
 * subquery; the JSON form compiled with every value quoted), but may match everything: "which
 * fields exist" over a bounded window is the question discovery answers, and these endpoints
 * return one list, never the records. The window is injected when missing (the last hour) and
 * capped as vlogs_query's; outputs are the top `limit` by records, with exact totals.
 */

export const DISCOVER_WHAT = ['fields', 'field_values', 'streams', 'hits'] as const;
export type DiscoverWhat = (typeof DISCOVER_WHAT)[number];

export interface DiscoveryRequest {
  what: DiscoverWhat;
  /** A LogsQL filter written by the caller (no pipes); neither form: every record of the window. */
  query?: string;
  /** Seed 002's JSON filter form, compiled here. */
  filter?: JsonFilter;
  /** Unix ms, both inclusive; missing: the last hour up to now. */
  start?: number;
  end?: number;
  /** field_values: the field; hits: the field to group by (optional). */
  field?: string;
  /** Items returned (hits: groups); missing: the default of `what`. */
  limit?: number;
  /** hits: the bucket width; missing: about DEFAULT_BUCKETS buckets over the window. */
  stepMs?: number;
}

/** A value with the records holding it; `stream` marks a field that makes streams (fields only). */
export interface DiscoveredValue {
  value: string;
  hits: number;
  stream?: boolean;
}

export interface DiscoveredValues {
  kind: 'values';
  /** The top `limit` by records, most first. */
  values: DiscoveredValue[];
  /** Distinct values (or fields, streams) in the window: exact when `distinctExact`, otherwise a lower bound. */
  distinct: number;
  distinctExact: boolean;
}

export interface HitsGroup {
  /** The group's field values; absent for the records outside the top groups (or all records without a field). */
  fields?: Record<string, string>;
  total: number;
  /** Records per bucket, the first at `firstBucket`. */
  counts: number[];
}

export interface DiscoveredHits {
  kind: 'hits';
  stepMs: number;
  /** Unix ms of the first bucket's start (the server's grid: a whole multiple of the step). */
  firstBucket: number;
  /** Records matching in the window, exact. */
  total: number;
  groups: HitsGroup[];
  /** Groups besides those listed (hits with a field): their records are in the group without fields. */
  othersGrouped: boolean;
}

export interface ApprovedDiscovery {
  what: DiscoverWhat;
  /** The filter as sent: `*` or the caller's in parentheses. */
  filter: string;
  start: number;
  end: number;
  limit: number;
  field?: string;
  stepMs?: number;
  /** What the server added because the call left it out: `window`, `limit`, `step`. */
  injected: string[];
  read(signal: AbortSignal): Promise<DiscoveredValues | DiscoveredHits>;
}

export const DISCOVERY_LIMITS = Object.freeze({
  /** Values, fields and streams listed at most / by default. */
  maxValues: 500,
  defaultValues: 50,
  /** hits: groups of field values at most / by default. */
  maxGroups: 20,
  defaultGroups: 5,
  /** hits: buckets at most, and the number a missing step aims at. */
  maxBuckets: 240,
  defaultBuckets: 60,
  /**
   * Distinct values asked of field_values/streams: below it the server counts each exactly; at it
   * the server's answer is an arbitrary subset without counts, and the top values are counted by a
   * stats query instead.
   */
  scanValues: 1000,
});

/** Steps a missing one is rounded up to, so buckets fall on readable times. */
const NICE_STEPS_MS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400].map((s) => s * 1000);
const COUNT = 'telemcp_n';

function invalid(message: string, hint: string): TelemcpError {
  return new TelemcpError('invalid_input', message, { hint });
}

/** The caller's filter as sent: syntax checked as vlogs_query's; `*` when there is none or it matches everything. */
export function discoveryFilter(req: Pick<DiscoveryRequest, 'query' | 'filter'>): string {
  if (req.query !== undefined && req.filter !== undefined) {
    throw invalid('Give query (a LogsQL filter) or filter (the JSON form), not both.', 'Pass filter: {"service.name": "api"}, or query: "\\"service.name\\":=\\"api\\"", or neither for every record of the window.');
  }
  const text = req.query !== undefined ? req.query.trim() : req.filter !== undefined ? compileJsonFilter(req.filter) : '';
  if (text.length > MAX_LOGSQL_CHARS) throw invalid(`The LogsQL filter is longer than ${MAX_LOGSQL_CHARS} characters.`, 'Shorten it.');
  const tokens = tokenizeFilter(text);
  // matchesEverything also checks the parentheses balance; a filter of everything is the window's records, as no filter.
  return tokens.length === 0 || matchesEverything(tokens) ? '*' : `(${text})`;
}

function niceStep(windowMs: number): number {
  const raw = windowMs / DISCOVERY_LIMITS.defaultBuckets;
  return NICE_STEPS_MS.find((s) => s >= raw) ?? Math.ceil(raw / 86_400_000) * 86_400_000;
}

function checkField(field: string | undefined, what: DiscoverWhat): string | undefined {
  if (field === undefined) return undefined;
  if (!FIELD_NAME.test(field)) throw invalid(`${JSON.stringify(field.slice(0, 60))} is not a field name.`, 'List the field names with what: "fields".');
  if (what !== 'field_values' && what !== 'hits') throw invalid(`field is for field_values and hits, not ${what}.`, 'Drop field, or ask what: "field_values".');
  return field;
}

/** The request normalised: filter checked, window, limit and step injected when missing and capped. Pure. */
export function normalizeDiscovery(req: DiscoveryRequest, now = Date.now()): Omit<ApprovedDiscovery, 'read'> {
  const filter = discoveryFilter(req);
  const field = checkField(req.field, req.what);
  if (req.what === 'field_values' && field === undefined) throw invalid('field_values needs field, the field whose values to list.', 'List the field names with what: "fields", then pass field: "service.name".');
  const injected: string[] = [];
  const end = req.end ?? now;
  let start = req.start;
  if (start === undefined) {
    start = end - DEFAULT_LOGSQL_LIMITS.defaultWindowMs;
    injected.push('window');
  }
  if (!(end > start)) throw invalid('end must be after start.', 'Swap them, or use start now-1h with end now.');
  const maxDays = DEFAULT_LOGSQL_LIMITS.maxRangeMs / 86_400_000;
  if (end - start > DEFAULT_LOGSQL_LIMITS.maxRangeMs) throw invalid(`The window spans more than ${maxDays}d.`, `Ask for at most ${maxDays}d (start now-7d, for instance).`);
  const [max, dflt] = req.what === 'hits' ? [DISCOVERY_LIMITS.maxGroups, DISCOVERY_LIMITS.defaultGroups] : [DISCOVERY_LIMITS.maxValues, DISCOVERY_LIMITS.defaultValues];
  let limit = req.limit;
  if (limit === undefined) {
    limit = dflt;
    injected.push('limit');
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw invalid(`limit must be 1-${max} for ${req.what}.`, `Ask for at most ${max}; the totals count everything anyway.`);
  const out: Omit<ApprovedDiscovery, 'read'> = { what: req.what, filter, start, end, limit, injected, ...(field !== undefined ? { field } : {}) };
  if (req.what !== 'hits') {
    if (req.stepMs !== undefined) throw invalid('step is for hits only.', 'Drop step, or ask what: "hits".');
    return out;
  }
  let stepMs = req.stepMs;
  if (stepMs === undefined) {
    stepMs = niceStep(end - start);
    injected.push('step');
  }
  if (!Number.isInteger(stepMs) || stepMs < 1000) throw invalid('step must be a whole number of seconds, at least 1s.', 'Pass step: "1m", "5m" or "1h".');
  if ((end - start) / stepMs > DISCOVERY_LIMITS.maxBuckets) {
    throw invalid(`step ${stepMs / 1000}s makes more than ${DISCOVERY_LIMITS.maxBuckets} buckets over the window.`, `Use a step of at least ${Math.ceil((end - start) / DISCOVERY_LIMITS.maxBuckets / 1000)}s, or leave it out.`);
  }
  // /select/logsql/hits counts whole buckets of its grid, records outside start/end included; so the
  // window becomes those whole buckets, and the answer says which window its exact totals cover.
  const alignedStart = Math.floor(start / stepMs) * stepMs;
  const alignedEnd = Math.floor(end / stepMs) * stepMs + stepMs - 1;
  if (alignedStart !== start || alignedEnd !== end) injected.push('window aligned to whole steps');
  return { ...out, start: alignedStart, end: alignedEnd, stepMs };
}

const clean = (v: string): string => sanitizeText(v, RECORD_VALUE_CHARS).text;

/** Most records first, then by value, so equal counts come in the same order on every call. */
function topByHits(values: readonly VlValueHits[], limit: number): VlValueHits[] {
  return [...values].sort((a, b) => b.hits - a.hits || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)).slice(0, limit);
}

/**
 * The values of `field` (`_stream` for streams): the discovery endpoint when the server counts
 * them all, a `stats by` query for the top ones when there are more distinct values than it counts.
 */
async function valuesOf(api: VictoriaLogsApi, a: Omit<ApprovedDiscovery, 'read'>, field: string, params: VlParams, signal: AbortSignal): Promise<DiscoveredValues> {
  const scan = DISCOVERY_LIMITS.scanValues;
  const listed = field === '_stream' ? await api.streams(a.filter, scan, params, signal) : await api.fieldValues(a.filter, field, scan, params, signal);
  if (listed.length < scan) {
    return { kind: 'values', values: topByHits(listed, a.limit).map((v) => ({ value: clean(v.value), hits: v.hits })), distinct: listed.length, distinctExact: true };
  }
  const rows = await api.query(`${a.filter} | stats by (${q(field)}) count() ${COUNT} | sort by (${COUNT} desc) | limit ${a.limit}`, a.limit, params, signal);
  return { kind: 'values', values: rows.map((r) => ({ value: clean(r[field] ?? ''), hits: Number(r[COUNT] ?? 0) })), distinct: scan, distinctExact: false };
}

async function hitsOf(api: VictoriaLogsApi, a: Omit<ApprovedDiscovery, 'read'> & { stepMs: number }, params: VlParams, signal: AbortSignal): Promise<DiscoveredHits> {
  const series = await api.hits(a.filter, { step: `${a.stepMs / 1000}s`, ...(a.field ? { fields: [a.field], fieldsLimit: a.limit } : {}) }, params, signal);
  const firstBucket = Math.floor(a.start / a.stepMs) * a.stepMs;
  const buckets = Math.floor(a.end / a.stepMs) - Math.floor(a.start / a.stepMs) + 1;
  const groups: HitsGroup[] = series.map((s) => {
    const counts = new Array<number>(buckets).fill(0);
    s.timestamps.forEach((t, i) => {
      const at = Math.floor((timeMs(t) - firstBucket) / a.stepMs);
      counts[Math.min(buckets - 1, Math.max(0, at))] += Number(s.values[i] ?? 0);
    });
    const fields = Object.entries(s.fields);
    return { ...(fields.length ? { fields: Object.fromEntries(fields.map(([k, v]) => [clean(k), clean(v)])) } : {}), total: s.total, counts };
  });
  // The named groups first, most records first; the rest (no fields) last.
  groups.sort((x, y) => Number(x.fields === undefined) - Number(y.fields === undefined) || y.total - x.total);
  const total = groups.reduce((sum, g) => sum + g.total, 0);
  return { kind: 'hits', stepMs: a.stepMs, firstBucket, total, groups, othersGrouped: a.field !== undefined && groups.some((g) => g.fields === undefined) };
}

/** The guard an instance provides: checks and normalises the request, and binds the approved read to this instance's API and timeout. */
export function discoveryGuard(api: VictoriaLogsApi, opts: { timeoutMs: number }): Guard<DiscoveryRequest, ApprovedDiscovery> {
  const timeout = `${Math.max(1, Math.ceil(opts.timeoutMs / 1000))}s`;
  return (req) => {
    const n = normalizeDiscovery(req);
    const params: VlParams = { ...windowParams(n.start, n.end), timeout };
    return {
      ...n,
      read: async (signal) => {
        switch (n.what) {
          case 'fields': {
            const [names, streamNames] = await Promise.all([api.fieldNames(n.filter, params, signal), api.streamFieldNames(n.filter, params, signal)]);
            const stream = new Set(streamNames.map((s) => s.value));
            const values = topByHits(names, n.limit).map((v) => ({ value: clean(v.value), hits: v.hits, ...(stream.has(v.value) ? { stream: true } : {}) }));
            return { kind: 'values', values, distinct: names.length, distinctExact: true };
          }
          case 'field_values':
            return valuesOf(api, n, n.field!, params, signal);
          case 'streams':
            return valuesOf(api, n, '_stream', params, signal);
          case 'hits':
            return hitsOf(api, { ...n, stepMs: n.stepMs! }, params, signal);
        }
      },
    };
  };
}

/** What an instance provides: the discovery guard of vlogs_discover. */
export const LOGSQL_DISCOVERY = capability<Guard<DiscoveryRequest, ApprovedDiscovery>>('guard:logsql-discovery');
