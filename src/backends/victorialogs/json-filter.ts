/**
 * The JSON filter form for VictoriaLogs, compiled to a LogsQL filter. A model writes
 * `{"level": "error", "status": {"_gte": 500}, "_or": [...]}`; this module validates that
 * against one zod schema and emits LogsQL in which the model chose the *shape* of the filter,
 * never a byte of its *syntax*. Pure: no I/O, no backend, no clock.
 *
 * Operator → LogsQL (checked on VictoriaLogs 1.52.2, see test/unit/victorialogs-json-filter.test.ts):
 *
 *   {f: v} / {f: {_eq: v}}      "f":="v"            exact value (numbers and booleans as their text;
 *                                                    "" matches an empty or absent field)
 *   {f: {_neq: v}}               (NOT "f":="v")      also matches logs without f
 *   {f: {_contains: s}}          "f":*"s"*           substring (not word-based)
 *   {f: {_starts_with: s}}       "f":="s"*           exact prefix of the whole value
 *   {f: {_ends_with: s}}         "f":~"<re2 quoted s>$"   LogsQL has no suffix filter
 *   {f: {_regex: re}}            "f":~"re"           RE2, unanchored (matches anywhere); not parsed
 *                                                    here: VictoriaLogs answers 400 for bad RE2
 *   {f: {_gt|_gte|_lt|_lte: n}}  "f":>"n" …          numeric range comparison
 *   {f: {_in: [a, b]}}           "f":in("a", "b")    exact, any of
 *   {f: {_nin: [a, b]}}          (NOT "f":in("a", "b"))   also matches logs without f
 *   {f: {_exists: true}}         "f":*               non-empty value
 *   {f: {_exists: false}}        "f":""              empty or absent (same as _missing: true)
 *   {_search: "p"}               "_msg":"p"          phrase (word-aligned) in the message
 *   {_and: [a, b]} / several keys  (a AND b)
 *   {_or: [a, b]}                (a OR b)
 *   {_not: a}                    (NOT a)
 *
 * Why it is written this way (each choice fail-closed):
 * - Every field name and every value is emitted as a double-quoted LogsQL string literal, even
 *   when it looks harmless. The LogsQL lexer decodes such literals with Go's strconv.Unquote and
 *   treats a quoted token as a literal, never as a keyword (`options`, `or`, `in`, `*`, `|`, `(`).
 *   quoteLogsqlString produces exactly the escapes Go decodes back to the original text, and
 *   escapes every control and format character, so no newline, `#` comment or quote can end the
 *   literal early.
 * - Field names are still limited to a plain charset (FIELD_NAME), so the query stays readable
 *   and nothing depends on the quoting alone; `_time`, `_stream` and `_stream_id` are refused
 *   because the LogsQL parser special-cases those names even when quoted (the tool sets the
 *   time range itself; stream selectors are not part of this form).
 * - Every compound (AND, OR, NOT) is parenthesised and every leaf is a single `field:filter`
 *   term, so the result is one atom: a caller can write `_time:1h AND <filter> | limit 10`
 *   without precedence surprises.
 * - Numbers in comparisons are finite JSON numbers only, written as JavaScript prints them and
 *   quoted. VictoriaLogs parses a quoted bound as a number when it can and silently falls back to
 *   a lexicographic string comparison when it cannot: accepting strings (dates, `10KiB`) here
 *   would make the meaning depend on the value's spelling, so they are refused.
 * - Output follows the input's key order, so the same filter always compiles to the same text.
 * - Bounds (depth, terms, value length, list length, output length) are checked before anything
 *   is sent; depth is checked on the raw input before zod descends into it.
 */
import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { PROTOTYPE_KEYS, quoteForMessage } from '../../security/strict-json.js';

export const JSON_FILTER_LIMITS = Object.freeze({
  /** Filters nest at most this many levels via _and/_or/_not (the top-level filter is level 1). */
  maxDepth: 8,
  /** Most terms in one filter: one per operator, one per _in/_nin value, one per _search. */
  maxTerms: 100,
  /** Longest string value, regexp or _search phrase, in UTF-16 code units. */
  maxValueChars: 1000,
  /** Most values in one _in/_nin list. */
  maxInValues: 100,
  /**
   * Largest compiled LogsQL text in UTF-8 bytes (escaping can multiply a value's length).
   * VictoriaLogs refuses queries over -search.maxQueryLen (16,384 bytes by default); this leaves
   * 4 KiB of that for the time range and pipes a tool puts around the filter.
   */
  maxCompiledBytes: 12_288,
});

