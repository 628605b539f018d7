/**
 * SECURITY.md §8, the PromQL / Alertmanager rows (H-43, H-45, H-47, H-61, P-09, P-12, A-12),
 * generalised to their classes and to every metrics tool that takes the same argument. The corpus
 * names `prom_query`/`prom_query_range`/`prom_series`/`am_alerts`; telemcp's tools are
 * `promql_query` (instant with `time`, range with `start`/`end`/`step`), `metrics_changes` (a range
 * over a window), `prom_discover` (`series`/`labels`/`label_values`/`metrics` with a `match`
 * selector, `lint`), `prom_targets_rules`, `host_facts` and `alerts_active`. Every row here is
 * refused before any backend request; rows with an answer live in the test file.
 */
import type { ToolCall } from './front-doors.js';

export type MetricsCode = 'query_denied' | 'invalid_input';

export interface MetricsRow {
  id: string;
  name: string;
  call: ToolCall;
  expect: MetricsCode;
}

/** The six metrics tools, each with the smallest arguments it accepts. */
export const METRIC_TOOLS: ReadonlyArray<{ tool: string; args: Record<string, unknown> }> = [
  { tool: 'promql_query', args: { expr: 'up' } },
  { tool: 'prom_discover', args: { what: 'labels' } },
  { tool: 'prom_targets_rules', args: {} },
  { tool: 'alerts_active', args: {} },
  { tool: 'metrics_changes', args: { expr: 'up' } },
  { tool: 'host_facts', args: {} },
];

const instant = (expr: string): ToolCall => ({ tool: 'promql_query', args: { expr } });
const ranged = (expr: string, extra: Record<string, unknown> = {}): ToolCall => ({ tool: 'promql_query', args: { expr, start: 'now-1h', ...extra } });
const changes = (expr: string, extra: Record<string, unknown> = {}): ToolCall => ({ tool: 'metrics_changes', args: { expr, ...extra } });
const discover = (what: string, extra: Record<string, unknown> = {}): ToolCall => ({ tool: 'prom_discover', args: { what, ...extra } });

/**
 * Selectors that match every series (H-43), in the spellings the guard reads: a regex of any
 * character, one of its branches any, grouped, case-insensitive, a quoted label name, other
 * string quotes, an escape that decodes to `.`, a negative matcher on the empty value, and a
 * metric-name matcher beside other matchers that do not narrow either.
 */
export const MATCH_ALL_SELECTORS = [
  '{__name__=~".+"}',
  '{__name__=~".*", job=~".+"}',
  '{__name__!=""}',
  '{job=~".+"}',
  '{__name__=~"(.+)"}',
  '{__name__=~".+|up"}',
  '{__name__=~"(?i).+"}',
  '{"__name__"=~".+"}',
  '{__name__=~`.+`}',
  "{__name__=~'.+'}",
  '{__name__=~"\\x2e+"}',
  '{__name__!~""}',
  '{__name__=~"[^/]*", job=~".+"}',
  '{__name__=~"[\\\\s\\\\S]+"}',
  '{__name__=~".+", __name__!~"up"}',
  '{__name__ =~ ".+" , instance!=""}',
];

/**
 * Other spellings of a regex that matches every metric name (every name is non-empty and made of
 * non-space characters; RE2 accepts each of these). The guard must refuse them as it refuses `.+`.
 */
export const MATCH_ALL_SPELLINGS = ['..*', '.{1,1000}', '\\\\S+', '(.+)(.*)', '[a-zA-Z_:].*', '(?s:.+)', '^.+$', '(?i)(?s).+'];

/** H-43: the same selector inside every construct that reads one. */
export function matchAllContexts(s: string): string[] {
  return [
    `count by (__name__)(${s})`,
    `sum(${s})`,
    `rate(${s}[5m])`,
    `max_over_time(${s}[1h:5m])`,
    `max_over_time(rate(${s}[5m])[30m:1m])`,
    `up + on() group_left ${s}`,
    `up and ${s} offset 1h`,
    `${s} @ end()`,
    `${s} @ 1767225600`,
    `${s} offset 1h`,
    `label_replace(${s}, "a", "b", "c", "d")`,
    `sort_desc(topk(5, ${s}))`,
  ];
}

