/**
 * Evaluation of the parsed LogQL subset over the fake's store, with Loki's semantics:
 *
 * - Log queries select entries with start ≤ ts < end (query_range: "greater or equal to start",
 *   "lower than end"); the pipeline runs per entry over stream labels + structured metadata +
 *   parsed labels; the answer's streams are the distinct final label sets.
 * - Range aggregations at each step t take the entries with t − offset − range < ts ≤ t − offset:
 *   lower bound exclusive, upper bound inclusive (Loki's range_vector.go: "the lower bound of the
 *   range is not inclusive"; the same left-open window as Prometheus range selectors). Steps are
 *   start, start+step, … while ≤ end. A series with no entry in a window has no point there.
 * - `rate` = count / range seconds, `bytes_rate` = bytes / range seconds (no extrapolation).
 */
import type { Expr, Grouping, LabelPredicate, LogExpr, Matcher, MetricExpr, Stage } from './logql-parse.js';
import { LokiQueryError, TEMPLATE_ACTION } from './logql-parse.js';
import { jsonFields } from './json-fields.js';
import { compareLabels, labelsString, type StoredStream } from './store.js';

export interface LogLine {
  ts: bigint;
  line: string;
  labels: Record<string, string>;
  /** The stored stream's identity: orders ties between streams. */
  streamKey: string;
  /** Position in its stream: orders ties within a stream. */
  seq: number;
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

function matchValue(m: Matcher, value: string): boolean {
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return (m.re as RegExp).test(value);
    case '!~':
      return !(m.re as RegExp).test(value);
  }
}

export function selectorMatches(matchers: Matcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => matchValue(m, labels[m.name] ?? ''));
}

/** Loki sanitises parsed keys into label names: anything outside [a-zA-Z0-9_] becomes `_`. */
function sanitize(key: string): string {
  const s = key.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/**
 * A parser's labels, as documented: a key that collides with a stream label gets the
 * `_extracted` suffix; a key the same line gives twice keeps its first value.
 */
function addParsed(labels: Record<string, string>, streamLabels: Record<string, string>, pairs: [string, string][]): void {
  const seen = new Set<string>();
  for (const [key, value] of pairs) {
    const sanitized = sanitize(key);
    const name = sanitized in streamLabels ? `${sanitized}_extracted` : sanitized;
    if (sanitized === '' || seen.has(name)) continue;
    seen.add(name);
    labels[name] = value;
  }
}

/** logfmt pairs, non-strict as Loki's default; undefined for an unterminated quoted value. */
function parseLogfmt(line: string): [string, string][] | undefined {
  const out: [string, string][] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i += 1;
    if (i >= line.length) break;
    let key = '';
    while (i < line.length && line[i] !== '=' && line[i] !== ' ') key += line[i++];
    if (key === '') return undefined;
    // A key without a value is skipped (Loki keeps it only with --keep-empty).
    if (line[i] !== '=') continue;
    i += 1;
    let value = '';
    if (line[i] === '"') {
      i += 1;
      let closed = false;
      while (i < line.length) {
        if (line[i] === '\\' && i + 1 < line.length) {
          const n = line[i + 1];
          value += n === 'n' ? '\n' : n === 't' ? '\t' : n;
          i += 2;
          continue;
        }
        if (line[i] === '"') {
          closed = true;
          i += 1;
          break;
        }
        value += line[i++];
      }
      if (!closed) return undefined;
    } else {
      while (i < line.length && line[i] !== ' ') value += line[i++];
    }
    out.push([key, value]);
  }
  return out;
}

const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
function goDurationSeconds(text: string): number | undefined {
  if (!GO_DURATION.test(text)) return undefined;
  const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const [, n, u] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(n) * unit[u];
  return total;
}

function compare(op: string, a: number, b: number): boolean {
  switch (op) {
    case '=':
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    default:
      return a <= b;
  }
}