/**
 * Field names: letters, digits and `_ . @ / -`, starting with a letter, `_` or `@` (covers
 * `log.level`, `@timestamp`, `_SYSTEMD_UNIT`, `kubernetes.pod_labels.app.kubernetes.io/name`).
 */
export const FIELD_NAME = /^[A-Za-z_@][A-Za-z0-9_.@/-]{0,127}$/;

/** Names the LogsQL parser treats specially even when quoted (`"_time":…` is a time filter). */
const RESERVED_FIELDS: ReadonlySet<string> = new Set(['_time', '_stream', '_stream_id']);

const LOGICAL_KEYS = ['_and', '_or', '_not', '_search'] as const;
const OPERATOR_KEYS = ['_eq', '_neq', '_contains', '_starts_with', '_ends_with', '_regex', '_gt', '_gte', '_lt', '_lte', '_in', '_nin', '_exists', '_missing'] as const;
type OperatorKey = (typeof OPERATOR_KEYS)[number];

const SYNTAX_HINT =
  'Write {"field": value} or {"field": {"_op": value}}, combined with _and/_or (arrays of filters) and _not (a filter); ' +
  `operators: ${OPERATOR_KEYS.join(' ')}; {"_search": "phrase"} searches the message.`;

export type Scalar = string | number | boolean;

export interface FieldOperators {
  _eq?: Scalar;
  _neq?: Scalar;
  _contains?: string;
  _starts_with?: string;
  _ends_with?: string;
  _regex?: string;
  _gt?: number;
  _gte?: number;
  _lt?: number;
  _lte?: number;
  _in?: Scalar[];
  _nin?: Scalar[];
  _exists?: boolean;
  _missing?: boolean;
}

export type FieldCondition = Scalar | FieldOperators;

export interface JsonFilter {
  _and?: JsonFilter[];
  _or?: JsonFilter[];
  _not?: JsonFilter;
  _search?: string;
  [field: string]: FieldCondition | JsonFilter | JsonFilter[] | undefined;
}

/** Lone UTF-16 surrogates cannot be sent as UTF-8; with the `u` flag only unpaired ones match. */
const LONE_SURROGATE = /\p{Cs}/u;

const text = z
  .string()
  .max(JSON_FILTER_LIMITS.maxValueChars)
  .refine((s) => !LONE_SURROGATE.test(s), 'must not contain unpaired UTF-16 surrogates');
/** Operators where an empty string would silently match every log (or nothing useful). */
const nonEmptyText = text.min(1);
const scalar = z.union([text, z.number(), z.boolean()]);
const valueList = z.array(scalar).min(1).max(JSON_FILTER_LIMITS.maxInValues);

const fieldOperators = z
  .strictObject({
    _eq: scalar.optional().describe('exact value'),
    _neq: scalar.optional().describe('anything but this exact value (also matches logs without the field)'),
    _contains: nonEmptyText.optional().describe('substring'),
    _starts_with: nonEmptyText.optional().describe('value starts with'),
    _ends_with: nonEmptyText.optional().describe('value ends with'),
    _regex: nonEmptyText.optional().describe('RE2 regexp, matches anywhere in the value (anchor with ^ and $)'),
    _gt: z.number().optional(),
    _gte: z.number().optional(),
    _lt: z.number().optional(),
    _lte: z.number().optional(),
    _in: valueList.optional().describe('exact value, any of'),
    _nin: valueList.optional().describe('exact value, none of'),
    _exists: z.boolean().optional().describe('true: the field has a non-empty value; false: it is empty or absent'),
    _missing: z.boolean().optional().describe('true: the field is empty or absent; false: it has a non-empty value'),
  })
  .refine((o) => Object.values(o).some((v) => v !== undefined), 'an operator object needs at least one operator');

const fieldCondition = z.union([scalar, fieldOperators]);

