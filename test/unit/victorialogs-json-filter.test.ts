import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TelemcpError } from '../../src/core/errors.js';
import { compileJsonFilter, JSON_FILTER_LIMITS, jsonFilterSchema, quoteLogsqlString, type JsonFilter } from '../../src/backends/victorialogs/json-filter.js';

/**
 * Every row below was compiled by this module and run against a real VictoriaLogs 1.52.2
 * (single node, built from github.com/VictoriaMetrics/VictoriaLogs@v1.52.2), twice: as
 * `<compiled> | fields id` and as `_time:[2024-01-01T00:00:00Z, 2024-01-02T00:00:00Z) AND
 * <compiled> | fields id`; both returned exactly the ids in the third column (sorted), with HTTP
 * 200. This test needs no server: it pins the compiled text that was checked.
 *
 * The records (POST /insert/jsonline?_time_field=ts&_msg_field=msg, all on 2024-01-01):
 *   1  msg "disk full on /var"  level error  status 500  svc api  trace_id abc  latency 0.25
 *   2  msg "request ok"  level info  status 200  svc api  latency 1.5
 *   3  msg "timeout talking to db"  level warn  status 504  svc db  trace_id ""  latency -3
 *   4  msg `quote " and backslash \ here`  level error  note `say "hi" \n C:\tmp\` (a backslash
 *      and n, not a newline)  svc web  status "5e-7"
 *   5  msg "pipe | stats count() x"  level ") or *"  svc "x|y"  note "*"  status 1e21 (stored "1e+21")
 *   6  msg "line1<newline>line2"  level debug  note "_time:5m"  svc `{stream="x"}`
 *   7  msg "unicode: Grüße 日本 🚀"  level info  note "Grüße 🚀"  svc "ünï"
 *   8  msg "options(concurrency=1) * # comment"  level "*"  note "a.b*c"  svc "options(concurrency=1)"
 *   9  msg k8s  level error  kubernetes.pod_labels.app.kubernetes.io/name p-1  @src x  or and  options in
 *  10  msg "error: cannot find file"  level ERROR  status abc  note "tab<TAB>here<U+0001>ctl<U+202E>RLO"
 *  11  msg "errors everywhere"  level "true"  status 499.5  note "# not a comment<newline>| limit 1"
 *  12  msg "suffix test"  level x  note "ends with a.b$"  svc `back\slash`
 *  13  msg quotes  note2 "it's `tick` <U+2028> <U+0085> <U+E0001> <U+0000>end"
 *
 * Also checked there: `"_time":="x"`, `"_stream":="x"` and `"_stream_id":="x"` are parse errors
 * (the parser special-cases those names even quoted, hence their refusal here); a value glued to
 * more text after its closing quote (`"f":="a"x`, `"f":*"a"*x`) is a parse error rather than a
 * different filter; a 100-term _or of hostile values ran (HTTP 200); and a 60 KB query was
 * refused by the server's -search.maxQueryLen=16384 (hence maxCompiledBytes).
 */
