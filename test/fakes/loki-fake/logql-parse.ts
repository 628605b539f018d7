/**
 * The LogQL subset the Loki contract fake understands, parsed the way Loki's grammar reads it
 * (https://grafana.com/docs/loki/latest/query/log_queries/, …/metric_queries/), with Loki's
 * error texts for what does not parse: `parse error at line L, col C: syntax error: unexpected
 * TOKEN[, expecting …]` (col is 1-based, at the token that did not fit; `$end` past the end),
 * `literal not terminated` at the opening quote, and the column-less `parse error : …` form for
 * semantic refusals (the empty-compatible selector rule). Valid LogQL outside the subset (other
 * parsers, unwrap, other range functions, binary operations, template functions, …) is answered
 * 501 with `not implemented by the Loki contract fake: …`, never evaluated as a different query.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';
export type LineOp = '|=' | '!=' | '|~' | '!~';
export type CmpOp = '=' | '==' | '!=' | '=~' | '!~' | '>' | '>=' | '<' | '<=';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  /** Anchored RE2-compatible pattern for `=~`/`!~`. */
  re?: RegExp;
}

export type LabelPredicate =
  | { kind: 'and' | 'or'; left: LabelPredicate; right: LabelPredicate }
  | { kind: 'string'; matcher: Matcher }
  | { kind: 'number'; name: string; op: CmpOp; value: number }
  | { kind: 'duration'; name: string; op: CmpOp; seconds: number };

export type Stage =
  /** `|= "a" or "b"`: any of the values (for `!=`/`!~`: none of them). */
  | { kind: 'line'; op: LineOp; values: string[]; res?: RegExp[] }
  | { kind: 'json' }
  | { kind: 'logfmt' }
  | { kind: 'filter'; predicate: LabelPredicate }
  | { kind: 'line_format'; template: string }
  | { kind: 'label_format'; items: { dst: string; src?: string; template?: string }[] }
  /** A bare name, or a matcher: the label is kept (dropped) only when its value matches. */
  | { kind: 'keep' | 'drop'; items: (string | Matcher)[] };

export interface LogExpr {
  kind: 'log';
  matchers: Matcher[];
  stages: Stage[];
}

export type RangeFn = 'count_over_time' | 'rate' | 'bytes_over_time' | 'bytes_rate';
export type VectorOp = 'sum' | 'count' | 'min' | 'max' | 'avg' | 'topk' | 'bottomk' | 'sort' | 'sort_desc';

export interface RangeExpr {
  kind: 'range';
  fn: RangeFn;
  log: LogExpr;
  rangeNs: bigint;
  offsetNs: bigint;
}

export interface Grouping {
  without: boolean;
  labels: string[];
}

export interface VectorExpr {
  kind: 'vector';
  op: VectorOp;
  param?: number;
  grouping?: Grouping;
  inner: MetricExpr;
}

export type MetricExpr = RangeExpr | VectorExpr;
export type Expr = LogExpr | MetricExpr;

/** A query Loki refuses, with the status and plain-text body it answers. */
export class LokiQueryError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Valid LogQL the fake does not evaluate: a 501 that names it, so no test mistakes it for Loki's answer. */
export function notImplemented(what: string): LokiQueryError {
  return new LokiQueryError(`not implemented by the Loki contract fake: ${what}`, 501);
}

const EMPTY_SELECTOR =
  'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will';

function syntaxError(col: number, message: string): LokiQueryError {
  return new LokiQueryError(`parse error at line 1, col ${col}: ${message}`);
}

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

/** RANGE is Loki's `[…]` token: the whole bracket, its value the duration inside. */
type TokKind = 'IDENTIFIER' | 'STRING' | 'NUMBER' | 'DURATION' | 'RANGE' | 'OP' | '$end';
interface Token {
  kind: TokKind;
  text: string;
  /** The decoded value of a STRING. */
  value: string;
  col: number;
}