/** The filter object without the depth check; its nested filters refer back to it. */
const filterObject: z.ZodType<JsonFilter> = z
  .object({
    get _and() {
      return z.array(filterObject).min(1).max(JSON_FILTER_LIMITS.maxTerms).optional().describe('all of these filters');
    },
    get _or() {
      return z.array(filterObject).min(1).max(JSON_FILTER_LIMITS.maxTerms).optional().describe('any of these filters');
    },
    get _not() {
      return filterObject.optional().describe('logs this filter does not match');
    },
    _search: nonEmptyText.optional().describe('phrase searched in the log message (_msg), word-aligned'),
  })
  .catchall(fieldCondition)
  .superRefine((obj, ctx) => {
    const keys = Object.keys(obj);
    if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'a filter needs at least one field or _and/_or/_not/_search', params: { hint: SYNTAX_HINT } });
    for (const key of keys) {
      if ((LOGICAL_KEYS as readonly string[]).includes(key)) continue;
      const problem = fieldNameProblem(key);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem.message, params: { hint: problem.hint } });
    }
  }) as unknown as z.ZodType<JsonFilter>;

function fieldNameProblem(name: string): { message: string; hint: string } | undefined {
  if ((OPERATOR_KEYS as readonly string[]).includes(name)) {
    return { message: `${name} is an operator, not a field`, hint: `Put operators inside a field: {"level": {"${name}": …}}.` };
  }
  if (PROTOTYPE_KEYS.has(name)) return { message: `${quoteForMessage(name)} cannot be used as a field name`, hint: 'Use another field name.' };
  if (RESERVED_FIELDS.has(name)) {
    return { message: `${name} cannot be filtered here`, hint: 'Use the tool\'s time range (start/end) instead of _time; stream fields can be filtered by their own names.' };
  }
  if (!FIELD_NAME.test(name)) {
    return {
      message: `invalid field name ${quoteForMessage(name)}`,
      hint: 'Field names start with a letter, _ or @ and hold only letters, digits and _ . @ / - (at most 128 characters).',
    };
  }
  return undefined;
}

/**
 * What the raw input gets wrong before zod may look at it, walked with an explicit stack along
 * _and/_or/_not: nesting deeper than maxDepth (zod's own recursion would otherwise be what meets
 * a 10,000-level input), and a `__proto__` key, which zod's object parsing drops without a word:
 * `{"a": 1, "__proto__": {"b": 2}}` would otherwise compile to just the `a` condition, a
 * silently wider query.
 */
function rawProblem(input: unknown): { path: (string | number)[]; message: string; hint: string } | undefined {
  const stack: { node: unknown; depth: number; path: (string | number)[] }[] = [{ node: input, depth: 1, path: [] }];
  while (stack.length) {
    const { node, depth, path } = stack.pop()!;
    if (node === null || typeof node !== 'object' || Array.isArray(node)) continue;
    if (depth > JSON_FILTER_LIMITS.maxDepth) return { path, message: `filter nests deeper than ${JSON_FILTER_LIMITS.maxDepth} levels`, hint: DEPTH_HINT };
    const obj = node as Record<string, unknown>;
    if (Object.hasOwn(obj, '__proto__')) return { path: [...path, '__proto__'], message: '"__proto__" cannot be used as a field name', hint: 'Use another field name.' };
    for (const key of ['_and', '_or'] as const) {
      const list = Object.hasOwn(obj, key) ? obj[key] : undefined;
      if (Array.isArray(list)) list.forEach((child, i) => stack.push({ node: child, depth: depth + 1, path: [...path, key, i] }));
    }
    if (Object.hasOwn(obj, '_not')) stack.push({ node: obj._not, depth: depth + 1, path: [...path, '_not'] });
  }
  return undefined;
}

const DEPTH_HINT = `Nest _and/_or/_not at most ${JSON_FILTER_LIMITS.maxDepth} levels: list the conditions of an _and in one object ({"a": 1, "b": 2}), use _in for alternatives of one field, or split the question into several calls.`;

/**
 * The JSON filter form, for a tool's inputSchema. The depth check runs first, on the raw input;
 * field names, operators and value bounds are checked by the schema itself; the term count and
 * output length by compileJsonFilter.
 */
export const jsonFilterSchema: z.ZodType<JsonFilter> = z
  .preprocess((input, ctx) => {
    const problem = rawProblem(input);
    if (problem) {
      ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message, params: { hint: problem.hint } });
      return z.NEVER;
    }
    return input;
  }, filterObject)
  .describe(
    'Log filter: {"field": value} for an exact value, or {"field": {"_op": value}}; several keys are ANDed; ' +
      '_and/_or take arrays of filters, _not a filter; {"_search": "phrase"} searches the message. ' +
      `Operators: ${OPERATOR_KEYS.join(', ')}.`,
  ) as unknown as z.ZodType<JsonFilter>;

