/**
 * SECURITY.md §8's hostile-input rows generalised for the VictoriaLogs log source (P-09 LogsQL
 * guards, H-61/P-12 no caller-chosen tenant, A-12 read paths only, H-45/H-47 windows, P-05 caps,
 * P-02/H-69 raw JSON): every string argument of the five log tools that reaches a LogsQL filter
 * (`query`, `service_name`, `log_level`, `trace_id`) gets the LogsQL injection classes, each
 * either refused (invalid_input, decided before any request) or answered with the value matched
 * only as a quoted literal (`ok`, checked against what VictoriaLogs received in the test file).
 * Also: `scope` other than `*`, unknown `source`, reversed and oversized windows, oversized
 * lists and limits, unknown properties. Forged and tampered cursors are built in the test file
 * (a tampered cursor needs a real one first).
 */
import type { ToolCall } from './front-doors.js';

export type VlogsExpect = 'ok' | 'invalid_input';

export interface VlogsRow {
  id: string;
  name: string;
  call: ToolCall;
  expect: VlogsExpect;
  /**
   * For `ok` rows: the caller's value that must reach VictoriaLogs only inside a quoted LogsQL
   * literal, and how (`exact`: one literal equal to it, `level`: its lower-case spelling among
   * the level literals, `text`: the message-word filter, whose words are literals).
   */
  literal?: { value: string; as: 'exact' | 'level' | 'text' };
}

export const SOURCE = 'victorialogs';

/** The five log tools, each with the smallest arguments it accepts on the VictoriaLogs source. */
export const LOG_TOOLS: ReadonlyArray<{ tool: string; args: Record<string, unknown> }> = [
  { tool: 'logs_search', args: { source: SOURCE, limit: 5 } },
  { tool: 'logs_patterns', args: { source: SOURCE, sample_size: 100, top_n: 3 } },
  { tool: 'logs_bursts', args: { source: SOURCE, top_templates: 0, compare_day_earlier: false } },
  { tool: 'logs_correlate', args: { source: SOURCE, sample_size: 100, compare_day_earlier: false } },
  { tool: 'incident_summary', args: { source: SOURCE, sample_size: 100, compare_day_earlier: false } },
];

const base = (tool: string): Record<string, unknown> => ({ ...LOG_TOOLS.find((t) => t.tool === tool)!.args });
const call = (tool: string, extra: Record<string, unknown>): ToolCall => ({ tool, args: { ...base(tool), ...extra } });

/**
 * LogsQL injection classes: a value that closes the literal or the filter, a pipe (delete is
 * not a LogsQL pipe, stats is), a stream selector, query options that lift the time filter, a
 * comment, quotes, backslashes, CR/LF (a header too), NUL, a bidi override.
 */
export const INJECTIONS: ReadonlyArray<{ label: string; value: string; control: boolean; wildcard?: boolean }> = [
  { label: 'close the literal: ") OR *', value: '") OR *', control: false, wildcard: true },
  { label: 'pipe: * | delete', value: '* | delete', control: false, wildcard: true },
  { label: 'pipe: | stats count()', value: '| stats count()', control: false },
  { label: 'stream selector: _stream:{x="y"}', value: '_stream:{x="y"}', control: false },
  { label: 'options(ignore_global_time_filter=true)', value: 'options(ignore_global_time_filter=true) *', control: false, wildcard: true },
  { label: 'comment: x #comment', value: 'x #comment\n', control: true },
  { label: 'comment without a newline: x # | delete', value: 'x # | delete', control: false },
  { label: 'quotes: a" or "b', value: 'a" or "b', control: false },
  { label: 'backslashes: a\\" *\\\\', value: 'a\\" *\\\\', control: false, wildcard: true },
  { label: 'CR/LF + header: a\\r\\nAccountID: 0', value: 'a\r\nAccountID: 0', control: true },
  { label: 'NUL: a\\u0000" OR *', value: 'a\u0000" OR *', control: true, wildcard: true },
  { label: 'bidi override: a\\u202e" OR *', value: 'a\u202e" OR *', control: false, wildcard: true },
];

/** Classes run on every filter argument of the other tools: closing the literal, a stream selector, CR/LF. */
const FEW = ['close the literal: ") OR *', 'stream selector: _stream:{x="y"}', 'CR/LF + header: a\\r\\nAccountID: 0'];