const VERIFIED: [JsonFilter, string, string][] = [
  [{ level: 'error' }, String.raw`"level":="error"`, '1,4,9'],
  [{ level: { _neq: 'error' } }, String.raw`(NOT "level":="error")`, '2,3,5,6,7,8,10,11,12,13'],
  [{ _search: 'error' }, String.raw`"_msg":"error"`, '10'],
  [{ _msg: { _contains: 'error' } }, String.raw`"_msg":*"error"*`, '10,11'],
  [{ note: { _contains: '"hi" \\n' } }, String.raw`"note":*"\"hi\" \\n"*`, '4'],
  [{ _msg: { _contains: 'backslash \\ here' } }, String.raw`"_msg":*"backslash \\ here"*`, '4'],
  [{ _msg: { _eq: 'quote " and backslash \\ here' } }, String.raw`"_msg":="quote \" and backslash \\ here"`, '4'],
  [{ note: 'say "hi" \\n C:\\tmp\\' }, String.raw`"note":="say \"hi\" \\n C:\\tmp\\"`, '4'],
  [{ level: ') or *' }, String.raw`"level":=") or *"`, '5'],
  [{ level: '*' }, String.raw`"level":="*"`, '8'],
  [{ note: '*' }, String.raw`"note":="*"`, '5'],
  [{ svc: 'x|y' }, String.raw`"svc":="x|y"`, '5'],
  [{ svc: { _contains: '|' } }, String.raw`"svc":*"|"*`, '5'],
  [{ _msg: 'line1\nline2' }, String.raw`"_msg":="line1\nline2"`, '6'],
  [{ _msg: { _contains: '1\nl' } }, String.raw`"_msg":*"1\nl"*`, '6'],
  [{ note: '_time:5m' }, String.raw`"note":="_time:5m"`, '6'],
  [{ svc: '{stream="x"}' }, String.raw`"svc":="{stream=\"x\"}"`, '6'],
  [{ note: 'Grüße 🚀' }, String.raw`"note":="Grüße 🚀"`, '7'],
  [{ _search: '日本' }, String.raw`"_msg":"日本"`, '7'],
  [{ svc: { _starts_with: 'ün' } }, String.raw`"svc":="ün"*`, '7'],
  [{ svc: 'options(concurrency=1)' }, String.raw`"svc":="options(concurrency=1)"`, '8'],
  [{ _msg: { _starts_with: 'options(concurrency=1) * #' } }, String.raw`"_msg":="options(concurrency=1) * #"*`, '8'],
  [{ 'kubernetes.pod_labels.app.kubernetes.io/name': 'p-1' }, String.raw`"kubernetes.pod_labels.app.kubernetes.io/name":="p-1"`, '9'],
  [{ '@src': 'x' }, String.raw`"@src":="x"`, '9'],
  [{ or: 'and' }, String.raw`"or":="and"`, '9'],
  [{ options: 'in' }, String.raw`"options":="in"`, '9'],
  [{ note: 'tab\there\u0001ctl\u202eRLO' }, String.raw`"note":="tab\there\u0001ctl\u202eRLO"`, '10'],
  [{ note: '# not a comment\n| limit 1' }, String.raw`"note":="# not a comment\n| limit 1"`, '11'],
  [{ note: { _contains: '# not' } }, String.raw`"note":*"# not"*`, '11'],
  [{ level: true }, String.raw`"level":="true"`, '11'],
  [{ status: 500 }, String.raw`"status":="500"`, '1'],
  [{ status: { _gte: 500 } }, String.raw`"status":>="500"`, '1,3,5'],
  [{ status: { _gt: 499, _lt: 500 } }, String.raw`("status":>"499" AND "status":<"500")`, '11'],
  [{ status: { _gte: 1e21 } }, String.raw`"status":>="1e+21"`, '5'],
  [{ status: { _lte: 5e-7, _gt: 0 } }, String.raw`("status":<="5e-7" AND "status":>"0")`, '4'],
  [{ latency: { _lt: 0 } }, String.raw`"latency":<"0"`, '3'],
  [{ latency: { _gt: -5, _lte: 0.25 } }, String.raw`("latency":>"-5" AND "latency":<="0.25")`, '1,3'],
  [{ status: { _in: [200, 504, 'abc'] } }, String.raw`"status":in("200", "504", "abc")`, '2,3,10'],
  [{ status: { _nin: [200, 504, 'abc'] } }, String.raw`(NOT "status":in("200", "504", "abc"))`, '1,4,5,6,7,8,9,11,12,13'],
  [{ trace_id: { _exists: true } }, String.raw`"trace_id":*`, '1'],
  [{ trace_id: { _missing: false } }, String.raw`"trace_id":*`, '1'],
  [{ trace_id: { _exists: false } }, String.raw`"trace_id":""`, '2,3,4,5,6,7,8,9,10,11,12,13'],
  [{ trace_id: { _missing: true } }, String.raw`"trace_id":""`, '2,3,4,5,6,7,8,9,10,11,12,13'],
  [{ trace_id: '' }, String.raw`"trace_id":=""`, '2,3,4,5,6,7,8,9,10,11,12,13'],
  [{ note: { _ends_with: 'a.b$' } }, String.raw`"note":~"a\\.b\\$$"`, '12'],
  [{ note: { _ends_with: '.b$' } }, String.raw`"note":~"\\.b\\$$"`, '12'],
  [{ svc: { _ends_with: '\\slash' } }, String.raw`"svc":~"\\\\slash$"`, '12'],
  [{ note: { _ends_with: 'b*c' } }, String.raw`"note":~"b\\*c$"`, '8'],
  [{ note: { _ends_with: '🚀' } }, String.raw`"note":~"🚀$"`, '7'],
  [{ level: { _regex: '^(error|warn)$' } }, String.raw`"level":~"^(error|warn)$"`, '1,3,4,9'],
  [{ level: { _regex: '(?i)^error$' } }, String.raw`"level":~"(?i)^error$"`, '1,4,9,10'],
  [{ svc: { _regex: '\\|' } }, String.raw`"svc":~"\\|"`, '5'],
  [{ note: { _regex: '"hi"' } }, String.raw`"note":~"\"hi\""`, '4'],
  [{ level: { _in: ['*'] } }, String.raw`"level":in("*")`, '8'],
  [{ level: { _in: [') or *', 'in'] } }, String.raw`"level":in(") or *", "in")`, '5'],
  [{ _or: [{ level: 'warn' }, { svc: 'web' }], _not: { status: 504 } }, String.raw`(("level":="warn" OR "svc":="web") AND (NOT "status":="504"))`, '4'],
  [{ _not: { _or: [{ level: 'error' }, { level: 'info' }] } }, String.raw`(NOT ("level":="error" OR "level":="info"))`, '3,5,6,8,10,11,12,13'],
  [{ _and: [{ svc: 'api' }, { _or: [{ status: 500 }, { status: 200 }] }] }, String.raw`("svc":="api" AND ("status":="500" OR "status":="200"))`, '1,2'],
  [{ _or: [{ _and: [{ svc: 'api' }, { status: 500 }] }, { level: 'warn' }] }, String.raw`(("svc":="api" AND "status":="500") OR "level":="warn")`, '1,3'],
  [{ y: { _contains: '") | stats count() #' } }, String.raw`"y":*"\") | stats count() #"*`, ''],
  [{ level: '") OR * | limit 1 #' }, String.raw`"level":="\") OR * | limit 1 #"`, ''],
  [{ level: 'x" OR "*' }, String.raw`"level":="x\" OR \"*"`, ''],
  [{ _search: '" | delete _msg' }, String.raw`"_msg":"\" | delete _msg"`, ''],
  [{ _and: [{ _not: { _and: [{ _not: { _and: [{ _not: { _and: [{ level: 'error' }, { svc: { _neq: 'zzz' } }] } }, { svc: { _neq: 'zzz' } }] } }, { svc: { _neq: 'zzz' } }] } }, { svc: { _neq: 'zzz' } }] }, String.raw`((NOT ((NOT ((NOT ("level":="error" AND (NOT "svc":="zzz"))) AND (NOT "svc":="zzz"))) AND (NOT "svc":="zzz"))) AND (NOT "svc":="zzz"))`, '2,3,5,6,7,8,10,11,12,13'],
];