const OPERATORS = ['|=', '|~', '|>', '!>', '!=', '!~', '=~', '==', '>=', '<=', '{', '}', '(', ')', ',', '|', '=', '>', '<', '+', '-', '*', '/', '%', '^'];
const BINARY_OPS = ['+', '-', '*', '/', '%', '^', '==', '!=', '>', '>=', '<', '<='];
const BINARY_WORDS = ['and', 'or', 'unless'];
/** LogQL the fake knows exists but does not evaluate. */
const UNSUPPORTED_STAGES = ['pattern', 'regexp', 'unpack', 'unwrap', 'decolorize', 'distinct', 'sample', 'limit', 'drop_labels'];
const UNSUPPORTED_FUNCTIONS = ['sum_over_time', 'avg_over_time', 'min_over_time', 'max_over_time', 'stddev_over_time', 'stdvar_over_time', 'quantile_over_time', 'first_over_time', 'last_over_time', 'absent_over_time', 'rate_counter', 'approx_topk', 'stddev', 'stdvar', 'label_replace', 'vector', 'absent'];
/** The template forms the fake renders; any other `{{ … }}` is a 501. */
export const TEMPLATE_ACTION = /\{\{-?\s*(\.[a-zA-Z_][a-zA-Z0-9_]*|__line__|__timestamp__)\s*-?\}\}/g;
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|w|y))+/;
const NUMBER = /^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/;
const IDENT = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function lex(query: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const col = i + 1;
    if (c === '#') {
      while (i < query.length && query[i] !== '\n') i += 1;
      continue;
    }
    if (c === '[') {
      // Loki's lexer reads a whole range and reports a bad one at line 0 (its scanner's state then).
      const close = query.indexOf(']', i);
      if (close < 0) throw new LokiQueryError(`parse error at line 0, col ${col}: missing closing ']' in duration`);
      const text = query.slice(i + 1, close);
      try {
        parsePromDurationNs(text);
      } catch (err) {
        throw new LokiQueryError(`parse error at line 0, col ${col}: ${(err as Error).message}`);
      }
      out.push({ kind: 'RANGE', text: query.slice(i, close + 1), value: text, col });
      i = close + 1;
      continue;
    }
    if (c === '"' || c === '`') {
      const { value, end } = readString(query, i);
      out.push({ kind: 'STRING', text: query.slice(i, end), value, col });
      i = end;
      continue;
    }
    const rest = query.slice(i);
    const duration = DURATION.exec(rest);
    if (duration && !/[a-zA-Z0-9_]/.test(rest[duration[0].length] ?? '')) {
      out.push({ kind: 'DURATION', text: duration[0], value: duration[0], col });
      i += duration[0].length;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number) {
      out.push({ kind: 'NUMBER', text: number[0], value: number[0], col });
      i += number[0].length;
      continue;
    }
    const ident = IDENT.exec(rest);
    if (ident) {
      out.push({ kind: 'IDENTIFIER', text: ident[0], value: ident[0], col });
      i += ident[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) throw syntaxError(col, `syntax error: unexpected ${c}`);
    out.push({ kind: 'OP', text: op, value: op, col });
    i += op.length;
  }
  out.push({ kind: '$end', text: '$end', value: '', col: query.length + 1 });
  return out;
}

/** A Go string literal: "double-quoted" with escapes, or `raw`. */
function readString(query: string, start: number): { value: string; end: number } {
  const quote = query[start];
  let i = start + 1;
  let value = '';
  while (i < query.length) {
    const c = query[i];
    if (c === quote) return { value, end: i + 1 };
    if (quote === '"' && c === '\n') break;
    if (quote === '"' && c === '\\') {
      const next = query[i + 1];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
      if (next !== undefined && next in simple) {
        value += simple[next];
        i += 2;
        continue;
      }
      const hex = /^(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))/.exec(query.slice(i + 1));
      if (hex) {
        value += String.fromCodePoint(parseInt(hex[1] ?? hex[2] ?? hex[3], 16));
        i += 1 + hex[0].length;
        continue;
      }
      throw new LokiQueryError(`parse error at line 1, col ${start + 1}: invalid char escape`);
    }
    value += c;
    i += 1;
  }
  throw new LokiQueryError(`parse error at line 1, col ${start + 1}: literal not terminated`);
}

// ---------------------------------------------------------------------------
// Durations and regexps
// ---------------------------------------------------------------------------

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
  y: 31_536_000_000_000_000n,
};

/**
 * Prometheus' model.ParseDuration, which Loki uses for ranges, `since` and `step`: whole numbers,
 * units ms s m h d w y from largest to smallest, "0" alone; its error texts.
 */
