import { TelemcpError } from '../../core/errors.js';
import { sanitizeText } from '../../security/sanitize.js';
import type { LogRecord } from '../capabilities.js';
import { otherFields } from '../log-query.js';
import { capability, type Guard } from '../module.js';
import { MAX_ENTRIES, type LokiApi, type LokiEntry, type LokiMatrixSeries } from './client.js';
import { countBuckets, countWindow } from './counts.js';
import { lokiRecord } from './log-source.js';
import { DEFAULT_LOKI_FIELDS, windowParams, type LokiFieldNames } from './logql.js';
import { matchesEmptyValue, matchesEveryValue } from '../label-regex.js';

/**
 * The guard of loki_query: a caller's LogQL checked and bounded before anything reaches Loki.
 *
 * - Every stream selector must narrow: at least one matcher `name="value"` (non-empty) or
 *   `name=~"re"` whose regex does not match every value (`.*`, `.+`, an alternation with such a
 *   branch); `{job!="x"}` or `{app=~".+"}` select (nearly) every stream and are refused.
 * - The window is injected when missing (the last hour) and capped at Loki's own
 *   max_query_length (721 h); so are the line limit (default 200, at most 1,000) of a log
 *   query and the step of a metric query (at most 11,000 points, Loki's own bound); a range
 *   `[d]` or `offset d` longer than the window's cap is refused.
 * - `#` outside a string starts a LogQL comment, which would hide the rest of the query from
 *   this guard's reading: refused.
 * - The approved form carries the only reads the handler may make, on the approving instance.
 *
 * Pure until one of the approved reads runs; no clock but `now` (injectable).
 */

export interface LogqlRequest {
  query: string;
  /** Unix ms, both inclusive; missing: the last hour up to now. */
  start?: number;
  end?: number;
  /** Lines of a log query; missing: the default. */
  limit?: number;
  /** Step of a metric query, in ms; missing: the window over about 250 points (Loki's default). */
  stepMs?: number;
}

export interface LogqlLimits {
  maxRangeMs: number;
  maxLimit: number;
  defaultLimit: number;
  defaultWindowMs: number;
  maxPoints: number;
}

const HOUR_MS = 3_600_000;
export const DEFAULT_LOGQL_LIMITS: LogqlLimits = { maxRangeMs: 721 * HOUR_MS, maxLimit: 1000, defaultLimit: 200, defaultWindowMs: HOUR_MS, maxPoints: 11_000 };
export const MAX_LOGQL_CHARS = 4000;

/** A line read: the record as the log tools see it, and its other labels (bounded). */
export interface ReadLine {
  record: LogRecord;
  labels: Record<string, string>;
}

interface Approved {
  logql: string;
  start: number;
  end: number;
  /** What the server added because the call left it out: `window`, `window_end`, `limit`, `step`. */
  injected: string[];
}

export interface ApprovedLogQuery extends Approved {
  kind: 'log';
  limit: number;
  /** The newest `limit` lines of the window. */
  lines(signal: AbortSignal): Promise<ReadLine[]>;
  /** Exact: lines matching in the window (`sum(count_over_time(…))`). */
  count(signal: AbortSignal): Promise<number>;
  /** Exact lines per bucket of `bucketMs`, buckets starting at `startMs` (which may precede the window). */
  histogram(startMs: number, bucketMs: number, buckets: number, signal: AbortSignal): Promise<number[]>;
}

export interface ApprovedMetricQuery extends Approved {
  kind: 'metric';
  stepMs: number;
  /** The query over the window, one point per step. */
  matrix(signal: AbortSignal): Promise<LokiMatrixSeries[]>;
}

export type ApprovedLogql = ApprovedLogQuery | ApprovedMetricQuery;

function denied(message: string, hint: string): TelemcpError {
  return new TelemcpError('query_denied', message, { hint });
}

function invalid(message: string, hint: string): TelemcpError {
  return new TelemcpError('invalid_input', message, { hint });
}

const NARROW_HINT = 'Name a stream: {service_name="api"}, {namespace="shop", app=~"api|web"}. For an overview of everything, use logs_patterns or logs_bursts.';

/** What the scanner found outside strings: each stream selector's text, each `[range]` and `offset` duration. */
interface Scanned {
  selectors: string[];
  durations: string[];
  /** Whether the query is a log query (it starts with its selector) rather than a metric one. */
  log: boolean;
}

/**
 * Reads the query's top level: strings ("…" with escapes, `…` raw) are skipped, `{…}` outside
 * them are stream selectors (a `{` inside a string, such as a line_format template, is not),
 * `[…]` are ranges. Refuses comments, control characters and unbalanced brackets or quotes.
 */