/**
 * A LogsQL double-quoted string literal that Go's strconv.Unquote (which the LogsQL lexer uses)
 * decodes back to exactly `value`. Backslash and double quote are escaped; so is every control,
 * format and line/paragraph-separator character (as \n, \r, \t or \u/\U escapes), which keeps
 * newlines and `#` comment starts inside the literal and keeps bidi overrides out of the query
 * text that gets logged. Lone surrogates have no UTF-8 form and are refused.
 */
export function quoteLogsqlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp >= 0xd800 && cp <= 0xdfff) throw new TelemcpError('invalid_input', 'A filter value holds an unpaired UTF-16 surrogate.', { hint: 'Send valid Unicode text.' });
    else if (ESCAPED_CHAR.test(ch)) out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Control (Cc), format (Cf: bidi overrides, zero-width chars) and line/paragraph separators. */
const ESCAPED_CHAR = /^[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]$/u;

/** RE2 metacharacters (the set Go's regexp.QuoteMeta escapes): the text then matches itself. */
function re2QuoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** A value as the text VictoriaLogs stores and compares: every field value is a string there. */
function scalarText(v: Scalar): string {
  return typeof v === 'string' ? v : String(v);
}

interface Budget {
  terms: number;
}

function spend(budget: Budget, n: number): void {
  budget.terms += n;
  if (budget.terms > JSON_FILTER_LIMITS.maxTerms) {
    throw new TelemcpError('invalid_input', `The filter has more than ${JSON_FILTER_LIMITS.maxTerms} terms (operators, _in/_nin values and _search phrases).`, {
      hint: 'Narrow it: drop conditions that add little, use _regex or _starts_with instead of long _in lists, or split the question into several calls.',
      details: { max_terms: JSON_FILTER_LIMITS.maxTerms },
    });
  }
}

/** One group of terms: a single term as it is, several joined and parenthesised. */
function group(parts: string[], op: 'AND' | 'OR'): string {
  return parts.length === 1 ? parts[0]! : `(${parts.join(` ${op} `)})`;
}

/**
 * The keys of `parsed` in the order the caller wrote them (zod puts declared keys first). A key
 * the caller wrote that did not survive parsing is refused, never skipped: skipping a condition
 * widens the query.
 */
function keysInInputOrder(raw: unknown, parsed: object): string[] {
  const rawKeys = raw !== null && typeof raw === 'object' ? Object.keys(raw) : [];
  const lost = rawKeys.find((k) => !Object.hasOwn(parsed, k));
  if (lost !== undefined) throw new TelemcpError('invalid_input', `Invalid filter: key ${quoteForMessage(lost)} is not supported.`, { hint: SYNTAX_HINT });
  const keys = [...rawKeys];
  for (const k of Object.keys(parsed)) if (!keys.includes(k)) keys.push(k);
  return keys.filter((k) => (parsed as Record<string, unknown>)[k] !== undefined);
}

function compileOperator(field: string, op: OperatorKey, value: unknown, budget: Budget): string {
  const f = quoteLogsqlString(field);
  switch (op) {
    case '_eq':
      spend(budget, 1);
      return `${f}:=${quoteLogsqlString(scalarText(value as Scalar))}`;
    case '_neq':
      spend(budget, 1);
      return `(NOT ${f}:=${quoteLogsqlString(scalarText(value as Scalar))})`;
    case '_contains':
      spend(budget, 1);
      return `${f}:*${quoteLogsqlString(value as string)}*`;
    case '_starts_with':
      spend(budget, 1);
      return `${f}:=${quoteLogsqlString(value as string)}*`;
    case '_ends_with':
      spend(budget, 1);
      return `${f}:~${quoteLogsqlString(`${re2QuoteMeta(value as string)}$`)}`;
    case '_regex':
      spend(budget, 1);
      return `${f}:~${quoteLogsqlString(value as string)}`;
    case '_gt':
    case '_gte':
    case '_lt':
    case '_lte': {
      spend(budget, 1);
      const sign = { _gt: '>', _gte: '>=', _lt: '<', _lte: '<=' }[op];
      return `${f}:${sign}${quoteLogsqlString(String(value as number))}`;
    }
    case '_in':
    case '_nin': {
      const values = value as Scalar[];
      spend(budget, values.length);
      const list = `${f}:in(${values.map((v) => quoteLogsqlString(scalarText(v))).join(', ')})`;
      return op === '_in' ? list : `(NOT ${list})`;
    }
    case '_exists':
    case '_missing': {
      spend(budget, 1);
      const wantsValue = (op === '_exists') === value;
      return wantsValue ? `${f}:*` : `${f}:""`;
    }
  }
}

