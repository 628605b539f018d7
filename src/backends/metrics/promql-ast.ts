import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { TelemcpError } from '../../core/errors.js';

/**
 * What a PromQL expression reads, from the grammar the Prometheus UI itself parses with
 * (@prometheus-io/lezer-promql): its selectors with their matchers, ranges, offsets and `@`
 * pins, its subqueries and its function calls. The guard prices a query from this before it
 * runs; the lint reads the calls. Only the shape is read here: evaluation stays Prometheus'.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

export interface Selector {
  /** The selector as written. */
  text: string;
  /** The metric name, when the selector names one (`up`, `{__name__="up"}`, `{"my.metric"}`). */
  metric?: string;
  matchers: Matcher[];
  /** `[5m]` of a range selector. */
  rangeMs?: number;
  /** How far before an evaluation instant this selector reads: its range, enclosing subqueries' ranges and offsets. */
  lookbackMs: number;
  /** Net offset (positive reads the past). */
  offsetMs: number;
  /** `@ <time>` (unix ms), `@ start()`, `@ end()`: the evaluation instant is pinned. */
  at?: number | 'start' | 'end';
}

export interface Subquery {
  text: string;
  rangeMs: number;
  /** Absent: the global evaluation interval. */
  stepMs?: number;
}

export interface Call {
  fn: string;
  /** The range selector a range function reads (`rate(x[5m])`). */
  matrix?: Selector;
  /** The aggregation passed as an argument (`histogram_quantile(0.9, sum by (le) (…))`). */
  aggregation?: { op: string; by?: string[]; without?: string[] };
  /** Metric names of every selector inside the call. */
  metrics: string[];
}

export interface PromqlShape {
  selectors: Selector[];
  subqueries: Subquery[];
  calls: Call[];
  /** Aggregation operators used (`sum`, `topk`, …). */
  aggregations: string[];
  /** Whether any binary operation (arithmetic, comparison, set) is used. */
  binary: boolean;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;

/** A PromQL duration (`1h30m`, `5m`, `300` seconds) in ms; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Number(t) * 1000;
  let total = 0;
  let consumed = 0;
  for (const m of t.matchAll(DURATION_PART)) {
    if (m.index !== consumed) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]];
    consumed += m[0].length;
  }
  return consumed === t.length && consumed > 0 ? total : undefined;
}

/** A Go string literal as PromQL writes it ("…", '…' with escapes, or `raw`). */
function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  const body = literal.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, e: string) => {
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
    if (e.length === 1) return simple[e] ?? e;
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return String.fromCodePoint(parseInt(e.slice(1), 16));
  });
}

const OPS: Record<string, MatchOp> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

function invalid(message: string, hint: string): TelemcpError {
  return new TelemcpError('invalid_input', message, { hint });
}