/** Record 13's note2, checked the same way; its literal holds a backtick, so no String.raw here. */
const NOTE2 = "it's `tick` \u2028 \u0085 \u{E0001} \u0000end";
const VERIFIED_NOTE2: [JsonFilter, string][] = [
  [{ note2: NOTE2 }, '"note2":="it\'s `tick` \\u2028 \\u0085 \\U000e0001 \\u0000end"'],
  [{ note2: { _contains: '`tick` \u2028' } }, '"note2":*"`tick` \\u2028"*'],
  [{ note2: { _ends_with: '\u0000end' } }, '"note2":~"\\u0000end$"'],
  [{ note2: { _starts_with: "it's `" } }, '"note2":="it\'s `"*'],
  [{ note2: { _contains: '\u{E0001}' } }, '"note2":*"\\U000e0001"*'],
];

const OPERATORS = ['_eq', '_neq', '_contains', '_starts_with', '_ends_with', '_regex', '_gt', '_gte', '_lt', '_lte', '_in', '_nin', '_exists', '_missing'];
const LOGICAL = ['_and', '_or', '_not', '_search'];

/** What compileJsonFilter refused: always invalid_input with a hint, or the test fails. */
function refusal(input: unknown): TelemcpError {
  let out: string;
  try {
    out = compileJsonFilter(input);
  } catch (err) {
    expect(err).toBeInstanceOf(TelemcpError);
    const e = err as TelemcpError;
    expect(e.code).toBe('invalid_input');
    expect(e.hint).toMatch(/\w/);
    return e;
  }
  throw new Error(`expected a refusal, got ${out} for ${JSON.stringify(input)?.slice(0, 200)}`);
}