/** Which argument of which tool reaches which filter, the classes it gets, and what its schema refuses. */
interface Slot {
  tool: string;
  arg: 'query' | 'service_name' | 'log_level' | 'trace_id';
  /** The schema refuses \u0000-\u001f (NO_CONTROL) in this argument. */
  noControl: boolean;
  /** logs_search's log_level is a level name: letters only. */
  lettersOnly?: boolean;
  /** Max length, when an injection value would exceed it. */
  max?: number;
  /** The message-query syntax refuses a bare `*` (a wildcard must end a word of 3+ characters). */
  messageQuery?: boolean;
  /** Every class, or these labels. */
  classes: 'all' | string[];
}

const SLOTS: Slot[] = [
  { tool: 'logs_search', arg: 'query', noControl: true, messageQuery: true, classes: 'all' },
  { tool: 'logs_search', arg: 'service_name', noControl: true, classes: 'all' },
  { tool: 'logs_search', arg: 'trace_id', noControl: true, classes: [...FEW, 'pipe: | stats count()'] },
  { tool: 'logs_search', arg: 'log_level', noControl: true, lettersOnly: true, classes: [...FEW, 'pipe: * | delete'] },
  { tool: 'logs_patterns', arg: 'query', noControl: true, messageQuery: true, classes: [...FEW, 'pipe: * | delete'] },
  { tool: 'logs_patterns', arg: 'service_name', noControl: true, classes: FEW },
  { tool: 'logs_patterns', arg: 'log_level', noControl: true, max: 32, classes: FEW },
  { tool: 'logs_bursts', arg: 'service_name', noControl: true, classes: FEW },
  { tool: 'logs_bursts', arg: 'log_level', noControl: true, max: 32, classes: FEW },
  { tool: 'logs_correlate', arg: 'service_name', noControl: true, classes: FEW },
  { tool: 'incident_summary', arg: 'service_name', noControl: true, classes: FEW },
];

/**
 * P-09 for LogsQL: every injection class in every filter argument. Refused where the argument's
 * own shape refuses it (control characters, a level that is not letters, a length, a bare
 * wildcard in a message query), else answered with the value as one quoted literal (`ok` +
 * literal).
 */