/** H-43 generalised: match-all selectors at every tool that evaluates or lists a selector. */
export function matchAllRows(): MetricsRow[] {
  const rows: MetricsRow[] = [];
  for (const s of MATCH_ALL_SELECTORS) rows.push({ id: 'H-43', name: `promql_query ${s}`, call: instant(s), expect: 'query_denied' });
  for (const e of matchAllContexts('{__name__=~".+"}')) rows.push({ id: 'H-43', name: `promql_query ${e}`, call: instant(e), expect: 'query_denied' });
  for (const e of matchAllContexts('{job=~".*", instance=~".+"}').slice(0, 4)) rows.push({ id: 'H-43', name: `promql_query ${e}`, call: instant(e), expect: 'query_denied' });
  rows.push(
    { id: 'H-43', name: 'promql_query range: count by (__name__)({__name__=~".+"})', call: ranged('count by (__name__)({__name__=~".+"})', { step: '1m' }), expect: 'query_denied' },
    { id: 'H-43', name: 'promql_query: the match-all selector after a narrow one', call: instant('up{job="prometheus"} or {__name__=~".+"}'), expect: 'query_denied' },
    { id: 'H-43', name: 'metrics_changes: count by (__name__)({__name__=~".+"})', call: changes('count by (__name__)({__name__=~".+"})'), expect: 'query_denied' },
    { id: 'H-43', name: 'metrics_changes: rate({job=~".+"}[5m]) with a window', call: changes('rate({job=~".+"}[5m])', { start: 'now-2h', end: 'now-1h', baseline: 'preceding' }), expect: 'query_denied' },
    { id: 'H-43', name: 'metrics_changes: {__name__!=""} offset 1h', call: changes('{__name__!=""} offset 1h'), expect: 'query_denied' },
  );
  for (const what of ['series', 'labels', 'label_values', 'metrics']) {
    for (const match of ['{__name__=~".+"}', '{__name__=~".*", job=~".+"}', '{__name__!=""}']) {
      rows.push({ id: 'H-47', name: `prom_discover ${what} match ${match}`, call: discover(what, { match, ...(what === 'label_values' ? { label: 'job' } : {}) }), expect: 'query_denied' });
    }
  }
  rows.push({ id: 'H-47', name: 'prom_discover series match {job=~".+"} with a window', call: discover('series', { match: '{job=~".+"}', start: 'now-2h', end: 'now-1h' }), expect: 'query_denied' });
  return rows;
}

/** H-43: the spellings of match-all the guard must see through as well (MATCH_ALL_SPELLINGS). */
export function matchAllSpellingRows(): MetricsRow[] {
  const rows: MetricsRow[] = [];
  for (const re of MATCH_ALL_SPELLINGS) {
    const s = `{__name__=~"${re}"}`;
    rows.push({ id: 'H-43', name: `promql_query count by (__name__)(${s})`, call: instant(`count by (__name__)(${s})`), expect: 'query_denied' });
  }
  rows.push({ id: 'H-43', name: 'prom_discover series match {__name__=~"..*"}', call: discover('series', { match: '{__name__=~"..*"}' }), expect: 'query_denied' });
  rows.push({ id: 'H-43', name: 'metrics_changes count by (__name__)({__name__=~"\\\\S+"})', call: changes('count by (__name__)({__name__=~"\\\\S+"})'), expect: 'query_denied' });
  return rows;
}

