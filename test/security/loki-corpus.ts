/**
 * SECURITY.md §8's hostile-input rows generalised for the Loki log source (P-09 LogQL guards,
 * H-61/P-12 no caller-chosen tenant, A-12 read paths only, H-45/H-47 windows, P-05 caps,
 * P-02/H-69 raw JSON): every string argument of the five log tools that reaches a LogQL filter
 * (`query`, `service_name`, `log_level`, `trace_id`) gets the LogQL injection classes, each either
 * refused (invalid_input, decided before any request) or answered with the value matched only as
 * a string literal (`ok`, checked against what Loki received in the test file); and every query
 * loki_query's and loki_discover's guards must refuse (selectors matching every stream in their
 * spellings, windows, limits, steps, ranges and offsets over the caps, comments), each with its
 * code and no request. Forged cursors that need a real one first are built in the test file.
 */
import type { ToolCall } from './front-doors.js';

export type LokiExpect = 'ok' | 'invalid_input' | 'query_denied';

export interface LokiRow {
  id: string;
  name: string;
  call: ToolCall;
  expect: LokiExpect;
  /**
   * For `ok` rows: the caller's value that must reach Loki only inside a LogQL string literal,
   * and how (`exact`: a matcher or label filter equal to it, `level`: its lower-case spelling
   * among a level matcher's values, `text`: line-filter regexes built of its letters and digits).
   */
  literal?: { value: string; as: 'exact' | 'level' | 'text' };
}

/** The default Loki instance and the second one (another tenant), as the test file configures them. */
export const SOURCE = 'loki';
export const OTHER_SOURCE = 'other';

/** The five log tools, each with the smallest arguments it accepts on the Loki source. */
export const LOG_TOOLS: ReadonlyArray<{ tool: string; args: Record<string, unknown> }> = [
  { tool: 'logs_search', args: { source: SOURCE, limit: 5 } },
  { tool: 'logs_patterns', args: { source: SOURCE, sample_size: 100, top_n: 3 } },
  { tool: 'logs_bursts', args: { source: SOURCE, top_templates: 0, compare_day_earlier: false } },
  { tool: 'logs_correlate', args: { source: SOURCE, sample_size: 100, compare_day_earlier: false } },
  { tool: 'incident_summary', args: { source: SOURCE, sample_size: 100, compare_day_earlier: false } },
];

const base = (tool: string): Record<string, unknown> => ({ ...LOG_TOOLS.find((t) => t.tool === tool)!.args });
export const call = (tool: string, extra: Record<string, unknown>): ToolCall => ({ tool, args: { ...base(tool), ...extra } });

/** Closes a LogQL string and the selector, and opens one that matches every stream. */
const BREAKOUT = '"} or {x=~".+"}';

/**
 * LogQL injection classes: a value that closes the string (double-quoted or raw backtick), regex
 * metacharacters where the filter is an exact match, a stream selector of its own, pipeline
 * stages, a comment, quotes and backslashes, CR/LF with a tenant header, NUL, a bidi override, a
 * long value, and a level that is no level.
 */
export const INJECTIONS: ReadonlyArray<{ label: string; value: string; control: boolean }> = [
  { label: 'close the string: "} or {x=~".+"}', value: BREAKOUT, control: false },
  { label: 'backticks: a` or `b', value: 'a` or {x=~`.+`} or `b', control: false },
  { label: 'regex metacharacters: .*', value: '.*', control: false },
  { label: 'regex alternation: a|.+', value: 'a|.+', control: false },
  { label: 'regex flag: (?i)ERROR', value: '(?i)ERROR', control: false },
  { label: 'stream selector: {__name__=~".+"}', value: '{__name__=~".+"}', control: false },
  { label: 'pipe: | line_format', value: 'x" | line_format "{{.__line__}}', control: false },
  { label: 'pipe: | json', value: 'x"} | json | __error__="', control: false },
  { label: 'comment: x" # hidden', value: 'x" # } or {x=~".+"}', control: false },
  { label: 'comment with a newline: x #c\\n', value: 'x #c\n', control: true },
  { label: 'quotes and backslashes: a\\" |= \\"b', value: 'a\\" |= \\"b\\\\', control: false },
  { label: 'CR/LF + header: a\\r\\nX-Scope-OrgID: other', value: 'a\r\nX-Scope-OrgID: other', control: true },
  { label: 'NUL: a\\u0000"} or {x=~".+"}', value: `a\u0000${BREAKOUT}`, control: true },
  { label: 'bidi override: a\\u202e"} or {x=~".+"}', value: `a\u202e${BREAKOUT}`, control: false },
  { label: 'long: 220 characters of breakouts', value: `${BREAKOUT} `.repeat(14).slice(0, 220), control: false },
  { label: 'a level that is not a level: notalevel', value: 'notalevel', control: false },
];