/** A quoted LogsQL literal: `"`, then anything but `"` and `\`, or `\` and one char, then `"`. */
const LITERAL = /"(?:[^"\\]|\\[\s\S])*"/g;

/**
 * Go's strconv.Unquote (what the LogsQL lexer decodes "…" with), for the escapes the compiler
 * emits; anything else it might mean to Go fails the test instead of being guessed at.
 */
function goUnquote(lit: string): string {
  expect(lit.length >= 2 && lit.startsWith('"') && lit.endsWith('"')).toBe(true);
  let out = '';
  for (let i = 1; i < lit.length - 1; i++) {
    const c = lit[i]!;
    if (c === '"' || c === '\n') throw new Error(`raw ${JSON.stringify(c)} inside ${lit}`);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = lit[++i];
    if (e === 'n') out += '\n';
    else if (e === 'r') out += '\r';
    else if (e === 't') out += '\t';
    else if (e === '\\' || e === '"') out += e;
    else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = lit.slice(i + 1, i + 1 + n);
      expect(hex).toMatch(new RegExp(`^[0-9a-f]{${n}}$`));
      out += String.fromCodePoint(parseInt(hex, 16));
      i += n;
    } else throw new Error(`unexpected escape \\${e} in ${lit}`);
  }
  return out;
}

const literalsOf = (compiled: string): string[] => (compiled.match(LITERAL) ?? []).map(goUnquote);
/** The compiled text with every literal replaced by S: what the caller's values cannot change. */
const skeletonOf = (compiled: string): string => compiled.replace(LITERAL, 'S');

/** One term or one parenthesised group: no space outside parentheses, parentheses balanced. */
function isOneAtom(compiled: string): boolean {
  let depth = 0;
  for (const ch of skeletonOf(compiled)) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
    else if (ch === ' ' && depth === 0) return false;
  }
  return depth === 0;
}

/** A filter nested `depth` levels deep through _not (the top-level filter is level 1), built without recursion. */
function nestNot(depth: number): JsonFilter {
  let f: JsonFilter = { level: 'error' };
  for (let i = 1; i < depth; i++) f = { _not: f };
  return f;
}

function nestAnd(depth: number): JsonFilter {
  let f: JsonFilter = { level: 'error' };
  for (let i = 1; i < depth; i++) f = { _and: [f, { svc: 'api' }] };
  return f;
}

/** Every key used anywhere in a filter. */
function keysOf(v: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => keysOf(x, into));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) keysOf(x, into.add(k));
  return into;
}

describe('compileJsonFilter: the compiled text checked on VictoriaLogs 1.52.2', () => {
  it.each(VERIFIED)('%j → %s (matched ids [%s])', (filter, compiled) => {
    expect(compileJsonFilter(filter)).toBe(compiled);
  });

  it.each(VERIFIED_NOTE2)('%j → %s (matched id 13)', (filter, compiled) => {
    expect(compileJsonFilter(filter)).toBe(compiled);
  });

  it('the checked rows use every operator and every logical key', () => {
    const used = keysOf(VERIFIED.map(([f]) => f));
    for (const key of [...OPERATORS, ...LOGICAL]) expect(used, key).toContain(key);
  });

  it('every checked result is one atom, so a caller can AND it with a time filter and add pipes', () => {
    for (const [, compiled] of [...VERIFIED, ...VERIFIED_NOTE2]) expect(isOneAtom(compiled), compiled).toBe(true);
    // and the checker itself tells atoms from loose terms
    expect(isOneAtom('"a":="1" AND "b":="2"')).toBe(false);
    expect(isOneAtom('("a":="1") AND ("b":="2")')).toBe(false);
    expect(isOneAtom('("a":=") (" AND "b":="2")')).toBe(true);
  });
});