/** Duration of a DurationExpr / OffsetDurationExpr node; only plain literals (no duration arithmetic). */
function nodeDuration(node: SyntaxNode, src: string): number {
  const text = src.slice(node.from, node.to);
  if (node.name === 'OffsetDurationExpr' && node.firstChild?.name === 'UnaryOp') {
    const inner = node.lastChild!;
    const ms = nodeDuration(inner, src);
    return src.slice(node.firstChild.from, node.firstChild.to) === '-' ? -ms : ms;
  }
  const ms = durationMs(text);
  if (ms === undefined) throw invalid(`The duration ${JSON.stringify(text.slice(0, 40))} is not a plain duration.`, 'Write durations as literals such as 5m or 1h30m; duration arithmetic is not accepted.');
  return ms;
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function matchersOf(node: SyntaxNode, src: string): { matchers: Matcher[]; metric?: string } {
  const matchers: Matcher[] = [];
  let metric: string | undefined;
  const list = children(node).find((c) => c.name === 'LabelMatchers');
  for (const m of list ? children(list) : []) {
    if (m.name === 'QuotedLabelName') {
      // `{"my.metric"}`: a bare quoted name is the metric name (UTF-8 names, Prometheus 3).
      metric = unquote(src.slice(m.from, m.to));
      continue;
    }
    if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
    const parts = children(m);
    const nameNode = parts[0];
    const opNode = parts.find((p) => p.name === 'MatchOp')?.firstChild;
    const valueNode = parts.find((p) => p.name === 'StringLiteral' && p !== nameNode);
    if (!nameNode || !opNode || !valueNode) continue;
    const rawName = src.slice(nameNode.from, nameNode.to);
    const name = nameNode.name === 'QuotedLabelName' ? unquote(rawName) : rawName;
    matchers.push({ name, op: OPS[opNode.name] ?? '=', value: unquote(src.slice(valueNode.from, valueNode.to)) });
  }
  return { matchers, metric };
}

interface Context {
  /** Lookback added by enclosing subqueries and offsets. */
  extraMs: number;
  offsetMs: number;
  at?: Selector['at'];
}

/** The parsed shape of an expression; a syntax error is refused with where it is. */
export function parsePromql(expr: string): PromqlShape {
  const tree = parser.parse(expr);
  let error: { from: number } | undefined;
  tree.iterate({
    enter(n) {
      if (n.type.isError && !error) error = { from: n.from };
      return !error;
    },
  });
  if (error) {
    const at = error.from;
    throw invalid(`PromQL syntax error at character ${at + 1}: ${JSON.stringify(expr.slice(Math.max(0, at - 20), at + 20))}.`, 'Fix the expression; prom_discover lists metric and label names, and lints an expression before it runs.');
  }
  const shape: PromqlShape = { selectors: [], subqueries: [], calls: [], aggregations: [], binary: false };
  const top = tree.topNode.firstChild;
  if (top) visit(top, expr, { extraMs: 0, offsetMs: 0 }, shape);
  return shape;
}

/**
 * `offset` and `@` bind tighter than any operator: in `a and b offset 1h` only `b` is shifted,
 * though the grammar above wraps the whole binary expression. Prometheus accepts them only after
 * a selector or a subquery.
 */
function visitModified(node: SyntaxNode, src: string, outer: Context, inner: Context, shape: PromqlShape): void {
  if (node.name === 'BinaryExpr') {
    const parts = children(node);
    const last = parts[parts.length - 1];
    for (const p of parts) if (p !== last) visit(p, src, outer, shape);
    visitModified(last, src, outer, inner, shape);
    return;
  }
  if (!['VectorSelector', 'MatrixSelector', 'SubqueryExpr'].includes(node.name)) {
    throw invalid(`offset and @ must follow a selector or a subquery, not ${JSON.stringify(src.slice(node.from, node.to).slice(0, 60))}.`, 'Move the modifier onto the selector: sum(rate(x[5m] offset 1h)).');
  }
  visit(node, src, inner, shape);
}

function selectorFrom(node: SyntaxNode, src: string, ctx: Context, rangeMs?: number): Selector {
  const { matchers, metric: quoted } = matchersOf(node, src);
  const ident = children(node).find((c) => c.name === 'Identifier');
  const named = matchers.find((m) => m.name === '__name__' && m.op === '=')?.value;
  const metric = ident ? src.slice(ident.from, ident.to) : (quoted ?? named);
  return {
    text: src.slice(node.from, node.to),
    metric,
    matchers: metric !== undefined && !named ? [{ name: '__name__', op: '=', value: metric }, ...matchers] : matchers,
    ...(rangeMs !== undefined ? { rangeMs } : {}),
    lookbackMs: (rangeMs ?? 0) + ctx.extraMs,
    offsetMs: ctx.offsetMs,
    ...(ctx.at !== undefined ? { at: ctx.at } : {}),
  };
}

function atOf(node: SyntaxNode, src: string): Selector['at'] {
  const pre = children(node).find((c) => c.name === 'AtModifierPreprocessors');
  if (pre) return pre.firstChild?.name === 'AtEnd' ? 'end' : 'start';
  const lit = children(node).find((c) => c.name === 'NumberDurationLiteral');
  const seconds = lit ? Number(src.slice(lit.from, lit.to)) : NaN;
  if (!Number.isFinite(seconds)) throw invalid('The @ modifier takes a unix time in seconds, start() or end().', 'Write foo @ 1767225600, foo @ start() or foo @ end().');
  return seconds * 1000;
}

function visit(node: SyntaxNode, src: string, ctx: Context, shape: PromqlShape): void {
  switch (node.name) {
    case 'VectorSelector':
      shape.selectors.push(selectorFrom(node, src, ctx));
      return;
    case 'MatrixSelector': {
      const [vector, range] = children(node);
      shape.selectors.push(selectorFrom(vector, src, ctx, nodeDuration(range, src)));
      return;
    }
    case 'SubqueryExpr': {
      const parts = children(node);
      const durations = parts.filter((p) => p.name === 'DurationExpr');
      const rangeMs = nodeDuration(durations[0], src);
      const stepMs = durations[1] ? nodeDuration(durations[1], src) : undefined;
      shape.subqueries.push({ text: src.slice(node.from, node.to), rangeMs, ...(stepMs !== undefined ? { stepMs } : {}) });
      visit(parts[0], src, { ...ctx, extraMs: ctx.extraMs + rangeMs }, shape);
      return;
    }
    case 'OffsetExpr':
    case 'StepInvariantExpr': {
      // `x offset 5m @ 100` nests one modifier in the other: gather them, then bind them together.
      let inner = node;
      const modified = { ...ctx };
      while (inner.name === 'OffsetExpr' || inner.name === 'StepInvariantExpr') {
        if (inner.name === 'OffsetExpr') {
          const offset = children(inner).find((p) => p.name === 'OffsetDurationExpr');
          modified.offsetMs += offset ? nodeDuration(offset, src) : 0;
        } else modified.at = atOf(inner, src);
        inner = inner.firstChild!;
      }
      visitModified(inner, src, ctx, modified, shape);
      return;
    }
    case 'FunctionCall': {
      const before = shape.selectors.length;
      const fnNode = children(node).find((c) => c.name === 'FunctionIdentifier');
      const body = children(node).find((c) => c.name === 'FunctionCallBody');
      const args = body ? children(body) : [];
      for (const a of args) visit(a, src, ctx, shape);
      const inside = shape.selectors.slice(before);
      const matrixArg = args.map(unwrapModifiers).find((a) => a.name === 'MatrixSelector');
      const matrixText = matrixArg?.firstChild ? src.slice(matrixArg.firstChild.from, matrixArg.firstChild.to) : undefined;
      const aggArg = args.find((a) => a.name === 'AggregateExpr');
      shape.calls.push({
        fn: fnNode ? src.slice(fnNode.from, fnNode.to) : '',
        ...(matrixArg ? { matrix: inside.find((s) => s.rangeMs !== undefined && s.text === matrixText) } : {}),
        ...(aggArg ? { aggregation: aggregationOf(aggArg, src) } : {}),
        metrics: [...new Set(inside.map((s) => s.metric).filter((m): m is string => m !== undefined))],
      });
      return;
    }
    default:
      if (node.name === 'AggregateExpr') shape.aggregations.push(aggregationOf(node, src).op);
      if (node.name === 'BinaryExpr') shape.binary = true;
      for (const c of children(node)) visit(c, src, ctx, shape);
  }
}

/** `x[5m] offset 1h` and `x[5m] @ end()` are still the range selector a range function reads. */
function unwrapModifiers(node: SyntaxNode): SyntaxNode {
  let n = node;
  while ((n.name === 'OffsetExpr' || n.name === 'StepInvariantExpr') && n.firstChild) n = n.firstChild;
  return n;
}

function aggregationOf(node: SyntaxNode, src: string): NonNullable<Call['aggregation']> {
  const op = children(node).find((c) => c.name === 'AggregateOp');
  const modifier = children(node).find((c) => c.name === 'AggregateModifier');
  const out: NonNullable<Call['aggregation']> = { op: op ? src.slice(op.from, op.to) : '' };
  if (modifier) {
    const labels = children(children(modifier).find((c) => c.name === 'GroupingLabels') ?? modifier)
      .filter((c) => c.name === 'LabelName' || c.name === 'QuotedLabelName')
      .map((c) => (c.name === 'QuotedLabelName' ? unquote(src.slice(c.from, c.to)) : src.slice(c.from, c.to)));
    if (modifier.firstChild?.name === 'Without') out.without = labels;
    else out.by = labels;
  }
  return out;
}