/** H-45: ranges, subqueries and points over the limits (PROMETHEUS_MAX_RANGE_DAYS 31, 11,000 points). */
export function rangeRows(): MetricsRow[] {
  return [
    { id: 'H-45', name: 'max_over_time(up[365d:1s])', call: instant('max_over_time(up[365d:1s])'), expect: 'invalid_input' },
    { id: 'H-45', name: 'subquery of 86,400 points: max_over_time(up[1d:1s])', call: instant('max_over_time(up[1d:1s])'), expect: 'invalid_input' },
    { id: 'H-45', name: 'subquery of 11,001 points: max_over_time(up[11001s:1s])', call: instant('max_over_time(up[11001s:1s])'), expect: 'invalid_input' },
    { id: 'H-45', name: 'subquery with the default 1m step over 30d (43,200 points)', call: instant('max_over_time(up[30d:])'), expect: 'invalid_input' },
    { id: 'H-45', name: 'nested subquery over 32d', call: instant('max_over_time(rate(up[5m])[32d:1h])'), expect: 'invalid_input' },
    { id: 'H-45', name: 'subquery inside a range query, 11,001 points', call: ranged('max_over_time(up[11001s:1s])', { step: '1m' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'rate(up[400d])', call: instant('rate(up[400d])'), expect: 'invalid_input' },
    { id: 'H-45', name: 'rate(up[32d]) (one day over)', call: instant('rate(up[32d])'), expect: 'invalid_input' },
    { id: 'H-45', name: 'rate(up[1y])', call: instant('rate(up[1y])'), expect: 'invalid_input' },
    { id: 'H-45', name: 'range query of 11,521 points (8d at 1m)', call: ranged('up', { start: 'now-8d', end: 'now', step: '1m' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'range query of 40 days', call: ranged('up', { start: 'now-40d', end: 'now', step: '1h' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'range query from epoch 0', call: ranged('up', { start: '0', end: 'now', step: '1d' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'range query step 500ms', call: ranged('up', { step: '500ms' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'range query step 0s', call: ranged('up', { step: '0s' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'step that is not a duration', call: ranged('up', { step: '1m; drop' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'time and start together', call: ranged('up', { time: 'now' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'metrics_changes over 40 days', call: changes('up', { start: 'now-40d', end: 'now', step: '1h' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'metrics_changes with start after end', call: changes('up', { start: 'now-1h', end: 'now-2h' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'metrics_changes of 23,041 points (7d at 30s)', call: changes('up', { start: 'now-7d', step: '30s' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'metrics_changes max_over_time(up[365d:1s])', call: changes('max_over_time(up[365d:1s])'), expect: 'invalid_input' },
    { id: 'H-45', name: 'metrics_changes rate(up[400d])', call: changes('rate(up[400d])'), expect: 'invalid_input' },
    { id: 'H-47', name: 'prom_discover series over 40 days', call: discover('series', { match: 'up', start: 'now-40d' }), expect: 'invalid_input' },
    { id: 'H-47', name: 'prom_discover labels with start after end', call: discover('labels', { start: 'now-1h', end: 'now-2h' }), expect: 'invalid_input' },
    { id: 'H-47', name: 'prom_discover metrics from epoch 0', call: discover('metrics', { start: '0' }), expect: 'invalid_input' },
  ];
}

/**
 * H-45: a range whose start is not before its end is refused, never turned into another range
 * (SECURITY.md: out-of-range parameters are rejected, never silently clamped).
 */
export function rangeOrderRows(): MetricsRow[] {
  return [
    { id: 'H-45', name: 'range query with start after end (step given)', call: ranged('up', { start: 'now-1h', end: 'now-2h', step: '1m' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'range query with start after end (no step)', call: ranged('up', { start: 'now-1h', end: 'now-2h' }), expect: 'invalid_input' },
    { id: 'H-45', name: 'range query with start equal to end', call: ranged('up', { start: '2026-01-01T10:00:00Z', end: '2026-01-01T10:00:00Z', step: '1m' }), expect: 'invalid_input' },
  ];
}

/** 25 (and 21) selectors of one narrow metric, joined by `+`. */
const manySelectors = (n: number): string => Array.from({ length: n }, (_, i) => `up{job="j${i}"}`).join(' + ');

/** Syntax, control characters, size, selector count, duration arithmetic, misplaced modifiers (P-09). */
export function syntaxRows(): MetricsRow[] {
  const long = `up{job="${'a'.repeat(4_990)}"}`;
  return [
    { id: 'P-09', name: 'unclosed parenthesis', call: instant('sum(rate(up[5m]'), expect: 'invalid_input' },
    { id: 'P-09', name: 'unclosed brace', call: instant('up{job="a"'), expect: 'invalid_input' },
    { id: 'P-09', name: 'trailing garbage', call: instant('up{job="a"} }}'), expect: 'invalid_input' },
    { id: 'P-09', name: 'whitespace only', call: instant('   '), expect: 'invalid_input' },
    { id: 'P-09', name: 'a comment only', call: instant('# up'), expect: 'invalid_input' },
    { id: 'P-09', name: 'empty expr', call: instant(''), expect: 'invalid_input' },
    { id: 'P-09', name: 'control character \\u0001', call: instant('up{job="a"}\u0001'), expect: 'invalid_input' },
    { id: 'P-09', name: 'NUL inside a label value', call: instant('up{job="a\u0000"}'), expect: 'invalid_input' },
    { id: 'P-09', name: 'ANSI escape', call: instant('up{job="a\u001b[31m"}'), expect: 'invalid_input' },
    { id: 'P-09', name: 'DEL', call: instant('up{job="a\u007f"}'), expect: 'invalid_input' },
    { id: 'H-61', name: 'CRLF + header inside a label value', call: instant('up{job="a\r\nX-Scope-OrgID: other"}'), expect: 'invalid_input' },
    { id: 'H-61', name: 'CRLF + header after the expression', call: instant('up\r\nX-Scope-OrgID: other\r\n'), expect: 'invalid_input' },
    { id: 'P-09', name: '5,000-character expression', call: instant(long), expect: 'invalid_input' },
    { id: 'P-09', name: '5,000-character expression (metrics_changes)', call: changes(long), expect: 'invalid_input' },
    { id: 'P-09', name: '5,000-character expression (prom_discover lint)', call: discover('lint', { expr: long }), expect: 'invalid_input' },
    { id: 'P-09', name: '1,005-character match (prom_discover)', call: discover('series', { match: `up{job="${'a'.repeat(995)}"}` }), expect: 'invalid_input' },
    { id: 'P-09', name: '25 selectors', call: instant(manySelectors(25)), expect: 'invalid_input' },
    { id: 'P-09', name: '21 selectors (one over)', call: instant(manySelectors(21)), expect: 'invalid_input' },
    { id: 'P-09', name: '25 selectors (metrics_changes)', call: changes(manySelectors(25)), expect: 'invalid_input' },
    { id: 'P-09', name: 'duration arithmetic in a range [5m+1m]', call: instant('rate(up[5m+1m])'), expect: 'invalid_input' },
    { id: 'P-09', name: 'duration arithmetic in a subquery step [1h:1m*2]', call: instant('max_over_time(up[1h:1m*2])'), expect: 'invalid_input' },
    { id: 'P-09', name: 'duration arithmetic in an offset (1h+1m)', call: instant('up offset (1h+1m)'), expect: 'invalid_input' },
    { id: 'P-09', name: 'a function as a range [step()]', call: instant('rate(up[step()])'), expect: 'invalid_input' },
    { id: 'P-09', name: 'negative range [-5m]', call: instant('rate(up[-5m])'), expect: 'invalid_input' },
    { id: 'P-09', name: 'zero range [0s]', call: instant('rate(up[0s])'), expect: 'invalid_input' },
    { id: 'P-09', name: 'sum(x) offset 1h', call: instant('sum(up) offset 1h'), expect: 'invalid_input' },
    { id: 'P-09', name: 'rate(x[5m]) offset 1h', call: instant('rate(up[5m]) offset 1h'), expect: 'invalid_input' },
    { id: 'P-09', name: 'sum(x) @ end()', call: instant('sum(up) @ end()'), expect: 'invalid_input' },
    { id: 'P-09', name: 'sum(x) offset 1h (metrics_changes)', call: changes('sum(up) offset 1h'), expect: 'invalid_input' },
    { id: 'P-09', name: '@ NaN', call: instant('up @ NaN'), expect: 'invalid_input' },
    { id: 'P-09', name: '@ 1e400', call: instant('up @ 1e400'), expect: 'invalid_input' },
    { id: 'P-09', name: 'metrics_changes syntax error', call: changes('rate(up[5m]'), expect: 'invalid_input' },
    { id: 'P-09', name: 'metrics_changes control character', call: changes('up\u0007'), expect: 'invalid_input' },
    { id: 'P-09', name: 'prom_discover match that is an expression, not a selector', call: discover('series', { match: 'up or {job=~".+"}' }), expect: 'invalid_input' },
    { id: 'P-09', name: 'prom_discover match with a range', call: discover('series', { match: 'up[5m]' }), expect: 'invalid_input' },
    { id: 'P-09', name: 'prom_discover series without match', call: discover('series'), expect: 'invalid_input' },
    { id: 'P-09', name: 'expr and saved together', call: { tool: 'promql_query', args: { expr: 'up', saved: 'pod-restarts' } }, expect: 'invalid_input' },
    { id: 'P-02', name: 'duplicate expr key, the second match-all (raw text)', call: { tool: 'promql_query', raw: '{"expr":"up","expr":"{__name__=~\\".+\\"}"}' }, expect: 'invalid_input' },
    { id: 'P-02', name: 'duplicate match key via an escape (raw text)', call: { tool: 'prom_discover', raw: '{"what":"series","match":"up","m\\u0061tch":"{__name__=~\\".+\\"}"}' }, expect: 'invalid_input' },
    { id: 'H-69', name: '__proto__ in the arguments (raw text)', call: { tool: 'promql_query', raw: '{"expr":"up","__proto__":{"role":"elk_admin_readonly"}}' }, expect: 'invalid_input' },
  ];
}

/** Values a caller might use to reach a write or admin path: each is refused by its argument's own shape. */
export function pathRows(): MetricsRow[] {
  return [
    { id: 'A-12', name: 'prom_discover label_values label ../../admin/tsdb/delete_series', call: discover('label_values', { label: '../../admin/tsdb/delete_series' }), expect: 'invalid_input' },
    { id: 'A-12', name: 'prom_discover label_values label job/values?x=', call: discover('label_values', { label: 'job/values?x=' }), expect: 'invalid_input' },
    { id: 'A-12', name: 'prom_discover metadata metric up/../../-/quit', call: discover('metadata', { metric: 'up/../../-/quit' }), expect: 'invalid_input' },
    { id: 'A-12', name: 'promql_query saved ../../admin', call: { tool: 'promql_query', args: { saved: '../../admin' } }, expect: 'invalid_input' },
    { id: 'A-12', name: 'alerts_active cursor ../silences', call: { tool: 'alerts_active', args: { cursor: '../silences' } }, expect: 'invalid_input' },
    { id: 'A-12', name: 'alerts_active source ../../api/v2/silences', call: { tool: 'alerts_active', args: { source: '../../api/v2/silences' } }, expect: 'invalid_input' },
    { id: 'A-12', name: 'promql_query source /api/v1/admin/tsdb/snapshot', call: { tool: 'promql_query', args: { expr: 'up', source: '/api/v1/admin/tsdb/snapshot' } }, expect: 'invalid_input' },
    { id: 'A-12', name: 'host_facts source -/reload', call: { tool: 'host_facts', args: { source: '-/reload' } }, expect: 'invalid_input' },
    { id: 'A-12', name: 'prom_discover what "write"', call: discover('write'), expect: 'invalid_input' },
  ];
}

/**
 * H-61 / P-12 generalised to every metrics tool: no argument chooses a tenant, a header, a host,
 * a URL or a timeout (unknown properties), and a CRLF-laden value never passes.
 */
export function extraArgRows(): MetricsRow[] {
  const extras: Array<[string, Record<string, unknown>]> = [
    ['tenant "other"', { tenant: 'other' }],
    ['tenant with CRLF + Authorization', { tenant: 'a\r\nAuthorization: Basic YWRtaW46YWRtaW4=' }],
    ['header-like X-Scope-OrgID', { 'X-Scope-OrgID': 'other' }],
    ['headers object', { headers: { 'X-Scope-OrgID': 'other', authorization: 'Basic YWRtaW46YWRtaW4=' } }],
    ['host', { host: 'evil.example:9090' }],
    ['url', { url: 'http://evil.example:9090/api/v1/admin/tsdb/delete_series' }],
    ['timeout "1h"', { timeout: '1h' }],
  ];
  const rows: MetricsRow[] = [];
  for (const { tool, args } of METRIC_TOOLS) {
    for (const [label, extra] of extras) rows.push({ id: label.startsWith('timeout') ? 'P-08' : 'H-61', name: `${tool} + ${label}`, call: { tool, args: { ...args, ...extra } }, expect: 'invalid_input' });
  }
  for (const { tool, args } of METRIC_TOOLS.filter((t) => ['promql_query', 'alerts_active', 'prom_discover'].includes(t.tool))) {
    rows.push({ id: 'H-61', name: `${tool} source with CRLF + X-Scope-OrgID`, call: { tool, args: { ...args, source: 'x\r\nX-Scope-OrgID: other' } }, expect: 'invalid_input' });
    rows.push({ id: 'H-61', name: `${tool} source as a URL`, call: { tool, args: { ...args, source: 'http://evil.example:9090' } }, expect: 'invalid_input' });
  }
  rows.push(
    { id: 'H-61', name: 'host_facts instance with CRLF', call: { tool: 'host_facts', args: { instance: 'a\r\nX-Scope-OrgID: other' } }, expect: 'invalid_input' },
    { id: 'H-61', name: 'host_facts job with NUL', call: { tool: 'host_facts', args: { job: 'node\u0000' } }, expect: 'invalid_input' },
    { id: 'H-61', name: 'prom_discover start with CRLF', call: discover('labels', { start: 'now-1h\r\nX-Scope-OrgID: other' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'promql_query time with CRLF', call: { tool: 'promql_query', args: { expr: 'up', time: 'now\r\nX-Scope-OrgID: other' } }, expect: 'invalid_input' },
    { id: 'H-61', name: 'metrics_changes step with CRLF', call: changes('up', { step: '1m\r\nX' }), expect: 'invalid_input' },
  );
  return rows;
}

/** A hostile alerts_active `filter` or `why` that is refused (the accepted ones are checked against what Alertmanager received). */
export function alertRefusedRows(): MetricsRow[] {
  const am = (args: Record<string, unknown>): ToolCall => ({ tool: 'alerts_active', args });
  return [
    { id: 'P-09', name: 'filter matcher injection: two matchers in one entry', call: am({ filter: ['a="b",c=~".*"'] }), expect: 'invalid_input' },
    { id: 'P-09', name: 'filter with a stray quote: namespace=a",c=~".*', call: am({ filter: ['namespace=a",c=~".*'] }), expect: 'invalid_input' },
    { id: 'P-09', name: 'filter regex bomb (a+)+$', call: am({ filter: ['severity=~"(a+)+$"'] }), expect: 'invalid_input' },
    { id: 'P-09', name: 'filter regex bomb (.*a){25}', call: am({ filter: ['alertname=~"(.*a){25}"'] }), expect: 'invalid_input' },
    { id: 'P-09', name: 'filter regex bomb (a|aa)+$ (overlapping alternation under a quantifier)', call: am({ filter: ['severity=~"(a|aa)+$"'] }), expect: 'invalid_input' },
    { id: 'P-09', name: 'filter value of 10,000 characters (labels)', call: am({ filter: { namespace: 'a'.repeat(10_000) } }), expect: 'invalid_input' },
    { id: 'P-09', name: 'filter matcher of 10,000 characters', call: am({ filter: [`namespace="${'a'.repeat(10_000)}"`] }), expect: 'invalid_input' },
    { id: 'P-09', name: 'why of 10,000 characters', call: am({ why: 'a'.repeat(10_000) }), expect: 'invalid_input' },
    { id: 'P-09', name: 'why labels with a 10,000-character value', call: am({ why: { alertname: 'a'.repeat(10_000) } }), expect: 'invalid_input' },
    { id: 'P-09', name: '11 filter matchers', call: am({ filter: Array.from({ length: 11 }, (_, i) => `l${i}="v"`) }), expect: 'invalid_input' },
    { id: 'P-09', name: '21 filter labels', call: am({ filter: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`l${i}`, 'v'])) }), expect: 'invalid_input' },
    { id: 'H-61', name: 'filter label value with CRLF + header', call: am({ filter: { namespace: 'a\r\nX-Scope-OrgID: other' } }), expect: 'invalid_input' },
    { id: 'H-61', name: 'filter matcher with CRLF + header', call: am({ filter: ['namespace="a\r\nX-Scope-OrgID: other"'] }), expect: 'invalid_input' },
    { id: 'H-61', name: 'why with CRLF', call: am({ why: 'Watchdog\r\nX-Scope-OrgID: other' }), expect: 'invalid_input' },
    { id: 'H-61', name: 'why labels with a bidi override', call: am({ why: { alertname: 'a\u202eb' } }), expect: 'invalid_input' },
    { id: 'P-09', name: 'filter label name that is not a label name', call: am({ filter: { 'a",b="c': 'v' } }), expect: 'invalid_input' },
    { id: 'P-09', name: 'filter with an empty matcher list', call: am({ filter: [] }), expect: 'invalid_input' },
  ];
}

/**
 * The matcher syntax decodes escapes: CR, LF, NUL and a bidi override written as \x0d, \x0a,
 * \u0000 and \u202e inside a quoted value are the characters the filter refuses when sent raw.
 */
export function alertEscapeRows(): MetricsRow[] {
  const am = (filter: string[]): ToolCall => ({ tool: 'alerts_active', args: { filter } });
  return [
    { id: 'H-61', name: 'filter with CR LF written as \\x0d\\x0a (quoted label name: the UTF-8 matcher syntax)', call: am(['"namespace"="a\\x0d\\x0aX-Scope-OrgID: other"']), expect: 'invalid_input' },
    { id: 'H-61', name: 'filter with CR written as \\r (UTF-8 matcher syntax)', call: am(['"namespace"="a\\rb"']), expect: 'invalid_input' },
    { id: 'H-61', name: 'filter with NUL written as \\u0000 (UTF-8 matcher syntax)', call: am(['"namespace"="a\\u0000b"']), expect: 'invalid_input' },
    { id: 'H-61', name: 'filter with a bidi override written as \\u202e (UTF-8 matcher syntax)', call: am(['"namespace"="a\\u202eb"']), expect: 'invalid_input' },
  ];
}