describe('compileJsonFilter: operators and structure', () => {
  it('a bare value is _eq, numbers and booleans as their text', () => {
    expect(compileJsonFilter({ a: 'x' })).toBe(compileJsonFilter({ a: { _eq: 'x' } }));
    expect(compileJsonFilter({ a: 0.5 })).toBe('"a":="0.5"');
    expect(compileJsonFilter({ a: -0 })).toBe('"a":="0"');
    expect(compileJsonFilter({ a: false })).toBe('"a":="false"');
    expect(compileJsonFilter({ a: { _in: [1, true, 'x'] } })).toBe('"a":in("1", "true", "x")');
    expect(compileJsonFilter({ a: { _neq: 7 } })).toBe('(NOT "a":="7")');
  });

  it('comparisons quote the number as JavaScript prints it', () => {
    expect(compileJsonFilter({ n: { _gt: 1.5 } })).toBe('"n":>"1.5"');
    expect(compileJsonFilter({ n: { _gte: -2 } })).toBe('"n":>="-2"');
    expect(compileJsonFilter({ n: { _lt: 1e-7 } })).toBe('"n":<"1e-7"');
    expect(compileJsonFilter({ n: { _lte: 123456789012 } })).toBe('"n":<="123456789012"');
  });

  it('_exists and _missing are each other\'s negation', () => {
    expect(compileJsonFilter({ t: { _exists: true } })).toBe('"t":*');
    expect(compileJsonFilter({ t: { _missing: false } })).toBe('"t":*');
    expect(compileJsonFilter({ t: { _exists: false } })).toBe('"t":""');
    expect(compileJsonFilter({ t: { _missing: true } })).toBe('"t":""');
  });

  it('_ends_with escapes every RE2 metacharacter and anchors at the end', () => {
    const compiled = compileJsonFilter({ f: { _ends_with: '\\.+*?()|[]{}^$' } });
    expect(compiled).toBe(String.raw`"f":~"\\\\\\.\\+\\*\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$$"`);
    const re = new RegExp(literalsOf(compiled)[1]!, 'u');
    expect(re.test('x\\.+*?()|[]{}^$')).toBe(true);
    expect(re.test('\\.+*?()|[]{}^$x')).toBe(false);
    expect(re.test('\\a+*?()|[]{}^$')).toBe(false);
  });

  it('_regex is passed as written, only quoted', () => {
    expect(compileJsonFilter({ f: { _regex: 'a\\d+"b' } })).toBe(String.raw`"f":~"a\\d+\"b"`);
  });

  it('several keys and several operators are ANDed in the order written', () => {
    expect(compileJsonFilter({ b: 1, a: 2 })).toBe('("b":="1" AND "a":="2")');
    expect(compileJsonFilter({ a: 2, b: 1 })).toBe('("a":="2" AND "b":="1")');
    expect(compileJsonFilter({ s: { _lt: 10, _gt: 1 } })).toBe('("s":<"10" AND "s":>"1")');
    expect(compileJsonFilter({ s: { _gt: 1, _lt: 10 } })).toBe('("s":>"1" AND "s":<"10")');
    // declared keys (_or, _search, _not) keep their place among the fields
    expect(compileJsonFilter({ z: 1, _or: [{ a: 1 }, { b: 1 }], _search: 's', _not: { c: 1 }, y: 2 })).toBe(
      '("z":="1" AND ("a":="1" OR "b":="1") AND "_msg":"s" AND (NOT "c":="1") AND "y":="2")',
    );
  });

  it('a group of one is not parenthesised again; NOT and every group of several are', () => {
    expect(compileJsonFilter({ _and: [{ a: 1 }] })).toBe('"a":="1"');
    expect(compileJsonFilter({ _or: [{ a: 1 }] })).toBe('"a":="1"');
    expect(compileJsonFilter({ _not: { a: 1 } })).toBe('(NOT "a":="1")');
    expect(compileJsonFilter({ _not: { _not: { a: 1 } } })).toBe('(NOT (NOT "a":="1"))');
    expect(compileJsonFilter({ _or: [{ a: 1, b: 2 }, { c: 3 }] })).toBe('(("a":="1" AND "b":="2") OR "c":="3")');
    expect(compileJsonFilter({ _and: [{ _or: [{ a: 1 }, { b: 2 }] }, { c: 3 }] })).toBe('(("a":="1" OR "b":="2") AND "c":="3")');
  });

  it('is deterministic and leaves its input alone', () => {
    const filter = { _or: [{ a: { _in: ['x', 'y'] } }, { b: { _gte: 3, _exists: true } }], _search: 'p' };
    const copy = structuredClone(filter);
    expect(compileJsonFilter(filter)).toBe(compileJsonFilter(copy));
    expect(filter).toEqual(copy);
  });
});