export function parsePromDurationNs(text: string): bigint {
  if (text === '0') return 0n;
  if (text === '') throw new Error('empty duration string');
  const order = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  let rest = text;
  let last = -1;
  let total = 0n;
  while (rest !== '') {
    const m = /^(\d+)(\D*)/.exec(rest);
    if (!m || m[2] === '') throw new Error(`not a valid duration string: ${JSON.stringify(text)}`);
    const unit = m[2];
    const pos = order.indexOf(unit);
    if (pos < 0) throw new Error(`unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    if (pos <= last) throw new Error(`not a valid duration string: ${JSON.stringify(text)}`);
    last = pos;
    total += BigInt(m[1]) * UNIT_NS[unit];
    rest = rest.slice(m[0].length);
  }
  return total;
}

/**
 * A DURATION token's value (offsets, label filter values): Prometheus' form first, then Go's
 * (`1.5s`, `250us`), as Loki's lexer tries them; undefined when it is neither.
 */
export function parseDurationNs(text: string): bigint | undefined {
  const parts = text.match(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)/g);
  if (!parts || parts.join('') !== text) return undefined;
  let total = 0n;
  for (const part of parts) {
    const [, num, unit] = /^(\d+(?:\.\d+)?)(.+)$/.exec(part) as RegExpExecArray;
    const [whole, frac = ''] = num.split('.');
    const scale = UNIT_NS[unit];
    total += BigInt(whole) * scale;
    if (frac) total += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
  }
  return total;
}

/**
 * A Go RE2 pattern as a JS RegExp. RE2 has no lookarounds and no backreferences: Loki refuses
 * them with Go's regexp error, so the fake does too. `(?i)` and friends at the start become flags.
 */
export function re2(pattern: string, anchored: boolean): RegExp {
  if (/\(\?<?[=!]/.test(pattern)) {
    throw new LokiQueryError(`parse error : error parsing regexp: invalid or unsupported Perl syntax: \`${/\(\?<?[=!]/.exec(pattern)?.[0]}\``);
  }
  if (/\\[1-9]/.test(pattern)) throw new LokiQueryError(`parse error : error parsing regexp: invalid escape sequence: \`${/\\[1-9]/.exec(pattern)?.[0]}\``);
  let flags = 'u';
  let body = pattern.replace(/\(\?P</g, '(?<');
  const lead = /^\(\?([imsU]+)\)/.exec(body);
  if (lead) {
    if (lead[1].includes('i')) flags += 'i';
    if (lead[1].includes('s')) flags += 's';
    if (lead[1].includes('m')) flags += 'm';
    body = body.slice(lead[0].length);
  }
  try {
    return new RegExp(anchored ? `^(?:${body})$` : body, flags);
  } catch {
    throw new LokiQueryError(`parse error : error parsing regexp: invalid regexp: \`${pattern}\``);
  }
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

const RANGE_FNS: readonly string[] = ['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate'];
const VECTOR_OPS: readonly string[] = ['sum', 'count', 'min', 'max', 'avg', 'topk', 'bottomk', 'sort', 'sort_desc'];

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== '$end') this.pos += 1;
    return t;
  }

  private is(text: string): boolean {
    const t = this.peek();
    return t.kind === 'OP' && t.text === text;
  }

  private unexpected(t: Token, expecting?: string[]): LokiQueryError {
    const what = t.kind === 'OP' ? t.text : t.kind;
    return syntaxError(t.col, `syntax error: unexpected ${what}${expecting?.length ? `, expecting ${expecting.join(' or ')}` : ''}`);
  }

  private expectOp(text: string, alternatives?: string[]): Token {
    const t = this.peek();
    if (t.kind === 'OP' && t.text === text) return this.next();
    throw this.unexpected(t, alternatives ?? [text]);
  }

  private expectKind(kind: TokKind): Token {
    const t = this.peek();
    if (t.kind === kind) return this.next();
    throw this.unexpected(t, [kind]);
  }

  parse(): Expr {
    const expr = this.expr();
    const t = this.peek();
    if (t.kind !== '$end') throw this.unexpected(t);
    return expr;
  }

  /** An expression, refusing a binary operation after it (valid LogQL the fake does not evaluate). */
  private expr(): Expr {
    const e = this.operand();
    const t = this.peek();
    if ((t.kind === 'OP' && BINARY_OPS.includes(t.text)) || (t.kind === 'IDENTIFIER' && BINARY_WORDS.includes(t.text))) throw notImplemented(`binary operation ${t.text}`);
    return e;
  }

  private operand(): Expr {
    const t = this.peek();
    if (t.kind === 'OP' && t.text === '{') return this.logExpr();
    if (t.kind === 'IDENTIFIER' && RANGE_FNS.includes(t.text)) return this.rangeExpr();
    if (t.kind === 'IDENTIFIER' && VECTOR_OPS.includes(t.text)) return this.vectorExpr();
    if (t.kind === 'IDENTIFIER' && UNSUPPORTED_FUNCTIONS.includes(t.text)) throw notImplemented(t.text);
    if (t.kind === 'NUMBER') throw notImplemented('literal expressions');
    if (t.kind === 'OP' && t.text === '(') {
      this.next();
      const inner = this.expr();
      this.expectOp(')');
      return inner;
    }
    throw this.unexpected(t);
  }

  private metricExpr(): MetricExpr {
    const t = this.peek();
    const e = this.expr();
    if (e.kind === 'log') throw this.unexpected(t);
    return e;
  }

  private logExpr(): LogExpr {
    const matchers = this.selector();
    const stages: Stage[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'OP') break;
      if (t.text === '|=' || t.text === '!=' || t.text === '|~' || t.text === '!~') {
        this.next();
        const values = [this.lineFilterValue()];
        while (this.peek().kind === 'IDENTIFIER' && this.peek().text === 'or' && this.peek(1).kind === 'STRING') {
          this.next();
          values.push(this.lineFilterValue());
        }
        const op = t.text as LineOp;
        stages.push(op === '|~' || op === '!~' ? { kind: 'line', op, values, res: values.map((v) => re2(v, false)) } : { kind: 'line', op, values });
        continue;
      }
      if (t.text === '|>' || t.text === '!>') throw notImplemented(`pattern line filter ${t.text}`);
      if (t.text === '|') {
        this.next();
        stages.push(this.pipeStage());
        continue;
      }
      break;
    }
    return { kind: 'log', matchers, stages };
  }

  private lineFilterValue(): string {
    const s = this.peek();
    if (s.kind === 'IDENTIFIER' && s.text === 'ip') throw notImplemented('ip() line filter');
    if (s.kind !== 'STRING') throw this.unexpected(s, ['STRING', 'ip']);
    this.next();
    return s.value;
  }

  private template(): string {
    const t = this.expectKind('STRING');
    const rest = t.value.replace(TEMPLATE_ACTION, '');
    if (rest.includes('{{')) throw notImplemented(`template ${JSON.stringify(t.value)} (only {{.label}}, {{ __line__ }} and {{ __timestamp__ }} are rendered)`);
    return t.value;
  }

  private selector(): Matcher[] {
    this.expectOp('{');
    const matchers: Matcher[] = [];
    if (this.is('}')) throw this.unexpected(this.peek(), ['IDENTIFIER']);
    for (;;) {
      const name = this.expectKind('IDENTIFIER').text;
      const opTok = this.peek();
      if (opTok.kind !== 'OP' || !['=', '!=', '=~', '!~'].includes(opTok.text)) throw this.unexpected(opTok, ['=', '!=', '=~', '!~']);
      this.next();
      const value = this.expectKind('STRING').value;
      const op = opTok.text as MatchOp;
      matchers.push(op === '=~' || op === '!~' ? { name, op, value, re: re2(value, true) } : { name, op, value });
      if (this.is(',')) {
        this.next();
        continue;
      }
      const close = this.peek();
      if (close.kind === 'OP' && close.text === '}') {
        this.next();
        break;
      }
      throw this.unexpected(close, ['}', ',']);
    }
    if (!matchers.some((m) => !matchesEmpty(m))) throw new LokiQueryError(EMPTY_SELECTOR);
    return matchers;
  }

  private pipeStage(): Stage {
    const t = this.peek();
    if (t.kind === 'IDENTIFIER') {
      if (UNSUPPORTED_STAGES.includes(t.text)) throw notImplemented(`| ${t.text}`);
      const after = this.peek(1);
      const isComparison = after.kind === 'OP' && ['=', '==', '!=', '=~', '!~', '>', '>=', '<', '<='].includes(after.text);
      if (!isComparison) {
        switch (t.text) {
          case 'json':
          case 'logfmt': {
            this.next();
            const arg = this.peek();
            if (arg.kind === 'IDENTIFIER' || (arg.kind === 'OP' && arg.text === '-')) throw notImplemented(`| ${t.text} with parameters or flags`);
            return { kind: t.text };
          }
          case 'line_format':
            this.next();
            return { kind: 'line_format', template: this.template() };
          case 'label_format':
            this.next();
            return { kind: 'label_format', items: this.labelFormatItems() };
          case 'keep':
          case 'drop':
            this.next();
            return { kind: t.text, items: this.labelList() };
          default:
            break;
        }
      }
      return { kind: 'filter', predicate: this.predicateOr() };
    }
    if (t.kind === 'OP' && t.text === '(') return { kind: 'filter', predicate: this.predicateOr() };
    throw this.unexpected(t);
  }

  private labelFormatItems(): { dst: string; src?: string; template?: string }[] {
    const items: { dst: string; src?: string; template?: string }[] = [];
    for (;;) {
      const dst = this.expectKind('IDENTIFIER').text;
      this.expectOp('=');
      const v = this.peek();
      if (v.kind === 'IDENTIFIER') items.push({ dst, src: this.next().text });
      else if (v.kind === 'STRING') items.push({ dst, template: this.template() });
      else throw this.unexpected(v, ['IDENTIFIER', 'STRING']);
      if (!this.is(',')) return items;
      this.next();
    }
  }

  private labelList(): (string | Matcher)[] {
    const items: (string | Matcher)[] = [];
    for (;;) {
      const name = this.expectKind('IDENTIFIER').text;
      const op = this.peek();
      if (op.kind === 'OP' && ['=', '!=', '=~', '!~'].includes(op.text)) {
        this.next();
        const value = this.expectKind('STRING').value;
        const mop = op.text as MatchOp;
        items.push(mop === '=~' || mop === '!~' ? { name, op: mop, value, re: re2(value, true) } : { name, op: mop, value });
      } else {
        items.push(name);
      }
      if (!this.is(',')) return items;
      this.next();
    }
  }

  /**
   * `and` (or `,`, or juxtaposition) binds tighter than `or`. The LogQL page says predicates run
   * left to right, but Loki's grammar gives `and` precedence (grafana/loki#23902 corrected the
   * docs); the fake follows the engine.
   */
  private predicateOr(): LabelPredicate {
    let left = this.predicateAnd();
    while (this.peek().kind === 'IDENTIFIER' && this.peek().text === 'or') {
      this.next();
      left = { kind: 'or', left, right: this.predicateAnd() };
    }
    return left;
  }

  private predicateAnd(): LabelPredicate {
    let left = this.predicateAtom();
    for (;;) {
      const t = this.peek();
      if ((t.kind === 'IDENTIFIER' && t.text === 'and') || (t.kind === 'OP' && t.text === ',')) {
        this.next();
        left = { kind: 'and', left, right: this.predicateAtom() };
        continue;
      }
      // Loki also reads two filters separated by a space as `and`.
      if (t.kind === 'IDENTIFIER' && t.text !== 'or' && this.peek(1).kind === 'OP') {
        left = { kind: 'and', left, right: this.predicateAtom() };
        continue;
      }
      return left;
    }
  }

  private predicateAtom(): LabelPredicate {
    if (this.is('(')) {
      this.next();
      const inner = this.predicateOr();
      this.expectOp(')');
      return inner;
    }
    const name = this.expectKind('IDENTIFIER').text;
    const opTok = this.peek();
    if (opTok.kind !== 'OP' || !['=', '==', '!=', '=~', '!~', '>', '>=', '<', '<='].includes(opTok.text)) throw this.unexpected(opTok);
    this.next();
    const op = opTok.text as CmpOp;
    const v = this.peek();
    if (v.kind === 'STRING') {
      this.next();
      if (op !== '=' && op !== '!=' && op !== '=~' && op !== '!~') throw this.unexpected(v, ['NUMBER', 'DURATION']);
      const matcher: Matcher = op === '=~' || op === '!~' ? { name, op, value: v.value, re: re2(v.value, true) } : { name, op, value: v.value };
      return { kind: 'string', matcher };
    }
    if (v.kind === 'NUMBER') {
      this.next();
      const unit = this.peek();
      if (unit.kind === 'IDENTIFIER' && unit.col === v.col + v.text.length) throw notImplemented(`bytes label filter ${v.text}${unit.text}`);
      if (op === '=~' || op === '!~') throw this.unexpected(v, ['STRING']);
      return { kind: 'number', name, op, value: Number(v.text) };
    }
    if (v.kind === 'DURATION') {
      this.next();
      if (op === '=~' || op === '!~') throw this.unexpected(v, ['STRING']);
      return { kind: 'duration', name, op, seconds: Number(parseDurationNs(v.text)) / 1e9 };
    }
    if (v.kind === 'IDENTIFIER' && v.text === 'ip') throw notImplemented('ip() label filter');
    throw this.unexpected(v, ['STRING', 'NUMBER', 'DURATION']);
  }

  private rangeExpr(): RangeExpr {
    const fn = this.next().text as RangeFn;
    this.expectOp('(');
    const log = this.logExpr();
    const range = this.expectKind('RANGE');
    const rangeNs = parsePromDurationNs(range.value);
    let offsetNs = 0n;
    if (this.peek().kind === 'IDENTIFIER' && this.peek().text === 'offset') {
      this.next();
      const o = this.expectKind('DURATION');
      offsetNs = parseDurationNs(o.text) ?? 0n;
    }
    const close = this.peek();
    if (!(close.kind === 'OP' && close.text === ')')) throw this.unexpected(close, [')']);
    this.next();
    if (this.peek().kind === 'IDENTIFIER' && (this.peek().text === 'by' || this.peek().text === 'without')) {
      throw new LokiQueryError(`parse error : grouping not allowed for ${fn} aggregation`);
    }
    return { kind: 'range', fn, log, rangeNs, offsetNs };
  }

  private grouping(): Grouping | undefined {
    const t = this.peek();
    if (t.kind !== 'IDENTIFIER' || (t.text !== 'by' && t.text !== 'without')) return undefined;
    this.next();
    this.expectOp('(');
    const labels: string[] = [];
    while (!this.is(')')) {
      labels.push(this.expectKind('IDENTIFIER').text);
      if (this.is(',')) this.next();
      else if (!this.is(')')) throw this.unexpected(this.peek(), [')', ',']);
    }
    this.next();
    return { without: t.text === 'without', labels };
  }

  private vectorExpr(): VectorExpr {
    const op = this.next().text as VectorOp;
    let grouping = this.grouping();
    this.expectOp('(');
    let param: number | undefined;
    const n = this.peek();
    if (n.kind === 'NUMBER' && this.peek(1).kind === 'OP' && this.peek(1).text === ',') {
      this.next();
      this.next();
      // Loki's own checks of the parameter (syntax/ast.go), without a position.
      if (op !== 'topk' && op !== 'bottomk') throw new LokiQueryError(`parse error : unsupported parameter for operation ${op}(${n.text},`);
      if (!/^\d+$/.test(n.text)) throw new LokiQueryError(`parse error : invalid parameter ${op}(${n.text},`);
      param = Number(n.text);
      if (param <= 0) throw new LokiQueryError(`parse error : invalid parameter (must be greater than 0) ${op}(${n.text}`);
    }
    const inner = this.metricExpr();
    this.expectOp(')');
    if ((op === 'topk' || op === 'bottomk') && param === undefined) throw new LokiQueryError(`parse error : parameter required for operation ${op}`);
    const after = this.grouping();
    if (after) {
      if (grouping) throw this.unexpected(this.peek());
      grouping = after;
    }
    if ((op === 'sort' || op === 'sort_desc') && grouping) throw new LokiQueryError(`parse error : grouping not allowed for ${op} aggregation`);
    return { kind: 'vector', op, param, grouping, inner };
  }
}

/** Whether a stream-selector matcher accepts the empty value (Loki's "empty-compatible"). */
function matchesEmpty(m: Matcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return (m.re as RegExp).test('');
    case '!~':
      return !(m.re as RegExp).test('');
  }
}

export function parseLogQL(query: string): Expr {
  return new Parser(lex(query)).parse();
}