/** true: keep the line. A value that does not convert keeps it with `__error__=LabelFilterErr`. */
function evalPredicate(p: LabelPredicate, labels: Record<string, string>): boolean {
  switch (p.kind) {
    case 'and':
      return evalPredicate(p.left, labels) && evalPredicate(p.right, labels);
    case 'or':
      return evalPredicate(p.left, labels) || evalPredicate(p.right, labels);
    case 'string':
      return matchValue(p.matcher, labels[p.matcher.name] ?? '');
    case 'number':
    case 'duration': {
      const raw = labels[p.name];
      if (raw === undefined) return false;
      const v = p.kind === 'number' ? (raw.trim() === '' ? NaN : Number(raw)) : goDurationSeconds(raw);
      if (v === undefined || Number.isNaN(v)) {
        labels.__error__ ??= 'LabelFilterErr';
        return true;
      }
      return compare(p.op, v, p.kind === 'number' ? p.value : p.seconds);
    }
  }
}

/** The simple Go templates the fake renders: `{{.name}}`, `{{ __line__ }}`, `{{ __timestamp__ }}`. */
function render(template: string, labels: Record<string, string>, line: string, ts: bigint): string {
  return template.replace(TEMPLATE_ACTION, (_, ref: string) => {
    if (ref === '__line__') return line;
    if (ref === '__timestamp__') return new Date(Number(ts / 1_000_000n)).toISOString();
    return labels[ref.slice(1)] ?? '';
  });
}

/** Runs the pipeline on one entry: its final line and labels, or undefined when filtered out. */
function runPipeline(stages: Stage[], streamLabels: Record<string, string>, metadata: Record<string, string>, line0: string, ts: bigint): { line: string; labels: Record<string, string> } | undefined {
  let line = line0;
  const labels: Record<string, string> = { ...streamLabels, ...metadata };
  for (const stage of stages) {
    switch (stage.kind) {
      case 'line': {
        const hit = stage.res ? stage.res.some((re) => re.test(line)) : stage.values.some((v) => line.includes(v));
        if (stage.op === '|=' || stage.op === '|~' ? !hit : hit) return undefined;
        break;
      }
      case 'json': {
        const pairs = jsonFields(line);
        // The details text is the fake's own: Loki's comes from its JSON library and varies.
        if (!pairs) {
          labels.__error__ = 'JSONParserErr';
          labels.__error_details__ = 'Value looks like object, but can\'t find closing \'}\' symbol';
          break;
        }
        addParsed(labels, streamLabels, pairs);
        break;
      }
      case 'logfmt': {
        const pairs = parseLogfmt(line);
        if (!pairs) {
          labels.__error__ = 'LogfmtParserErr';
          labels.__error_details__ = 'logfmt syntax error: unterminated quoted value';
          break;
        }
        addParsed(labels, streamLabels, pairs);
        break;
      }
      case 'filter':
        if (!evalPredicate(stage.predicate, labels)) return undefined;
        break;
      case 'line_format':
        line = render(stage.template, labels, line, ts);
        break;
      case 'label_format':
        for (const item of stage.items) {
          if (item.src !== undefined) {
            labels[item.dst] = labels[item.src] ?? '';
            if (item.src !== item.dst) delete labels[item.src];
          } else {
            labels[item.dst] = render(item.template ?? '', labels, line, ts);
          }
        }
        break;
      case 'keep':
        for (const name of Object.keys(labels)) {
          const item = stage.items.find((i) => (typeof i === 'string' ? i : i.name) === name);
          if (item === undefined || (typeof item !== 'string' && !matchValue(item, labels[name]))) delete labels[name];
        }
        break;
      case 'drop':
        for (const item of stage.items) {
          const name = typeof item === 'string' ? item : item.name;
          if (labels[name] !== undefined && (typeof item === 'string' || matchValue(item, labels[name]))) delete labels[name];
        }
        break;
    }
  }
  return { line, labels };
}