describe('compileJsonFilter: hostile values stay inside their literals', () => {
  const HOSTILE = [
    '"', '\\', '\\"', '"\\', '""', '|', '| stats count()', '*', '"*"', ') OR *', ') or * | limit 1', 'x" OR "y', 'x") OR ("y',
    '\n', '\r\n| delete x', '# comment', 'a\n# x\n| limit 1', 'options(concurrency=1) *', '_time:5m', '{stream="x"}', '_stream:{a="b"}',
    '`', "'", "'\"`", 'Grüße 日本 🚀', '\u0000', '\u0007\u001b[2J', '\u007f\u0085', '\u202e', '\u2028\u2029', '\u200b\ufeff', '\u{E0001}',
    '\\u0022', '\\x22', '\\n', '${x}', 'in(*)', 'NOT', 'AND', 'or', ':', ':=', '!=', '~', 'a:b', '-', '!',
  ];

  it.each(HOSTILE)('%j', (h) => {
    const compiled = compileJsonFilter({
      f: { _eq: h, _neq: h, _contains: h, _starts_with: h, _ends_with: h, _regex: h, _in: [h, 'x'], _nin: [h] },
      _search: h,
      g: h,
    });
    expect(skeletonOf(compiled)).toBe('((S:=S AND (NOT S:=S) AND S:*S* AND S:=S* AND S:~S AND S:~S AND S:in(S, S) AND (NOT S:in(S))) AND S:S AND S:=S)');
    const lits = literalsOf(compiled);
    expect(lits).toEqual(['f', h, 'f', h, 'f', h, 'f', h, 'f', lits[9], 'f', h, 'f', h, 'x', 'f', h, '_msg', h, 'g', h]);
    // the _ends_with literal is a regexp matching exactly the strings that end with h
    const re = new RegExp(lits[9]!, 'u');
    expect(re.test(`zz${h}`)).toBe(true);
    expect(re.test(`${h}zz`)).toBe(false);
    // no raw control, format or line-separator character reaches the query text
    expect(compiled).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
  });
});

describe('quoteLogsqlString', () => {
  it('round-trips every BMP code point and astral samples through Go-style unquoting', () => {
    let all = '';
    for (let cp = 0; cp <= 0xffff; cp++) if (cp < 0xd800 || cp > 0xdfff) all += String.fromCodePoint(cp);
    all += '\u{1F680}\u{E0001}\u{10FFFF}';
    const quoted = quoteLogsqlString(all);
    expect(quoted.match(LITERAL)).toEqual([quoted]);
    expect(goUnquote(quoted)).toBe(all);
    expect(quoted).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
  });

  it('uses the short escapes where Go has them', () => {
    expect(quoteLogsqlString('a"b\\c\nd\re\tf')).toBe(String.raw`"a\"b\\c\nd\re\tf"`);
    expect(quoteLogsqlString('\u0001\u202e\u{E0001}')).toBe(String.raw`"\u0001\u202e\U000e0001"`);
  });

  it('refuses a lone surrogate, which has no UTF-8 form', () => {
    expect(() => quoteLogsqlString('a\ud800b')).toThrow(TelemcpError);
    expect(() => quoteLogsqlString('\udc00')).toThrow(TelemcpError);
  });
});

describe('compileJsonFilter: field names', () => {
  it.each(['a', '_msg', '@timestamp', 'log.level', 'kubernetes.pod_labels.app.kubernetes.io/name', 'a-b', '_SYSTEMD_UNIT', 'x'.repeat(128)])('accepts %s', (name) => {
    expect(compileJsonFilter({ [name]: 'v' })).toBe(`"${name}":="v"`);
  });

  it.each(['', ' ', 'a b', 'a"b', 'a:b', 'a*', '*', '1abc', '-a', '.a', 'a|b', 'a\nb', 'a(b)', 'é', 'a\\b', 'x'.repeat(129)])('refuses %j', (name) => {
    expect(refusal({ [name]: 'v' }).message).toContain('invalid field name');
  });

  it.each(['_time', '_stream', '_stream_id'])('refuses %s, which LogsQL parses specially even when quoted', (name) => {
    expect(refusal({ [name]: 'v' }).message).toContain(`${name} cannot be filtered here`);
    expect(refusal({ _or: [{ a: 1 }, { [name]: { _exists: true } }] }).message).toContain(`$._or[1].${name}`);
  });

  it.each(OPERATORS)('refuses the operator %s in a field\'s place', (op) => {
    const e = refusal({ [op]: 'v' });
    expect(e.message).toContain(`${op} is an operator, not a field`);
    expect(e.hint).toContain(`{"level": {"${op}": …}}`);
  });

  it('refuses prototype keys instead of dropping them (a dropped condition widens the query)', () => {
    expect(refusal(JSON.parse('{"a": 1, "__proto__": {"b": 2}}')).message).toContain('__proto__');
    expect(refusal(JSON.parse('{"_and": [{"a": 1, "__proto__": {"b": 2}}]}')).message).toContain('$._and[0].__proto__');
    expect(refusal(JSON.parse('{"a": {"_eq": 1, "__proto__": 2}}')).message).toContain('__proto__');
    expect(refusal({ constructor: 'x' }).message).toContain('"constructor" cannot be used as a field name');
    expect(refusal({ prototype: 'x' }).message).toContain('"prototype"');
  });
});

