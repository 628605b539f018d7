import { TelemcpError } from '../../core/errors.js';
import type { PrometheusApi } from './prometheus.js';
import { NAME_PROBES, compiledLabelRegex, matchesEveryValue } from '../label-regex.js';
import { parsePromql, type Matcher, type Selector } from './promql-ast.js';

/** A PromQL evaluation a tool is about to run: instant at `time`, or a range with `start`/`end`/`step` (unix ms). */
export interface PromqlRequest {
  expr: string;
  time?: number;
  start?: number;
  end?: number;
  stepMs?: number;
}

/** What the guard approved: the expression, the server's timeout and the cost it measured. */
export interface ApprovedPromql {
  expr: string;
  kind: 'instant' | 'range';
  time?: number;
  start?: number;
  end?: number;
  stepMs?: number;
  /** Sent as the query's `timeout`: set by the server from the instance's timeout, never by the caller. */
  timeout: string;
  /** Counted before the query ran: series its selectors match over the window, and points it evaluates per series. */
  estimate: { series: number; points_per_series: number; samples: number };
}

export interface PromqlLimits {
  timeoutMs: number;
  maxSeries: number;
  maxSamples: number;
  maxRangeMs: number;
}

/** Prometheus refuses a range query of more than 11,000 points per series; so does telemcp, before sending it, and for subqueries too. */
export const MAX_POINTS = 11_000;
export const MAX_EXPR_CHARS = 4_000;
const MAX_SELECTORS = 20;
/** Prometheus' default lookback for an instant selector (--query.lookback-delta). */
const LOOKBACK_DELTA_MS = 300_000;
const DEFAULT_SUBQUERY_STEP_MS = 60_000;
const DAY_MS = 86_400_000;

export const DEFAULT_PROMQL_LIMITS = { maxSeries: 10_000, maxSamples: 20_000_000, maxRangeMs: 31 * DAY_MS } as const;

function invalid(message: string, hint: string): TelemcpError {
  return new TelemcpError('invalid_input', message, { hint });
}

/** Whether a matcher accepts the empty value (a label the series does not have). */
function matchesEmpty(m: Matcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return compiledLabelRegex(m.value)?.test('') ?? false;
    case '!~':
      return !(compiledLabelRegex(m.value)?.test('') ?? true);
  }
}

/** A matcher narrows the series set: an equality to a value, or a regex that does not match every value. */
function narrows(m: Matcher): boolean {
  if (m.op === '=') return m.value !== '';
  if (m.op === '=~') return !matchesEveryValue(m.value, m.name === '__name__' ? NAME_PROBES : undefined) && !matchesEmpty(m);
  return false;
}

/** Refuses a selector Prometheus would refuse (no matcher needs a value) and one that matches every series. */
export function checkSelector(s: Selector): void {
  if (s.matchers.length && s.matchers.every(matchesEmpty)) {
    throw invalid(`The selector ${s.text.slice(0, 80)} has no matcher that requires a value; Prometheus refuses it.`, 'Name a metric or add a matcher such as job="api".');
  }
  if (!s.matchers.some(narrows)) {
    throw new TelemcpError('query_denied', `The selector ${s.text.slice(0, 80)} matches every series.`, {
      hint: 'Name a metric (prom_discover lists them) or add a matcher with a value, such as {job="api"}; telemcp never reads every series.',
    });
  }
}

function fmtDuration(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** The shape checks that need no backend: syntax, selectors that match everything, ranges, subqueries and the query's own points. */
export function checkPromqlShape(req: PromqlRequest, limits: Pick<PromqlLimits, 'maxRangeMs'>): { selectors: Selector[]; kind: 'instant' | 'range'; points: number } {
  if (req.expr.length > MAX_EXPR_CHARS) throw invalid(`The expression is ${req.expr.length} characters; at most ${MAX_EXPR_CHARS} are accepted.`, 'Shorten the expression or split it into several queries.');
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(req.expr)) throw invalid('The expression contains control characters.', 'Send the PromQL text only.');
  const shape = parsePromql(req.expr);
  if (shape.selectors.length > MAX_SELECTORS) throw invalid(`The expression has ${shape.selectors.length} selectors; at most ${MAX_SELECTORS} are accepted.`, 'Split it into several queries.');
  for (const s of shape.selectors) {
    checkSelector(s);
    if ((s.rangeMs ?? 0) > limits.maxRangeMs) throw invalid(`The range [${fmtDuration(s.rangeMs!)}] of ${s.text.slice(0, 60)} is longer than ${fmtDuration(limits.maxRangeMs)}.`, `Use a range of ${fmtDuration(limits.maxRangeMs)} or less.`);
    if (s.rangeMs === 0) throw invalid(`The range of ${s.text.slice(0, 60)} is zero.`, 'Use a range such as [5m].');
  }
  for (const q of shape.subqueries) {
    const step = q.stepMs ?? req.stepMs ?? DEFAULT_SUBQUERY_STEP_MS;
    if (q.rangeMs > limits.maxRangeMs) throw invalid(`The subquery ${q.text.slice(0, 60)} spans ${fmtDuration(q.rangeMs)}; at most ${fmtDuration(limits.maxRangeMs)}.`, 'Shorten the subquery range.');
    if (step <= 0 || q.rangeMs / step > MAX_POINTS) {
      throw invalid(`The subquery ${q.text.slice(0, 60)} evaluates ${Math.round(q.rangeMs / Math.max(step, 1))} points per step; at most ${MAX_POINTS}.`, `Use a coarser subquery step (at least ${fmtDuration(Math.ceil(q.rangeMs / MAX_POINTS / 1000) * 1000)} for this range) or a shorter range.`);
    }
  }
  const ranged = req.start !== undefined || req.end !== undefined || req.stepMs !== undefined;
  if (!ranged) return { selectors: shape.selectors, kind: 'instant', points: 1 };
  const { start, end, stepMs } = req;
  if (start === undefined || end === undefined || stepMs === undefined) throw invalid('A range query needs start, end and step together.', 'Pass all three, or only time for an instant query.');
  if (!(end > start)) throw invalid('end must be after start.', 'Swap them, or use start now-1h with end now.');
  if (stepMs < 1000) throw invalid('step must be at least 1s.', 'Use a step such as 30s or 1m.');
  if (end - start > limits.maxRangeMs) throw invalid(`The range is ${fmtDuration(end - start)}; at most ${fmtDuration(limits.maxRangeMs)}.`, 'Narrow start/end.');
  const points = Math.floor((end - start) / stepMs) + 1;
  if (points > MAX_POINTS) throw invalid(`start/end/step give ${points} points per series; at most ${MAX_POINTS}.`, `Use a step of at least ${fmtDuration(Math.ceil((end - start) / (MAX_POINTS - 1) / 1000) * 1000)} for this range.`);
  return { selectors: shape.selectors, kind: 'range', points };
}

