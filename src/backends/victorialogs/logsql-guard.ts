import { TelemcpError } from '../../core/errors.js';
import type { LogRecord } from '../capabilities.js';
import { otherFields } from '../log-query.js';
import { capability, type Guard } from '../module.js';
import type { VictoriaLogsApi, VlParams, VlRow } from './client.js';
import { compileJsonFilter, type JsonFilter } from './json-filter.js';
import { vlRecord } from './log-source.js';
import { DEFAULT_VL_FIELDS, MSG, TIME, timeBucket, timeMs, windowParams, type VlFieldNames } from './logsql.js';

/**
 * The guard of vlogs_query: a caller's LogsQL filter (or seed 002's JSON filter, compiled here
 * with every value quoted) checked and normalised before anything reaches VictoriaLogs.
 *
 * - The caller writes a filter only: no pipe (`|`), no comment (`#`, which would hide the
 *   server's own pipes), no `options(…)` (which can lift the time window); the server appends
 *   its own pipes (`| sort by (_time desc) | limit N`, `| stats …`).
 * - The window is injected when missing (the last hour) and capped; so is the line limit.
 * - A filter that matches everything (`*`, empty, `_msg:*`, `field:*`, `{}`, a `.*` regex, or
 *   an OR with such a branch) is refused as query_denied.
 * - The approved form carries the only ways the handler may read: the approved filter with the
 *   server's pipes, on the instance that approved it, with the instance's timeout.
 *
 * Pure until one of the approved reads runs; no clock but `now` (injectable).
 */

export interface LogsqlRequest {
  /** A LogsQL filter written by the caller (no pipes). */
  query?: string;
  /** Seed 002's JSON filter form, compiled here. */
  filter?: JsonFilter;
  /** Unix ms, both inclusive; missing: the server's window (the last hour up to now). */
  start?: number;
  end?: number;
  /** Lines to read; missing: DEFAULT_LINE_LIMIT. */
  limit?: number;
}

export interface LogsqlLimits {
  timeoutMs: number;
  maxRangeMs: number;
  maxLimit: number;
  defaultLimit: number;
  defaultWindowMs: number;
}

const DAY_MS = 86_400_000;
export const DEFAULT_LOGSQL_LIMITS: Omit<LogsqlLimits, 'timeoutMs'> = { maxRangeMs: 31 * DAY_MS, maxLimit: 1000, defaultLimit: 200, defaultWindowMs: 3_600_000 };
export const MAX_LOGSQL_CHARS = 4000;
const COUNT = 'telemcp_n';

/** A line read: the record as the log tools see it, and its other fields (bounded). */
export interface ReadLine {
  record: LogRecord;
  fields: Record<string, string>;
}

export interface ApprovedLogsql {
  /** The filter as sent, in parentheses. */
  filter: string;
  /** The full query of the lines read: the filter and the server's pipes. */
  logsql: string;
  start: number;
  end: number;
  limit: number;
  /** What the server added because the call left it out: `window`, `limit`. */
  injected: string[];
  /** Sent as the query's `timeout`, from the instance's timeout; never the caller's. */
  timeout: string;
  /** The newest `limit` lines of the window. */
  lines(signal: AbortSignal): Promise<ReadLine[]>;
  /** Exact: records matching in the window. */
  count(signal: AbortSignal): Promise<number>;
  /** Exact records per bucket of `bucketMs`, buckets starting at `startMs`. */
  histogram(startMs: number, bucketMs: number, buckets: number, signal: AbortSignal): Promise<number[]>;
}

function denied(message: string, hint: string): TelemcpError {
  return new TelemcpError('query_denied', message, { hint });
}

function invalid(message: string, hint: string): TelemcpError {
  return new TelemcpError('invalid_input', message, { hint });
}

const FILTER_ONLY_HINT =
  'Write a LogsQL filter only (words, "phrases", field:value, field:in(…), AND/OR/NOT, parentheses); the server adds the sorting, limit and counting pipes itself. Or pass filter in the JSON form ({"service.name": "api", "_search": "timeout"}).';