describe('compileJsonFilter: malformed input', () => {
  it.each([
    ['null value', { a: null }],
    ['array value', { a: [1, 2] }],
    ['empty operator object', { a: {} }],
    ['unknown operator', { a: { _like: 'x' } }],
    ['operator in the wrong case', { a: { _EQ: 'x' } }],
    ['object as _eq', { a: { _eq: {} } }],
    ['array as _eq', { a: { _eq: [1] } }],
    ['string bound', { a: { _gt: '5' } }],
    ['boolean bound', { a: { _gte: true } }],
    ['NaN bound', { a: { _lt: NaN } }],
    ['infinite bound', { a: { _lte: Infinity } }],
    ['empty _in', { a: { _in: [] } }],
    ['_in not a list', { a: { _in: 'x' } }],
    ['null in _in', { a: { _nin: [null] } }],
    ['object in _in', { a: { _in: [{}] } }],
    ['empty _contains', { a: { _contains: '' } }],
    ['empty _starts_with', { a: { _starts_with: '' } }],
    ['empty _ends_with', { a: { _ends_with: '' } }],
    ['empty _regex', { a: { _regex: '' } }],
    ['non-boolean _exists', { a: { _exists: 'yes' } }],
    ['non-boolean _missing', { a: { _missing: 1 } }],
    ['lone surrogate', { a: 'x\ud800' }],
    ['empty filter', {}],
    ['empty _and', { _and: [] }],
    ['empty _or', { _or: [] }],
    ['_and not a list', { _and: { a: 1 } }],
    ['empty _not', { _not: {} }],
    ['_not a list', { _not: [{ a: 1 }] }],
    ['empty _search', { _search: '' }],
    ['numeric _search', { _search: 5 }],
    ['null filter', null],
    ['string filter', 'level:error'],
    ['array filter', [{ a: 1 }]],
    ['number filter', 42],
    ['no filter', undefined],
  ])('refuses %s', (_name, input) => {
    expect(refusal(input).message).toMatch(/^Invalid filter: \$/);
  });

  it('says where and what in the message', () => {
    expect(refusal({ level: { _like: 'x' } }).message).toBe('Invalid filter: $.level: unknown operator(s) "_like"; $.level: an operator object needs at least one operator');
    expect(refusal({ _or: [{ a: 1 }, { b: { _gt: '5' } }] }).message).toContain('$._or[1].b: expected a string, number or boolean, or an operator object such as {"_eq": …} (_gt: Invalid input: expected number, received string)');
    expect(refusal({ a: { _eq: { x: 1 } } }).message).toContain('(_eq: expected a string, number or boolean)');
    expect(refusal({ a: null }).hint).toContain('operators: _eq _neq');
  });
});