/** Classes run on every filter argument of the other tools: closing the string, a stream selector, regex metacharacters, CR/LF. */
const FEW = ['close the string: "} or {x=~".+"}', 'stream selector: {__name__=~".+"}', 'regex metacharacters: .*', 'CR/LF + header: a\\r\\nX-Scope-OrgID: other'];

/** Which argument of which tool reaches which filter, the classes it gets, and what its schema refuses. */
interface Slot {
  tool: string;
  arg: 'query' | 'service_name' | 'log_level' | 'trace_id';
  /** logs_search's log_level is a level name: 1-20 letters. */
  lettersOnly?: boolean;
  max: number;
  /** The message-query syntax: wildcards only at the end of a word of 3+ characters, at most 32 terms. */
  messageQuery?: boolean;
  classes: 'all' | string[];
}

const SLOTS: Slot[] = [
  { tool: 'logs_search', arg: 'query', max: 512, messageQuery: true, classes: 'all' },
  { tool: 'logs_search', arg: 'service_name', max: 256, classes: 'all' },
  { tool: 'logs_search', arg: 'trace_id', max: 128, classes: 'all' },
  { tool: 'logs_search', arg: 'log_level', max: 20, lettersOnly: true, classes: [...FEW, 'backticks: a` or `b', 'a level that is not a level: notalevel'] },
  { tool: 'logs_patterns', arg: 'query', max: 512, messageQuery: true, classes: [...FEW, 'pipe: | json'] },
  { tool: 'logs_patterns', arg: 'service_name', max: 256, classes: FEW },
  { tool: 'logs_patterns', arg: 'log_level', max: 32, classes: [...FEW, 'regex alternation: a|.+', 'regex flag: (?i)ERROR', 'a level that is not a level: notalevel'] },
  { tool: 'logs_bursts', arg: 'service_name', max: 256, classes: FEW },
  { tool: 'logs_bursts', arg: 'log_level', max: 32, classes: FEW },
  { tool: 'logs_correlate', arg: 'service_name', max: 256, classes: FEW },
  { tool: 'incident_summary', arg: 'service_name', max: 256, classes: FEW },
];