export function injectionRows(): VlogsRow[] {
  const rows: VlogsRow[] = [];
  for (const slot of SLOTS) {
    for (const inj of INJECTIONS) {
      if (slot.classes !== 'all' && !slot.classes.includes(inj.label)) continue;
      const refused =
        (slot.noControl && inj.control) || slot.lettersOnly === true || (slot.max !== undefined && inj.value.length > slot.max) || (slot.messageQuery === true && inj.wildcard === true);
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

/** VictoriaLogs has one scope (the configured tenant): any other `scope` is refused, on every tool. */
export function scopeRows(): VlogsRow[] {
  const rows: VlogsRow[] = LOG_TOOLS.map(({ tool }) => ({ id: 'P-12', name: `${tool} scope "logs-*"`, call: call(tool, { scope: 'logs-*' }), expect: 'invalid_input' as const }));
  rows.push(
    { id: 'P-12', name: 'logs_search scope naming another tenant "AccountID=0"', call: call('logs_search', { scope: 'AccountID=0' }), expect: 'invalid_input' },
    { id: 'P-09', name: 'logs_search scope "* | delete"', call: call('logs_search', { scope: '* | delete' }), expect: 'invalid_input' },
  );
  return rows;
}

/** An unknown `source`, or one shaped like a path, URL or header. */
export function sourceRows(): VlogsRow[] {
  return [
    { id: 'P-12', name: 'logs_search source "victorialogs2"', call: call('logs_search', { source: 'victorialogs2' }), expect: 'invalid_input' },
    { id: 'A-12', name: 'logs_search source "../select/logsql/delete"', call: call('logs_search', { source: '../select/logsql/delete' }), expect: 'invalid_input' },
    { id: 'P-12', name: 'logs_patterns source "http://evil.example:9428"', call: call('logs_patterns', { source: 'http://evil.example:9428' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'logs_bursts source with CRLF + AccountID', call: call('logs_bursts', { source: 'victorialogs\r\nAccountID: 0' }), expect: 'invalid_input' },
  ];
}

/** Reversed, empty, oversized and unreadable windows (H-45/H-47 for logs). */
export function windowRows(): VlogsRow[] {
  return [
    { id: 'H-45', name: 'logs_search start after end', call: call('logs_search', { start_time: 'now-1h', end_time: 'now-2h' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'logs_bursts window of 40 days', call: call('logs_bursts', { start_time: 'now-40d' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'logs_correlate window from epoch 0', call: call('logs_correlate', { start_time: '1970-01-01T00:00:00Z' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'incident_summary window of 365 days', call: call('incident_summary', { start_time: 'now-365d' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'logs_search start_time not a time', call: call('logs_search', { start_time: '_time:1y' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'logs_search end_time with CRLF', call: call('logs_search', { end_time: 'now\r\nAccountID: 0' }), expect: 'invalid_input' },
  ];
}

/** Lists, limits and lengths over their caps (P-05). */
export function capRows(): VlogsRow[] {
  return [
    { id: 'P-05', name: 'logs_search limit 101', call: call('logs_search', { limit: 101 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_search limit 1e309 (raw text)', call: { tool: 'logs_search', raw: '{"source":"victorialogs","limit":1e309}' }, expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_search 11 log levels', call: call('logs_search', { log_level: Array.from({ length: 11 }, (_, i) => `level${String.fromCharCode(97 + i)}`) }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_search 513-character query', call: call('logs_search', { query: 'a'.repeat(513) }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_search 257-character service_name', call: call('logs_search', { service_name: 's'.repeat(257) }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_patterns sample_size 5001', call: call('logs_patterns', { sample_size: 5001 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_bursts bucket_seconds 0', call: call('logs_bursts', { bucket_seconds: 0 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_bursts bucket_seconds 1 over 1 hour (3,600 buckets)', call: call('logs_bursts', { bucket_seconds: 1 }), expect: 'invalid_input' },
    { id: 'P-05', name: 'logs_bursts by "tenant"', call: call('logs_bursts', { by: 'tenant' }), expect: 'invalid_input' },
    { id: 'P-05', name: 'incident_summary sample_size 5001', call: call('incident_summary', { sample_size: 5001 }), expect: 'invalid_input' },
  ];
}

/** No argument chooses a tenant, a header, a host or a URL (H-61/P-12), nor smuggles a duplicate key or a prototype (P-02/H-69). */
export function extraArgRows(): VlogsRow[] {
  return [
    { id: 'H-61', name: 'logs_search + AccountID', call: call('logs_search', { AccountID: '0' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'logs_patterns + tenant with CRLF', call: call('logs_patterns', { tenant: '0\r\nProjectID: 1' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'logs_bursts + headers object', call: call('logs_bursts', { headers: { AccountID: '0', ProjectID: '0' } }), expect: 'invalid_input' },
    { id: 'P-12', name: 'logs_correlate + url', call: call('logs_correlate', { url: 'http://evil.example:9428/delete/logsql' }), expect: 'invalid_input' },
    { id: 'P-02', name: 'logs_search duplicate service_name key, the second an injection (raw text)', call: { tool: 'logs_search', raw: '{"source":"victorialogs","service_name":"a","service_name":"\\") OR *"}' }, expect: 'invalid_input' },
    { id: 'H-69', name: 'logs_search __proto__ (raw text)', call: { tool: 'logs_search', raw: '{"source":"victorialogs","__proto__":{"scope":"other"}}' }, expect: 'invalid_input' },
  ];
}

/** Cursors a caller could send without a previous page: not the server's format, or its format unsigned. */
export function forgedCursorRows(): VlogsRow[] {
  const payload = Buffer.from(JSON.stringify({ t: 'log-source:victorialogs', f: 'x', e: 4_102_444_800_000, s: { w: [0, 4_102_444_800_000, 0], n: 0, o: 0, b: { t: '1', k: 0 } } })).toString('base64url');
  return [
    { id: 'P-08', name: 'logs_search cursor "* | delete"', call: call('logs_search', { cursor: '* | delete' }), expect: 'invalid_input' },
    { id: 'P-08', name: 'logs_search cursor of the right shape, unsigned payload, zero MAC', call: call('logs_search', { cursor: `v1.${payload}.${'A'.repeat(43)}` }), expect: 'invalid_input' },
    { id: 'H-61', name: 'logs_search cursor with CRLF', call: call('logs_search', { cursor: 'v1.a.b\r\nAccountID: 0' }), expect: 'invalid_input' },
  ];
}