describe('compileJsonFilter: bounds', () => {
  it(`nests at most ${JSON_FILTER_LIMITS.maxDepth} levels, through _not and through _and`, () => {
    expect(JSON_FILTER_LIMITS.maxDepth).toBe(8);
    expect(compileJsonFilter(nestNot(8))).toBe(`${'(NOT '.repeat(7)}"level":="error"${')'.repeat(7)}`);
    expect(compileJsonFilter(nestAnd(8))).toMatch(/^\({7}"level":="error" AND "svc":="api"\)/);
    for (const deep of [nestNot(9), nestAnd(9)]) {
      const e = refusal(deep);
      expect(e.message).toContain('filter nests deeper than 8 levels');
      expect(e.hint).toContain('at most 8 levels');
    }
    expect(refusal({ _or: [{ a: 1 }, nestNot(8)] }).message).toContain('$._or[1]._not._not._not._not._not._not._not: filter nests deeper');
  });

  it('refuses a 100,000-level filter as invalid_input, not a stack overflow', () => {
    let f: unknown = { a: 1 };
    for (let i = 0; i < 100_000; i++) f = { _and: [f] };
    expect(refusal(f).message).toContain('deeper than 8 levels');
    let g: unknown = { a: 1 };
    for (let i = 0; i < 100_000; i++) g = { _not: g };
    expect(jsonFilterSchema.safeParse(g).success).toBe(false);
  });

  it(`allows ${JSON_FILTER_LIMITS.maxTerms} terms and refuses one more, _in values counting one each`, () => {
    expect(JSON_FILTER_LIMITS.maxTerms).toBe(100);
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));
    expect(compileJsonFilter(fields(100)).split(' AND ')).toHaveLength(100);
    const e = refusal(fields(101));
    expect(e.message).toContain('more than 100 terms');
    expect(e.hint).toMatch(/Narrow it/);
    const hundred = Array.from({ length: 100 }, (_, i) => `v${i}`);
    expect(compileJsonFilter({ a: { _in: hundred } })).toMatch(/^"a":in\("v0", .*"v99"\)$/);
    expect(refusal({ a: { _in: hundred }, _search: 'x' }).message).toContain('more than 100 terms');
    expect(refusal({ _or: [{ a: { _nin: hundred } }, { _not: { b: 1 } }] }).message).toContain('more than 100 terms');
  });

  it(`holds at most ${JSON_FILTER_LIMITS.maxInValues} values in one _in/_nin`, () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(compileJsonFilter({ a: { _nin: list(100) } })).toContain('"99"))');
    expect(refusal({ a: { _in: list(101) } }).message).toContain('$.a');
  });

  it(`holds values of at most ${JSON_FILTER_LIMITS.maxValueChars} characters`, () => {
    const max = 'v'.repeat(1000);
    expect(compileJsonFilter({ a: max })).toBe(`"a":="${max}"`);
    for (const over of [{ a: `${max}v` }, { a: { _regex: `${max}v` } }, { _search: `${max}v` }, { a: { _in: ['x', `${max}v`] } }, { a: { _contains: `${max}v` } }]) {
      expect(refusal(over).message).toMatch(/Too big|<=1000/);
    }
  });

  it(`keeps the compiled text under ${JSON_FILTER_LIMITS.maxCompiledBytes} UTF-8 bytes (the server refuses over 16,384)`, () => {
    const values = (n: number, v: string) => Array.from({ length: n }, (_, i) => `${i}${v}`);
    expect(Buffer.byteLength(compileJsonFilter({ a: { _in: values(11, 'x'.repeat(998)) } }))).toBeLessThanOrEqual(12_288);
    const e = refusal({ a: { _in: values(13, 'x'.repeat(998)) } });
    expect(e.message).toContain('longer than 12288 bytes');
    // bytes, not characters: 5 values of 1000 three-byte characters are 5,000 characters but 15,000 bytes
    expect(refusal({ a: { _in: values(5, '日'.repeat(998)) } }).message).toContain('12288 bytes');
    // escaping counts: 1000 control characters become 6,000 bytes of \u escapes
    expect(refusal({ a: '\u0001'.repeat(1000), b: '\u0001'.repeat(1000), c: '\u0001'.repeat(1000) }).message).toContain('12288 bytes');
  });
});

describe('jsonFilterSchema', () => {
  it('converts to a recursive JSON Schema a tool can publish', () => {
    const schema = z.toJSONSchema(z.object({ filter: jsonFilterSchema }), { io: 'input', target: 'draft-2020-12' });
    const text = JSON.stringify(schema);
    expect(text).toContain('"$ref"');
    for (const key of [...OPERATORS, ...LOGICAL]) expect(text).toContain(`"${key}"`);
    expect(text.length).toBeLessThan(6000);
  });

  it('checks depth, field names and operators itself, before any compile', () => {
    const tool = z.object({ filter: jsonFilterSchema });
    expect(tool.safeParse({ filter: { level: 'error', status: { _gte: 500 } } }).success).toBe(true);
    expect(tool.safeParse({ filter: nestNot(8) }).success).toBe(true);
    for (const bad of [nestNot(9), { 'a b': 1 }, { _time: 1 }, { a: { _like: 1 } }, {}]) expect(tool.safeParse({ filter: bad }).success).toBe(false);
  });
});