/** What the message-query syntax refuses (core/log-query.ts checkMessageQuery): a wildcard not ending a 3+ character word, more than 32 terms. */
function refusedMessageQuery(value: string): boolean {
  const terms = value.split(/\s+/).filter(Boolean);
  return terms.length > 32 || terms.some((raw) => {
    const term = raw.replace(/^[+\-|("]+|[)"]+$/g, '');
    return term.includes('*') && !/^[^*?]{3,}\*$/.test(term);
  });
}

/**
 * P-09 for LogQL: every injection class in every filter argument. Refused where the argument's
 * own shape refuses it (control characters, a level that is not letters, a length, a wildcard
 * the message syntax refuses), else answered with the value as a literal (`ok` + literal).
 */
export function injectionRows(): LokiRow[] {
  const rows: LokiRow[] = [];
  for (const slot of SLOTS) {
    for (const inj of INJECTIONS) {
      if (slot.classes !== 'all' && !slot.classes.includes(inj.label)) continue;
      const refused = inj.control || inj.value.length > slot.max || (slot.lettersOnly === true && !/^[A-Za-z]{1,20}$/.test(inj.value)) || (slot.messageQuery === true && refusedMessageQuery(inj.value));
      const as = slot.arg === 'query' ? 'text' : slot.arg === 'log_level' ? 'level' : 'exact';
      rows.push({
        id: inj.label.startsWith('CR/LF') ? 'H-61' : 'P-09',
        name: `${slot.tool} ${slot.arg} ${inj.label}`,
        call: call(slot.tool, { [slot.arg]: inj.value }),
        expect: refused ? 'invalid_input' : 'ok',
        ...(refused ? {} : { literal: { value: inj.value, as } }),
      });
    }
  }
  return rows;
}

/** Values the test file seeds as a record's service and trace id (and level), so an answered `exact` row finds exactly that record. */
export const SEEDED_VALUES: readonly string[] = INJECTIONS.filter((i) => !i.control).map((i) => i.value);

/** Loki has one scope (the tenant its configuration fixes): any other `scope` is refused, on every tool. */
export function scopeRows(): LokiRow[] {
  const rows: LokiRow[] = LOG_TOOLS.map(({ tool }) => ({ id: 'P-12', name: `${tool} scope "logs-*"`, call: call(tool, { scope: 'logs-*' }), expect: 'invalid_input' as const }));
  rows.push(
    { id: 'P-12', name: 'logs_search scope naming the other tenant', call: call('logs_search', { scope: 'tenant-b' }), expect: 'invalid_input' },
    { id: 'P-09', name: 'logs_search scope \'{__name__=~".+"}\'', call: call('logs_search', { scope: '{__name__=~".+"}' }), expect: 'invalid_input' },
  );
  return rows;
}

/** An unknown `source`, or one shaped like a path, URL or header. */
export function sourceRows(): LokiRow[] {
  return [
    { id: 'P-12', name: 'logs_search source "loki2"', call: call('logs_search', { source: 'loki2' }), expect: 'invalid_input' },
    { id: 'A-12', name: 'logs_search source "../loki/api/v1/push"', call: call('logs_search', { source: '../loki/api/v1/push' }), expect: 'invalid_input' },
    { id: 'P-12', name: 'logs_patterns source "http://evil.example:3100"', call: call('logs_patterns', { source: 'http://evil.example:3100' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'logs_bursts source with CRLF + X-Scope-OrgID', call: call('logs_bursts', { source: 'loki\r\nX-Scope-OrgID: other' }), expect: 'invalid_input' },
  ];
}

/** Reversed, oversized and unreadable windows (H-45/H-47 for logs). */
export function windowRows(): LokiRow[] {
  return [
    { id: 'H-45', name: 'logs_search start after end', call: call('logs_search', { start_time: 'now-1h', end_time: 'now-2h' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'logs_bursts window of 40 days', call: call('logs_bursts', { start_time: 'now-40d' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'logs_correlate window from epoch 0', call: call('logs_correlate', { start_time: '1970-01-01T00:00:00Z' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'incident_summary window of 365 days', call: call('incident_summary', { start_time: 'now-365d' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'logs_search start_time a LogQL range "[30d]"', call: call('logs_search', { start_time: '[30d]' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'logs_search end_time with CRLF', call: call('logs_search', { end_time: 'now\r\nX-Scope-OrgID: other' }), expect: 'invalid_input' },
  ];
}

/** Lists, limits and lengths over their caps (P-05). */
export function capRows(): LokiRow[] {
  return [
    { id: 'P-05', name: 'logs_search limit 101', call: call('logs_search', { limit: 101 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_search limit 5001 (Loki\'s max_entries_limit_per_query)', call: call('logs_search', { limit: 5001 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_search limit 1e309 (raw text)', call: { tool: 'logs_search', raw: '{"source":"loki","limit":1e309}' }, expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_search 11 log levels', call: call('logs_search', { log_level: Array.from({ length: 11 }, (_, i) => `level${String.fromCharCode(97 + i)}`) }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_search 513-character query', call: call('logs_search', { query: 'a'.repeat(513) }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_search 257-character service_name', call: call('logs_search', { service_name: '"'.repeat(257) }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_search 129-character trace_id', call: call('logs_search', { trace_id: '"'.repeat(129) }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_search query of 33 terms', call: call('logs_search', { query: Array.from({ length: 33 }, (_, i) => `w${i}`).join(' ') }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_patterns sample_size 5001', call: call('logs_patterns', { sample_size: 5001 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_bursts bucket_seconds 0', call: call('logs_bursts', { bucket_seconds: 0 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_bursts bucket_seconds 1 over 1 hour (3,600 buckets)', call: call('logs_bursts', { bucket_seconds: 1 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_bursts by "tenant"', call: call('logs_bursts', { by: 'tenant' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'incident_summary sample_size 5001', call: call('incident_summary', { sample_size: 5001 }), expect: 'invalid_input' },
  ];
}

/** No argument chooses a tenant, a header, a host or a URL (H-61/P-12), nor smuggles a duplicate key or a prototype (P-02/H-69). */
export function extraArgRows(): LokiRow[] {
  return [
    { id: 'H-61', name: 'logs_search + X-Scope-OrgID', call: call('logs_search', { 'X-Scope-OrgID': 'tenant-b' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'logs_patterns + tenant with CRLF', call: call('logs_patterns', { tenant: 'a\r\nX-Scope-OrgID: b' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'logs_bursts + headers object', call: call('logs_bursts', { headers: { 'X-Scope-OrgID': 'tenant-b' } }), expect: 'invalid_input' },
    { id: 'P-12', name: 'logs_correlate + url', call: call('logs_correlate', { url: 'http://evil.example:3100/loki/api/v1/push' }), expect: 'invalid_input' },
    { id: 'P-02', name: 'logs_search duplicate service_name key, the second an injection (raw text)', call: { tool: 'logs_search', raw: '{"source":"loki","service_name":"a","service_name":"\\"} or {x=~\\".+\\"}"}' }, expect: 'invalid_input' },
    { id: 'H-69', name: 'logs_search __proto__ (raw text)', call: { tool: 'logs_search', raw: '{"source":"loki","__proto__":{"source":"other"}}' }, expect: 'invalid_input' },
  ];
}

/** Cursors a caller could send without a previous page: not the server's format, or its format unsigned. */
export function forgedCursorRows(): LokiRow[] {
  const payload = Buffer.from(JSON.stringify({ t: 'log-source:loki', f: 'x', e: 4_102_444_800_000, s: { w: [0, 4_102_444_800_000, 0], n: 0, o: 0, b: { t: '1', h: [] } } })).toString('base64url');
  return [
    { id: 'P-08', name: 'logs_search cursor \'{__name__=~".+"}\'', call: call('logs_search', { cursor: '{__name__=~".+"}' }), expect: 'invalid_input' },
    { id: 'P-08', name: 'logs_search cursor of the right shape, unsigned payload, zero MAC', call: call('logs_search', { cursor: `v1.${payload}.${'A'.repeat(43)}` }), expect: 'invalid_input' },
    { id: 'H-61', name: 'logs_search cursor with CRLF', call: call('logs_search', { cursor: 'v1.a.b\r\nX-Scope-OrgID: other' }), expect: 'invalid_input' },
  ];
}

const lq = (args: Record<string, unknown>): ToolCall => ({ tool: 'loki_query', args });
const ld = (args: Record<string, unknown>): ToolCall => ({ tool: 'loki_discover', args });

/**
 * Stream selectors that match every stream carrying the label (or every stream), in the
 * spellings LogQL and RE2 allow. Each must be refused by the guard as query_denied.
 */
export const MATCH_ALL_SELECTORS: ReadonlyArray<{ selector: string }> = [
  { selector: '{}' },
  { selector: '{ }' },
  { selector: '{service_name=~".*"}' },
  { selector: '{service_name=~".+"}' },
  { selector: '{service_name=~"^.+$"}' },
  { selector: '{service_name=~"(?s).+"}' },
  { selector: '{service_name=~".+|api"}' },
  { selector: '{service_name=~"api|.*"}' },
  { selector: '{service_name=~"[^x]+"}' },
  { selector: '{service_name=~".*.*"}' },
  { selector: '{service_name=~"(?:.+)"}' },
  { selector: '{service_name=~`.+`}' },
  { selector: '{ service_name =~ ".+" }' },
  { selector: '{service_name=~"\\\\S+"}' },
  { selector: '{service_name=""}' },
  { selector: '{service_name!="x"}' },
  { selector: '{service_name!~"x"}' },
  { selector: '{service_name!="x", level!~"debug"}' },
  { selector: '{service_name=~".+", level!="x"}' },
  { selector: '{service_name=~".+", service_name=~".*"}' },
  { selector: '{service_name=~".{1,}"}' },
  { selector: '{service_name=~"(.+)"}' },
  { selector: '{service_name=~".+?"}' },
  { selector: '{service_name=~"[\\\\s\\\\S]+"}' },
  { selector: '{service_name=~"(?:api|.+)"}' },
  { selector: '{service_name=~"(?s:.+)"}' },
  { selector: '{service_name=~"([^x]+)"}' },
  { selector: '{service_name=~"[^x][^x]*"}' },
];

/** loki_query rows its guard must refuse, each with its code, before any request (P-09, P-05, H-45). */
export function lokiQueryRows(): LokiRow[] {
  const rows: LokiRow[] = [];
  for (const { selector } of MATCH_ALL_SELECTORS) {
    rows.push({ id: 'P-09', name: `loki_query match-all ${selector}`, call: lq({ query: selector }), expect: 'query_denied' });
    rows.push({ id: 'P-09', name: `loki_query match-all in a metric ${selector}`, call: lq({ query: `sum(count_over_time(${selector} [5m]))` }), expect: 'query_denied' });
  }
  rows.push(
    { id: 'P-09', name: 'loki_query second selector match-all in a binary operation', call: lq({ query: 'sum(count_over_time({service_name="api"} [5m])) / sum(count_over_time({service_name=~".+"} [5m]))' }), expect: 'query_denied' },
    { id: 'P-09', name: 'loki_query comment hiding a stage', call: lq({ query: '{service_name="api"} # |= "x"' }), expect: 'query_denied' },
    { id: 'P-09', name: 'loki_query comment after a closed string', call: lq({ query: '{service_name="api"} |= "x" #"' }), expect: 'query_denied' },
    { id: 'P-09', name: 'loki_query comment hiding a match-all selector', call: lq({ query: '{service_name="api"} #\n or {service_name=~".+"}' }), expect: 'query_denied' },
    { id: 'H-45', name: 'loki_query window of 32 days', call: lq({ query: '{service_name="api"}', start: 'now-32d' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'loki_query window of 722 hours', call: lq({ query: '{service_name="api"}', start: 'now-722h' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'loki_query window from epoch 0', call: lq({ query: '{service_name="api"}', start: '0', end: 'now' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'loki_query start after end', call: lq({ query: '{service_name="api"}', start: 'now-1h', end: 'now-2h' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query limit 1001', call: lq({ query: '{service_name="api"}', limit: 1001 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query limit 5001', call: lq({ query: '{service_name="api"}', limit: 5001 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query limit on a metric query', call: lq({ query: 'sum(count_over_time({service_name="api"} [5m]))', limit: 10 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query step 1s over 7 days (604,800 points)', call: lq({ query: 'sum(count_over_time({service_name="api"} [1m]))', start: 'now-7d', step: '1s' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query step 1ms over 1 hour', call: lq({ query: 'sum(count_over_time({service_name="api"} [1m]))', step: '1ms' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query step on a log query', call: lq({ query: '{service_name="api"}', step: '1m' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query range [722h]', call: lq({ query: 'sum(count_over_time({service_name="api"} [722h]))' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query range [40d]', call: lq({ query: 'count_over_time({service_name="api"} [40d])' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query range [1y]', call: lq({ query: 'rate({service_name="api"} [1y])' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query offset 722h', call: lq({ query: 'sum(count_over_time({service_name="api"} [5m] offset 722h))' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query offset 5w', call: lq({ query: 'count_over_time({service_name="api"} [5m] offset 5w)' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query range on a log query', call: lq({ query: '{service_name="api"} [5m]' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_query 4001-character query', call: lq({ query: `{service_name="${'a'.repeat(3990)}"}` }), expect: 'invalid_input' },
    { id: 'P-09', name: 'loki_query no stream selector', call: lq({ query: 'vector(1)' }), expect: 'invalid_input' },
    { id: 'P-09', name: 'loki_query unterminated string', call: lq({ query: '{service_name="api}' }), expect: 'invalid_input' },
    { id: 'P-09', name: 'loki_query unbalanced selector', call: lq({ query: '{service_name="api"' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'loki_query + X-Scope-OrgID', call: lq({ query: '{service_name="api"}', 'X-Scope-OrgID': 'tenant-b' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'loki_query + headers object', call: lq({ query: '{service_name="api"}', headers: { 'X-Scope-OrgID': 'tenant-b' } }), expect: 'invalid_input' },
    { id: 'H-61', name: 'loki_query source with CRLF', call: lq({ query: '{service_name="api"}', source: 'loki\r\nX-Scope-OrgID: b' }), expect: 'invalid_input' },
    { id: 'P-12', name: 'loki_query unknown source', call: lq({ query: '{service_name="api"}', source: 'loki2' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'loki_query start with CRLF', call: lq({ query: '{service_name="api"}', start: 'now-1h\r\nX-Scope-OrgID: b' }), expect: 'invalid_input' },
  );
  return rows;
}

/** loki_discover rows its guard must refuse, each with its code, before any request. */
export function lokiDiscoverRows(): LokiRow[] {
  const rows: LokiRow[] = [];
  for (const { selector } of MATCH_ALL_SELECTORS) {
    for (const what of ['series', 'hits'] as const) {
      rows.push({ id: 'P-09', name: `loki_discover ${what} match-all ${selector}`, call: ld({ what, selector }), expect: 'query_denied' });
    }
  }
  rows.push(
    { id: 'P-09', name: 'loki_discover values within a match-all selector', call: ld({ what: 'values', label: 'service_name', selector: '{service_name=~".+"}' }), expect: 'query_denied' },
    { id: 'P-09', name: 'loki_discover hits with a comment', call: ld({ what: 'hits', selector: '{service_name="api"} # |= "x"' }), expect: 'query_denied' },
    { id: 'P-09', name: 'loki_discover series with a pipeline', call: ld({ what: 'series', selector: '{service_name="api"} | json' }), expect: 'invalid_input' },
    { id: 'P-09', name: 'loki_discover series without selector', call: ld({ what: 'series' }), expect: 'invalid_input' },
    { id: 'P-09', name: 'loki_discover hits with a metric query', call: ld({ what: 'hits', selector: 'sum(count_over_time({service_name="api"} [5m]))' }), expect: 'invalid_input' },
    { id: 'A-12', name: 'loki_discover values of label "../../push"', call: ld({ what: 'values', label: '../../push' }), expect: 'invalid_input' },
    { id: 'A-12', name: 'loki_discover values of label "x/values?query={}"', call: ld({ what: 'values', label: 'x/values?query={}' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'loki_discover values of a label with CRLF', call: ld({ what: 'values', label: 'a\r\nX-Scope-OrgID: b' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'loki_discover labels over 32 days', call: ld({ what: 'labels', start: 'now-32d' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_discover limit 1001', call: ld({ what: 'labels', limit: 1001 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_discover hits step 1s over 1 day (86,400 buckets)', call: ld({ what: 'hits', selector: '{service_name="api"}', start: 'now-1d', step: '1s' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'loki_discover hits with a range [40d] in the query', call: ld({ what: 'hits', selector: '{service_name="api"} [40d]' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'loki_discover + tenant', call: ld({ what: 'labels', tenant: 'tenant-b' }), expect: 'invalid_input' },
    { id: 'P-12', name: 'loki_discover what "push"', call: ld({ what: 'push' }), expect: 'invalid_input' },
  );
  return rows;
}