/**
 * Every entry of the selected streams in the window, piped: `[from, to)` for a log query,
 * `(from, to]` for a range aggregation.
 */
function select(streams: StoredStream[], expr: LogExpr, from: bigint, to: bigint, window: 'log' | 'range'): LogLine[] {
  const out: LogLine[] = [];
  const inside = window === 'log' ? (ts: bigint) => ts >= from && ts < to : (ts: bigint) => ts > from && ts <= to;
  for (const stream of streams) {
    if (!selectorMatches(expr.matchers, stream.labels)) continue;
    stream.entries.forEach((e, seq) => {
      if (!inside(e.ts)) return;
      const piped = runPipeline(expr.stages, stream.labels, e.metadata, e.line, e.ts);
      if (piped) out.push({ ts: e.ts, line: piped.line, labels: piped.labels, streamKey: stream.key, seq });
    });
  }
  return out;
}

export interface LogRead {
  start: bigint;
  end: bigint;
  limit: number;
  direction: 'forward' | 'backward';
  /** ns; when > 0, a line is returned only `interval` or more after (before, backward) the last one returned. */
  interval: bigint;
}

/** The log lines a log query returns over [start, end), newest first (backward) or oldest first, at most `limit`. */
export function evalLogQuery(streams: StoredStream[], expr: LogExpr, read: LogRead): LogLine[] {
  const lines = select(streams, expr, read.start, read.end, 'log');
  // Ties: between streams, by the stored stream's label string (Loki's heap iterator); within
  // one, push order, reversed when reading backward as Loki walks a stream from its end.
  const sign = read.direction === 'forward' ? 1 : -1;
  lines.sort((a, b) => {
    if (a.ts !== b.ts) return a.ts < b.ts ? -sign : sign;
    if (a.streamKey !== b.streamKey) return a.streamKey < b.streamKey ? -1 : 1;
    return sign * (a.seq - b.seq);
  });
  const out: LogLine[] = [];
  let last: bigint | undefined;
  for (const l of lines) {
    if (out.length >= read.limit) break;
    if (read.interval > 0n && last !== undefined && (sign > 0 ? l.ts < last + read.interval : l.ts > last - read.interval)) continue;
    out.push(l);
    last = l.ts;
  }
  return out;
}

const NS_PER_S = 1_000_000_000;

type RangeExpr = Extract<MetricExpr, { kind: 'range' }>;

/** One series of a range aggregation: its lines' timestamps in order and their bytes as prefix sums. */
interface RangeSeries {
  labels: Record<string, string>;
  ts: bigint[];
  cumBytes: number[];
}

/**
 * Every range aggregation of a metric query, its pipeline run once over all the lines any step
 * can read, so each step is two binary searches per series instead of a new scan.
 */
export type PreparedRanges = Map<RangeExpr, RangeSeries[]>;

export function prepareRanges(streams: StoredStream[], expr: MetricExpr, firstT: bigint, lastT: bigint, ranges: PreparedRanges = new Map()): PreparedRanges {
  if (expr.kind === 'vector') return prepareRanges(streams, expr.inner, firstT, lastT, ranges);
  const lines = select(streams, expr.log, firstT - expr.offsetNs - expr.rangeNs, lastT - expr.offsetNs, 'range');
  lines.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  const series = new Map<string, RangeSeries>();
  for (const l of lines) {
    // Loki fails a metric query whose samples still carry a pipeline error.
    if (l.labels.__error__ !== undefined) {
      const err = l.labels.__error__;
      throw new LokiQueryError(
        `pipeline error: '${err}' for series: '${labelsString(l.labels)}'.\n` +
          `Use a label filter to intentionally skip this error. (e.g | __error__!="${err}").\n` +
          'To skip all potential errors you can match empty errors.(e.g __error__="")\n' +
          'The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__="" )\n',
      );
    }
    const key = labelsString(l.labels);
    let s = series.get(key);
    if (!s) series.set(key, (s = { labels: l.labels, ts: [], cumBytes: [0] }));
    s.ts.push(l.ts);
    s.cumBytes.push(s.cumBytes[s.cumBytes.length - 1] + Buffer.byteLength(l.line));
  }
  ranges.set(expr, [...series.values()]);
  return ranges;
}