export function scanLogql(text: string): Scanned {
  const selectors: string[] = [];
  const durations: string[] = [];
  let i = 0;
  const n = text.length;
  const skipString = (from: number): number => {
    const quote = text[from];
    let j = from + 1;
    while (j < n && text[j] !== quote) j += text[j] === '\\' && quote === '"' ? 2 : 1;
    if (j >= n) throw invalid('The LogQL query has an unterminated string.', 'Close every "…" or `…` string.');
    return j + 1;
  };
  while (i < n) {
    const c = text[i]!;
    if (c === '"' || c === '`') {
      i = skipString(i);
      continue;
    }
    if (c === '#') throw denied('A "#" outside a string starts a LogQL comment, which would hide the rest of the query: refused.', 'Drop the comment, or quote the value.');
    if (/\p{Cc}/u.test(c) && !/\s/.test(c)) throw invalid('The LogQL query holds a control character outside strings.', 'Remove it.');
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      let j = i + 1;
      while (j < n && text[j] !== close) {
        if (text[j] === '"' || text[j] === '`') j = skipString(j);
        else if (text[j] === '{' || text[j] === '[' || text[j] === '#') throw invalid('The LogQL query has unbalanced brackets.', 'Close every { and [ you open.');
        else j++;
      }
      if (j >= n) throw invalid('The LogQL query has unbalanced brackets.', 'Close every { and [ you open.');
      (c === '{' ? selectors : durations).push(text.slice(i + 1, j));
      i = j + 1;
      continue;
    }
    if (c === '}' || c === ']') throw invalid('The LogQL query has unbalanced brackets.', 'Close every { and [ you open.');
    const offset = /^offset\s+(-?[0-9a-z.]+)/i.exec(text.slice(i));
    if (offset && (i === 0 || /[\s)\]]/.test(text[i - 1]!))) {
      durations.push(offset[1]!);
      i += offset[0].length;
      continue;
    }
    i++;
  }
  return { selectors, durations, log: text.trimStart().startsWith('{') };
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)\s*$/s;

/** A string literal's value: Go's double-quoted escapes (JSON's, and a few more) or a raw backtick string. */
export function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  try {
    return JSON.parse(literal.replace(/\\([abfnrtv'"\\/]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3})|\\(.)/g, (m, known: string | undefined) => (known === undefined ? m : ['a', 'v', "'"].includes(known) || /^[xU0-7]/.test(known) ? ' ' : m))) as string;
  } catch {
    throw invalid('The LogQL query has a string telemcp cannot read.', 'Use plain "…" strings with \\" and \\\\ escapes, or `…` raw strings.');
  }
}

/** A selector narrows when one of its matchers selects some streams only. */
export function selectorNarrows(selector: string): boolean {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i]!;
    if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < selector.length && selector[j] !== c) j += selector[j] === '\\' && c === '"' ? 2 : 1;
      cur += selector.slice(i, j + 1);
      i = j;
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '' || parts.length) parts.push(cur);
  let narrows = false;
  for (const part of parts) {
    const m = MATCHER.exec(part);
    if (!m) throw invalid(`The stream selector {${sanitizeText(selector, 120).text}} has a matcher telemcp cannot read.`, 'Write matchers as label="value", label=~"regex", label!="value" or label!~"regex", separated by commas.');
    const value = unquote(m[3]!);
    // A regex narrows when it refuses some value and the empty one (a stream without the label), as Loki itself requires of one matcher.
    if ((m[2] === '=' && value !== '') || (m[2] === '=~' && !matchesEveryValue(value) && !matchesEmptyValue(value))) narrows = true;
  }
  return narrows;
}

const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: HOUR_MS, d: 24 * HOUR_MS, w: 7 * 24 * HOUR_MS, y: 365 * 24 * HOUR_MS };