/** A token of the filter's top level: a parenthesis, or a term with its quoted parts and call arguments. */
type Token = { kind: '(' } | { kind: ')' } | { kind: 'term'; text: string };

/**
 * Splits a LogsQL filter into top-level tokens, refusing what is not a plain filter: pipes,
 * comments, `options(…)`, unbalanced quotes or brackets, control characters.
 */
export function tokenizeFilter(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  const skipQuoted = (from: number): number => {
    const quote = text[from];
    let j = from + 1;
    while (j < n && text[j] !== quote) {
      if (text[j] === '\\' && quote !== '`') j++;
      j++;
    }
    if (j >= n) throw invalid('The LogsQL filter has an unterminated quoted string.', 'Close every "…", \'…\' or `…` string.');
    return j + 1;
  };
  while (i < n) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push(c === '(' ? { kind: '(' } : { kind: ')' });
      i++;
      continue;
    }
    // A term: up to whitespace or a top-level parenthesis; a `(` or `{` glued to the term opens its arguments (in(…), i(…), _stream:{…}).
    let j = i;
    let depth = 0;
    while (j < n) {
      const d = text[j]!;
      if (d === '"' || d === "'" || d === '`') {
        j = skipQuoted(j);
        continue;
      }
      if (d === '|') throw denied('vlogs_query takes a LogsQL filter, not pipes: "|" is refused.', FILTER_ONLY_HINT);
      if (d === '#') throw denied('A "#" outside quotes starts a LogsQL comment, which would hide the server\'s own pipes: refused.', 'Quote the value ("#123") or drop the comment.');
      if (/[\p{Cc}]/u.test(d) && !/\s/.test(d)) throw invalid('The LogsQL filter holds a control character outside quotes.', 'Remove it, or quote the value.');
      if (depth === 0 && (/\s/.test(d) || d === ')')) break;
      if (d === '(' || d === '{') {
        if (depth === 0 && j === i && d === '(') break;
        depth++;
      } else if (d === ')' || d === '}') {
        depth--;
        if (depth < 0) throw invalid('The LogsQL filter has unbalanced brackets.', 'Close every ( and { you open.');
      }
      j++;
    }
    if (depth !== 0) throw invalid('The LogsQL filter has unbalanced brackets.', 'Close every ( and { you open.');
    const term = text.slice(i, j);
    if (/^options\s*\(/i.test(term)) throw denied('options(…) is refused: it can lift the server\'s time window or limits.', FILTER_ONLY_HINT);
    checkValueLists(term);
    tokens.push({ kind: 'term', text: term });
    i = j;
  }
  // `options (…)` with a space is the same prefix: a bare word options before a group is refused too (quote it to search for it).
  if (tokens.some((t, k) => t.kind === 'term' && /^options$/i.test(t.text) && tokens[k + 1]?.kind === '(')) {
    throw denied('options(…) is refused: it can lift the server\'s time window or limits.', `${FILTER_ONLY_HINT} To search for the word, quote it: "options".`);
  }
  return tokens;
}