function compileField(field: string, raw: unknown, cond: FieldCondition, budget: Budget): string {
  if (typeof cond !== 'object') return compileOperator(field, '_eq', cond, budget);
  const parts = keysInInputOrder(raw, cond).map((op) => compileOperator(field, op as OperatorKey, (cond as Record<string, unknown>)[op], budget));
  return group(parts, 'AND');
}

function compileFilter(raw: unknown, filter: JsonFilter, budget: Budget): string {
  const rawObj = (raw ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of keysInInputOrder(raw, filter)) {
    const value = filter[key];
    const rawValue = rawObj[key];
    if (key === '_and' || key === '_or') {
      const children = value as JsonFilter[];
      const rawChildren = Array.isArray(rawValue) ? rawValue : [];
      parts.push(group(children.map((child, i) => compileFilter(rawChildren[i], child, budget)), key === '_and' ? 'AND' : 'OR'));
    } else if (key === '_not') {
      parts.push(`(NOT ${compileFilter(rawValue, value as JsonFilter, budget)})`);
    } else if (key === '_search') {
      spend(budget, 1);
      parts.push(`"_msg":${quoteLogsqlString(value as string)}`);
    } else {
      parts.push(compileField(key, rawValue, value as FieldCondition, budget));
    }
  }
  return group(parts, 'AND');
}

/** Where a zod issue points, as `$.a._and[0].b`. */
function pathOf(path: readonly PropertyKey[]): string {
  return path.length ? `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}` : '$';
}

/** The issues of a failed parse as one message, with the most specific hint any of them carries. */
function invalidFilter(error: z.ZodError): TelemcpError {
  let hint: string | undefined;
  const messages = error.issues.slice(0, 5).map((issue) => {
    const own = (issue as { params?: { hint?: unknown } }).params?.hint;
    if (typeof own === 'string' && hint === undefined) hint = own;
    if (issue.code === 'unrecognized_keys') return `${pathOf(issue.path)}: unknown operator(s) ${issue.keys.map(quoteForMessage).join(', ')}`;
    if (issue.code === 'invalid_union') return `${pathOf(issue.path)}: expected a string, number or boolean, or an operator object such as {"_eq": …}${unionDetail(issue.errors)}`;
    return `${pathOf(issue.path)}: ${issue.message}`;
  });
  return new TelemcpError('invalid_input', `Invalid filter: ${messages.join('; ')}`, { hint: hint ?? SYNTAX_HINT });
}

/**
 * What the operator object got wrong, when the value was one: the scalar branches only say the
 * value is not a string/number/boolean, which is no news for an object.
 */
function unionDetail(branches: z.core.$ZodIssue[][]): string {
  for (const issues of branches) {
    const first = issues[0];
    if (!first || (first.path.length === 0 && (first.code === 'invalid_type' || first.code === 'invalid_union'))) continue;
    if (first.code === 'unrecognized_keys') return ` (unknown operator(s) ${first.keys.map(quoteForMessage).join(', ')})`;
    const what = first.code === 'invalid_union' ? 'expected a string, number or boolean' : first.message;
    return first.path.length ? ` (${pathOf(first.path).slice(2)}: ${what})` : ` (${what})`;
  }
  return '';
}

/**
 * Validates `input` as a JSON filter and compiles it to one LogsQL filter expression (a single
 * term or a parenthesised group). Throws TelemcpError('invalid_input') with a hint for anything
 * malformed or over a bound in JSON_FILTER_LIMITS.
 */
export function compileJsonFilter(input: unknown): string {
  const parsed = jsonFilterSchema.safeParse(input);
  if (!parsed.success) throw invalidFilter(parsed.error);
  const out = compileFilter(input, parsed.data, { terms: 0 });
  if (Buffer.byteLength(out, 'utf8') > JSON_FILTER_LIMITS.maxCompiledBytes) {
    throw new TelemcpError('invalid_input', `The compiled filter is longer than ${JSON_FILTER_LIMITS.maxCompiledBytes} bytes.`, {
      hint: 'Use fewer or shorter values (a _starts_with or _regex instead of a long _in list), or split the question into several calls.',
      details: { max_bytes: JSON_FILTER_LIMITS.maxCompiledBytes },
    });
  }
  return out;
}