/** A LogQL duration (`5m`, `1h30m`, `250ms`) in ms; a range vector may also carry `:resolution` in some versions, refused here. */
export function durationMs(text: string): number {
  const t = text.trim().replace(/^-/, '');
  if (!DURATION.test(t)) throw invalid(`${JSON.stringify(sanitizeText(text, 40).text)} is not a LogQL duration.`, 'Write durations as 5m, 1h, 250ms, 1h30m.');
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

function durationText(ms: number): string {
  return ms % HOUR_MS === 0 ? `${ms / HOUR_MS}h` : `${Math.round(ms / 60_000)}m`;
}

/** The caller's query, checked: every selector narrows, every range within the cap. */
export function checkLogql(query: string, limits: LogqlLimits = DEFAULT_LOGQL_LIMITS): Scanned {
  if (query.length > MAX_LOGQL_CHARS) throw invalid(`The LogQL query is longer than ${MAX_LOGQL_CHARS} characters.`, 'Shorten it, or split the question into several calls.');
  const scanned = scanLogql(query);
  if (scanned.selectors.length === 0) throw invalid('The LogQL query has no stream selector.', NARROW_HINT);
  for (const s of scanned.selectors) {
    if (!selectorNarrows(s)) throw denied(`The stream selector {${sanitizeText(s, 120).text}} matches every stream; loki_query reads selected streams only.`, NARROW_HINT);
  }
  if (scanned.log && scanned.durations.length) throw invalid('A log query takes no [range] or offset; a metric query starts with a function.', 'Write count_over_time({…} [5m]) for a metric, or drop the range for lines.');
  for (const d of scanned.durations) {
    if (durationMs(d) > limits.maxRangeMs) throw invalid(`The range or offset ${sanitizeText(d, 20).text} is longer than ${durationText(limits.maxRangeMs)}.`, `Use at most ${durationText(limits.maxRangeMs)}.`);
  }
  return scanned;
}

/** The request normalised: query checked, window, limit and step injected when missing and capped. Pure. */
export function normalizeLogql(req: LogqlRequest, limits: LogqlLimits = DEFAULT_LOGQL_LIMITS, now = Date.now()): { kind: 'log' | 'metric'; logql: string; start: number; end: number; limit: number; stepMs: number; injected: string[] } {
  const scanned = checkLogql(req.query, limits);
  const injected: string[] = [];
  const end = req.end ?? now;
  let start = req.start;
  if (start === undefined) {
    start = end - limits.defaultWindowMs;
    injected.push('window');
  } else if (req.end === undefined) injected.push('window_end');
  if (!(end > start)) throw invalid('end must be after start.', 'Swap them, or use start now-1h with end now.');
  if (end - start > limits.maxRangeMs) throw invalid(`The window spans more than ${durationText(limits.maxRangeMs)} (Loki's max_query_length).`, 'Ask for a shorter window (start now-1d, for instance); long windows are for logs_bursts.');
  let limit = req.limit;
  if (scanned.log) {
    if (req.stepMs !== undefined) throw invalid('step is for metric queries; a log query reads lines.', 'Drop step, or wrap the query in count_over_time({…} [5m]).');
    if (limit === undefined) {
      limit = limits.defaultLimit;
      injected.push('limit');
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > limits.maxLimit) throw invalid(`limit must be 1-${limits.maxLimit} lines.`, `Ask for at most ${limits.maxLimit} lines; the count and patterns cover the whole window anyway.`);
  } else if (limit !== undefined) throw invalid('limit is for log queries; a metric query returns series.', 'Drop limit; narrow with topk(…) or a selector.');
  let stepMs = req.stepMs;
  if (!scanned.log) {
    if (stepMs === undefined) {
      stepMs = Math.max(1000, Math.floor((end - start) / 250 / 1000) * 1000);
      injected.push('step');
    }
    if (!Number.isInteger(stepMs) || stepMs < 1) throw invalid('step must be a whole number of milliseconds ≥ 1.', 'Use a step such as 60s.');
    if ((end - start) / stepMs + 1 > limits.maxPoints) throw invalid(`This step gives more than ${limits.maxPoints} points over the window.`, `Use a step of at least ${Math.ceil((end - start) / (limits.maxPoints - 1) / 1000)}s.`);
  }
  return { kind: scanned.log ? 'log' : 'metric', logql: req.query.trim(), start, end, limit: limit ?? 0, stepMs: stepMs ?? 0, injected };
}

/** Labels of a line besides its roles, at most this many, each cut. */
const MAX_LINE_LABELS = 12;

function readLine(e: LokiEntry, fields: LokiFieldNames): ReadLine {
  const roles = new Set([fields.service, fields.level, fields.levelFallback, fields.traceId, fields.host]);
  return { record: lokiRecord(e, fields), labels: otherFields(e.labels, roles, MAX_LINE_LABELS) };
}

/** The guard an instance provides: checks and normalises the request, and binds the approved reads to this instance. */
export function logqlGuard(api: LokiApi, opts: { fields?: LokiFieldNames; limits?: Partial<LogqlLimits> } = {}): Guard<LogqlRequest, ApprovedLogql> {
  const limits = { ...DEFAULT_LOGQL_LIMITS, ...opts.limits };
  const fields = opts.fields ?? DEFAULT_LOKI_FIELDS;
  return (req) => {
    const n = normalizeLogql(req, limits);
    const window = windowParams(n.start, n.end);
    const base = { logql: n.logql, start: n.start, end: n.end, injected: n.injected };
    if (n.kind === 'metric') {
      const step = `${n.stepMs}ms`;
      return { ...base, kind: 'metric', stepMs: n.stepMs, matrix: (signal) => api.matrix(n.logql, { start: window.start, end: window.end, step }, signal) };
    }
    return {
      ...base,
      kind: 'log',
      limit: n.limit,
      lines: async (signal) => (await api.logs(n.logql, { ...window, limit: Math.min(n.limit, MAX_ENTRIES), direction: 'backward' }, signal)).map((e) => readLine(e, fields)),
      count: (signal) => countWindow(api, n.logql, n.start, n.end + 1, signal),
      histogram: async (startMs, bucketMs, buckets, signal) =>
        (await countBuckets(api, n.logql, [], { start: startMs, bucketMs, n: buckets, from: n.start, toEx: n.end + 1 }, signal)).get('[]')?.counts ?? new Array<number>(buckets).fill(0),
    };
  };
}

/** What an instance provides: the LogQL guard of loki_query. */
export const LOGQL_GUARD = capability<Guard<LogqlRequest, ApprovedLogql>>('guard:logql');