/** The index of the first timestamp > t. */
function upperBound(ts: bigint[], t: bigint): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function rangeSamples(ranges: PreparedRanges, expr: RangeExpr, t: bigint): Sample[] {
  const through = t - expr.offsetNs;
  const seconds = Number(expr.rangeNs) / NS_PER_S;
  const out: Sample[] = [];
  for (const s of ranges.get(expr) ?? []) {
    const lo = upperBound(s.ts, through - expr.rangeNs);
    const hi = upperBound(s.ts, through);
    const count = hi - lo;
    if (count === 0) continue;
    const bytes = s.cumBytes[hi] - s.cumBytes[lo];
    const value = expr.fn === 'count_over_time' ? count : expr.fn === 'rate' ? count / seconds : expr.fn === 'bytes_over_time' ? bytes : bytes / seconds;
    out.push({ labels: s.labels, value });
  }
  return out;
}

function groupLabels(labels: Record<string, string>, grouping: Grouping | undefined): Record<string, string> {
  if (!grouping) return {};
  const out: Record<string, string> = {};
  if (grouping.without) {
    for (const [k, v] of Object.entries(labels)) if (!grouping.labels.includes(k)) out[k] = v;
  } else {
    for (const k of grouping.labels) if (labels[k] !== undefined && labels[k] !== '') out[k] = labels[k];
  }
  return out;
}

/** The instant vector of a metric expression at time t (ns). */
export function evalVector(ranges: PreparedRanges, expr: MetricExpr, t: bigint): Sample[] {
  if (expr.kind === 'range') return rangeSamples(ranges, expr, t);
  const inner = evalVector(ranges, expr.inner, t);
  if (expr.op === 'sort' || expr.op === 'sort_desc') {
    const sign = expr.op === 'sort' ? 1 : -1;
    return [...inner].sort((a, b) => sign * (a.value - b.value));
  }
  const groups = new Map<string, { labels: Record<string, string>; samples: Sample[] }>();
  for (const s of inner) {
    const labels = groupLabels(s.labels, expr.grouping);
    const key = labelsString(labels);
    const g = groups.get(key) ?? { labels, samples: [] };
    g.samples.push(s);
    groups.set(key, g);
  }
  const out: Sample[] = [];
  for (const { labels, samples } of groups.values()) {
    const values = samples.map((s) => s.value);
    switch (expr.op) {
      case 'sum':
        out.push({ labels, value: values.reduce((a, b) => a + b, 0) });
        break;
      case 'count':
        out.push({ labels, value: values.length });
        break;
      case 'min':
        out.push({ labels, value: Math.min(...values) });
        break;
      case 'max':
        out.push({ labels, value: Math.max(...values) });
        break;
      case 'avg':
        out.push({ labels, value: values.reduce((a, b) => a + b, 0) / values.length });
        break;
      case 'topk':
      case 'bottomk': {
        const sign = expr.op === 'topk' ? -1 : 1;
        const ranked = [...samples].sort((a, b) => sign * (a.value - b.value) || compareLabels(a.labels, b.labels));
        out.push(...ranked.slice(0, expr.param ?? 1));
        break;
      }
    }
  }
  return out;
}

export function isMetric(expr: Expr): expr is MetricExpr {
  return expr.kind !== 'log';
}

/** Whether an instant answer keeps its value order: a sort or sort_desc anywhere in it (Loki's Sortable); else it is sorted by labels. */
export function ordersItsAnswer(expr: MetricExpr): boolean {
  if (expr.kind === 'range') return false;
  return expr.op === 'sort' || expr.op === 'sort_desc' || ordersItsAnswer(expr.inner);
}