/** The window a selector reads series from, for counting them. */
function readWindow(s: Selector, from: number, to: number): { start: number; end: number } {
  const lookback = s.rangeMs === undefined ? s.lookbackMs + LOOKBACK_DELTA_MS : s.lookbackMs;
  if (typeof s.at === 'number') return { start: s.at - s.offsetMs - lookback, end: s.at - s.offsetMs };
  const at = s.at === 'start' ? from : s.at === 'end' ? to : undefined;
  return { start: (at ?? from) - s.offsetMs - lookback, end: (at ?? to) - s.offsetMs };
}

/** A selector in the canonical form the series API takes. */
export function selectorText(s: Selector): string {
  // Quoted label names are Prometheus 3 syntax (UTF-8 names); older servers and other
  // implementations read only plain names, so a name is quoted only when it must be.
  const name = (n: string) => (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n) ? n : JSON.stringify(n));
  return `{${s.matchers.map((m) => `${name(m.name)}${m.op}${JSON.stringify(m.value)}`).join(',')}}`;
}

/**
 * Approves a PromQL evaluation: the shape checks, then the series each selector matches over
 * the window it reads are counted (the series API, capped one past the limit) and the query is
 * refused, naming the limit, when it would read too many series or evaluate too many samples.
 * The query's timeout is the server's.
 */
export async function guardPromql(api: PrometheusApi, req: PromqlRequest, limits: PromqlLimits, signal: AbortSignal): Promise<ApprovedPromql> {
  const { selectors, kind, points } = checkPromqlShape(req, limits);
  const from = kind === 'range' ? req.start! : (req.time ?? Date.now());
  const to = kind === 'range' ? req.end! : from;
  const series = await countSelectorSeries(api, selectors, { from, to }, limits.maxSeries, signal);
  if (series > limits.maxSeries) {
    throw invalid(`The selectors match more than ${limits.maxSeries} series over the window; at most ${limits.maxSeries} are read.`, 'Add matchers (job, namespace, instance) or aggregate a narrower selector; prom_discover counts the series of a selector.');
  }
  const samples = series * points;
  if (samples > limits.maxSamples) {
    throw invalid(`${series} series × ${points} points = ${samples} samples; at most ${limits.maxSamples} are evaluated per query.`, 'Use a coarser step, a shorter range or narrower selectors.');
  }
  const timeoutS = Math.max(1, Math.floor(limits.timeoutMs / 1000) - 1);
  return {
    expr: req.expr,
    kind,
    ...(kind === 'range' ? { start: req.start, end: req.end, stepMs: req.stepMs } : { time: from }),
    timeout: `${timeoutS}s`,
    estimate: { series, points_per_series: points, samples },
  };
}

/**
 * Series the selectors of an expression match over the windows they read (evaluated from
 * `from` to `to`), summed over distinct selectors: the input a query costs. Counting stops one
 * past `cap` per selector.
 */
export async function countSelectorSeries(api: PrometheusApi, selectors: readonly Selector[], at: { from: number; to: number }, cap: number, signal: AbortSignal): Promise<number> {
  const distinct = new Map<string, { start: number; end: number }>();
  for (const s of selectors) {
    const key = selectorText(s);
    const w = readWindow(s, at.from, at.to);
    const prev = distinct.get(key);
    distinct.set(key, prev ? { start: Math.min(prev.start, w.start), end: Math.max(prev.end, w.end) } : w);
  }
  const counts = await Promise.all([...distinct].map(([match, w]) => countSeries(api, match, w, cap, signal)));
  return counts.reduce((a, b) => a + b, 0);
}

/** Series one selector matches in a window, counting at most `cap + 1` (a server that ignores `limit` is still bounded by the response cap). */
async function countSeries(api: PrometheusApi, match: string, w: { start: number; end: number }, cap: number, signal: AbortSignal): Promise<number> {
  try {
    const { data } = await api.get<unknown[]>('/api/v1/series', { 'match[]': [match], start: String(w.start / 1000), end: String(w.end / 1000), limit: String(cap + 1) }, signal);
    return Array.isArray(data) ? data.length : 0;
  } catch (err) {
    if (err instanceof TelemcpError && err.code === 'response_too_large') return cap + 1;
    throw err;
  }
}