/** `in(…)`, `contains_any(…)`, `contains_all(…)`: their arguments, when the term is one. */
const VALUE_LIST_CALL = /(?:^|:)(?:in|contains_any|contains_all)\((.*)\)$/is;
/** One literal of a value list: a quoted string or a bare word (no `:`, `*`, brackets or quotes, which would make it a subquery). */
const LIST_VALUE = /^(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|[^\s:*(){}"'`,]+)$/s;

/**
 * A value list takes literals only: `in(*)` matches everything and `in(<filter>)` is a subquery,
 * which runs a second query of its own; both are refused.
 */
function checkValueLists(term: string): void {
  const call = VALUE_LIST_CALL.exec(term);
  if (!call) return;
  const values: string[] = [];
  let cur = '';
  for (let k = 0; k < call[1]!.length; k++) {
    const c = call[1]![k]!;
    if (c === '"' || c === "'" || c === '`') {
      let e = k + 1;
      while (e < call[1]!.length && call[1]![e] !== c) e += call[1]![e] === '\\' && c !== '`' ? 2 : 1;
      cur += call[1]!.slice(k, e + 1);
      k = e;
    } else if (c === ',') {
      values.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '' || values.length) values.push(cur.trim());
  if (values.some((v) => !LIST_VALUE.test(v))) {
    throw denied('in(…), contains_any(…) and contains_all(…) take a list of values here, not a subquery or *.', 'List the values: "service.name":in("api", "web").');
  }
}

/** A field name, bare or quoted, followed by `:`. */
const FIELD = String.raw`(?:[^\s:"'\`]+|"(?:[^"\\]|\\.)*"|'[^']*'|\`[^\`]*\`)`;
/** Terms that match every record (or every record with a message): `*`, `field:*`, `{}`, a regex of any value. */
const MATCH_ALL_TERM = new RegExp(String.raw`^(?:${FIELD}:)?(?:\*|"\*"|~(?:""|"\.\*"|"\.\+"|"\^\.\*\$?"|"\(\?s\)\.\*")|(?:_stream:)?\{\s*\})$`, 'i');

/** Whether the tokens (a whole filter) match every record: an OR with a match-all branch, an AND of match-all terms only. */
export function matchesEverything(tokens: readonly Token[]): boolean {
  let pos = 0;
  const peek = () => tokens[pos];
  const word = (t: Token | undefined, ...w: string[]) => t?.kind === 'term' && w.includes(t.text.toUpperCase());
  // expr := and (OR and)* ; and := unary (AND? unary)* ; unary := (NOT|-|!) unary | ( expr ) | term
  const expr = (): boolean => {
    let all = and();
    while (word(peek(), 'OR')) {
      pos++;
      all = and() || all;
    }
    return all;
  };
  const and = (): boolean => {
    let all = true;
    let any = false;
    while (pos < tokens.length && peek()!.kind !== ')' && !word(peek(), 'OR')) {
      if (word(peek(), 'AND')) {
        pos++;
        continue;
      }
      all = unary() && all;
      any = true;
    }
    return any ? all : true;
  };
  const unary = (): boolean => {
    const t = tokens[pos++]!;
    if (t.kind === '(') {
      const inner = expr();
      if (peek()?.kind !== ')') throw invalid('The LogsQL filter has unbalanced parentheses.', 'Close every ( you open.');
      pos++;
      return inner;
    }
    if (t.kind === ')') throw invalid('The LogsQL filter has unbalanced parentheses.', 'Close every ( you open.');
    if (word(t, 'NOT')) {
      unary();
      return false;
    }
    // A negated term (-x, !x) narrows; anything else matches all only when it is a match-all term.
    if (t.text.startsWith('-') || t.text.startsWith('!')) return false;
    return MATCH_ALL_TERM.test(t.text);
  };
  const result = expr();
  if (pos < tokens.length) throw invalid('The LogsQL filter has unbalanced parentheses.', 'Close every ( you open.');
  return result;
}

/** The caller's filter, checked: plain filter syntax, narrowing something. */
export function checkFilter(filter: string): string {
  if (filter.length > MAX_LOGSQL_CHARS) throw invalid(`The LogsQL filter is longer than ${MAX_LOGSQL_CHARS} characters.`, 'Shorten it, or split the question into several calls.');
  const tokens = tokenizeFilter(filter);
  if (tokens.length === 0 || matchesEverything(tokens)) {
    throw denied('This filter matches every log record; vlogs_query reads filtered records only.', 'Add a condition that narrows: a service ("service.name":="api"), a level ("log.level":in("error","warn")), or words of the message. For an overview of everything, use logs_patterns or logs_bursts.');
  }
  return filter.trim();
}

function durationText(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.round(ms / 60_000)}m`;
}

/** The request normalised: filter checked or compiled, window and limit injected when missing and capped. Pure. */
export function normalizeLogsql(req: LogsqlRequest, limits: Omit<LogsqlLimits, 'timeoutMs'>, now = Date.now()): Pick<ApprovedLogsql, 'filter' | 'start' | 'end' | 'limit' | 'injected'> {
  if ((req.query === undefined) === (req.filter === undefined)) {
    throw invalid('Give query (a LogsQL filter) or filter (the JSON form), exactly one of them.', 'Pass filter: {"service.name": "api", "log.level": "error"}, or query: "\\"service.name\\":=\\"api\\" error".');
  }
  const text = req.query !== undefined ? checkFilter(req.query) : compileJsonFilter(req.filter);
  // The compiled form is quoted by construction; it is still refused when it matches everything.
  if (req.filter !== undefined) checkFilter(text);
  const injected: string[] = [];
  const end = req.end ?? now;
  let start = req.start;
  if (start === undefined) {
    start = end - limits.defaultWindowMs;
    injected.push('window');
  } else if (req.end === undefined) injected.push('window_end');
  if (!(end > start)) throw invalid('end must be after start.', 'Swap them, or use start now-1h with end now.');
  if (end - start > limits.maxRangeMs) {
    throw invalid(`The window spans more than ${durationText(limits.maxRangeMs)}.`, `Ask for at most ${durationText(limits.maxRangeMs)} (start now-1d, for instance); long windows are for logs_bursts.`);
  }
  let limit = req.limit;
  if (limit === undefined) {
    limit = limits.defaultLimit;
    injected.push('limit');
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > limits.maxLimit) throw invalid(`limit must be 1-${limits.maxLimit} lines.`, `Ask for at most ${limits.maxLimit} lines; the counts and patterns cover the whole window anyway.`);
  return { filter: `(${text})`, start, end, limit, injected };
}

/** Fields of a line besides its roles, at most this many, each cut. */
const MAX_LINE_FIELDS = 12;

function readLine(r: VlRow, fields: VlFieldNames): ReadLine {
  const roles = new Set<string>([TIME, MSG, '_stream', '_stream_id', fields.service, fields.level, fields.traceId, fields.host]);
  return { record: vlRecord(r, fields), fields: otherFields(r, roles, MAX_LINE_FIELDS) };
}

/**
 * The guard an instance provides: checks and normalises the request, and binds the approved
 * reads to this instance's API, fields and timeout.
 */
export function logsqlGuard(api: VictoriaLogsApi, opts: { timeoutMs: number; fields?: VlFieldNames; limits?: Partial<Omit<LogsqlLimits, 'timeoutMs'>> }): Guard<LogsqlRequest, ApprovedLogsql> {
  const limits = { ...DEFAULT_LOGSQL_LIMITS, ...opts.limits };
  const fields = opts.fields ?? DEFAULT_VL_FIELDS;
  const timeout = `${Math.max(1, Math.ceil(opts.timeoutMs / 1000))}s`;
  return (req) => {
    const n = normalizeLogsql(req, limits);
    const params: VlParams = { ...windowParams(n.start, n.end), timeout };
    const logsql = `${n.filter} | sort by (${TIME} desc) | limit ${n.limit}`;
    return {
      ...n,
      logsql,
      timeout,
      lines: async (signal) => (await api.query(logsql, n.limit, params, signal)).map((r) => readLine(r, fields)),
      count: async (signal) => {
        const rows = await api.query(`${n.filter} | stats count() ${COUNT}`, 1, params, signal);
        return Number(rows[0]?.[COUNT] ?? 0);
      },
      histogram: async (startMs, bucketMs, buckets, signal) => {
        const counts = new Array<number>(buckets).fill(0);
        const rows = await api.query(`${n.filter} | stats by (${timeBucket(bucketMs, startMs)}) count() ${COUNT}`, buckets + 1, params, signal);
        for (const r of rows) {
          const i = Math.min(buckets - 1, Math.max(0, Math.floor((timeMs(r[TIME]) - startMs) / bucketMs)));
          counts[i] += Number(r[COUNT] ?? 0);
        }
        return counts;
      },
    };
  };
}

/** What an instance provides: the LogsQL guard of vlogs_query. */
export const LOGSQL_GUARD = capability<Guard<LogsqlRequest, ApprovedLogsql>>('guard:logsql');
