import { describe, expect, it } from 'vitest';
import { DEFAULT_LOKI_FIELDS, anyOf, bucketEvaluation, bucketIndex, countOverTime, entryMs, label, levelFilter, lineFilters, logqlQuery, regexLiteral, streamSelector, windowParams, wordRegex } from '../../src/backends/loki/logql.js';

/** An RE2 pattern of the kinds logql.ts writes, as a JS RegExp (leading `(?i)` as a flag). */
function re(pattern: string): RegExp {
  const i = pattern.startsWith('(?i)');
  return new RegExp(i ? pattern.slice(4) : pattern, i ? 'iu' : 'u');
}

/** What a LogQL string literal reads as (JSON's escapes are Go's). */
const unq = (literal: string) => JSON.parse(literal) as string;

describe('LogQL strings and names', () => {
  it('quotes every value so that no caller text becomes syntax', () => {
    for (const v of ['a"} |= "x', '\\', '`', '\n', '{service_name=~".+"}', 'x" or level="y']) {
      const matcher = anyOf('service_name', [v]);
      expect(matcher.startsWith('service_name="')).toBe(true);
      expect(unq(matcher.slice('service_name='.length))).toBe(v);
    }
  });

  it('escapes regex syntax in a list of values, so each matches only itself', () => {
    const values = ['a.b', 'c|d', '(x)', '^y$', 'z*', '[q]', '{1}', 'back\\slash'];
    const m = anyOf('service_name', values);
    expect(m.startsWith('service_name=~')).toBe(true);
    const r = new RegExp(`^(?:${unq(m.slice('service_name=~'.length))})$`, 'u');
    for (const v of values) expect(r.test(v), v).toBe(true);
    for (const v of ['aXb', 'c', 'd', 'x', 'y', 'zzz', 'q', '1', 'backslash']) expect(r.test(v), v).toBe(false);
    expect(regexLiteral('a.b*')).toBe('a\\.b\\*');
  });

  it('refuses a label name outside Loki\'s grammar', () => {
    expect(label('service_name')).toBe('service_name');
    for (const bad of ['service.name', '1abc', 'a-b', 'a}', '']) expect(() => label(bad)).toThrow(/not a Loki label name/);
  });
});

describe('the log query of a LogQuery', () => {
  const window = { from: new Date(0), to: new Date(1000) };

  it('selects every stream with the service label, or the services asked for', () => {
    expect(streamSelector(undefined, DEFAULT_LOKI_FIELDS)).toBe('{service_name=~".+"}');
    expect(streamSelector(['api'], DEFAULT_LOKI_FIELDS)).toBe('{service_name="api"}');
    expect(logqlQuery(window, DEFAULT_LOKI_FIELDS)).toBe('{service_name=~".+"}');
  });

  it('matches levels in every spelling, in level or else detected_level', () => {
    const f = levelFilter(['warn'], DEFAULT_LOKI_FIELDS);
    expect(f).toBe('| level=~"warn|WARN|Warn|warning|WARNING|Warning" or (level="" and detected_level=~"warn|WARN|Warn|warning|WARNING|Warning")');
    expect(levelFilter(['error'], { ...DEFAULT_LOKI_FIELDS, level: 'severity', levelFallback: undefined })).toBe('| severity=~"error|ERROR|Error|err|ERR|Err"');
  });

  it('filters trace ids as a label filter (structured metadata) and text as line filters', () => {
    const q = logqlQuery({ ...window, traceIds: ['t1', 't.2'], text: 'timeout' }, DEFAULT_LOKI_FIELDS)!;
    expect(q.startsWith('{service_name=~".+"} | trace_id=~"t1|t\\\\.2" |~ "(?i)(?:^|[^\\\\p{L}\\\\p{N}])[t')).toBe(true);
    expect(logqlQuery({ ...window, text: '"^"' }, DEFAULT_LOKI_FIELDS)).toBeUndefined();
  });
});

describe('message words as line filters', () => {
  /** Whether the line filters of `text` keep `line`, reading them as Loki does. */
  const keeps = (text: string, line: string) => {
    const filters = lineFilters(text);
    if (filters === null) return false;
    if (filters === undefined) return true;
    return [...filters.matchAll(/(\|~|!~) ("(?:[^"\\]|\\.)*")/g)].every(([, op, lit]) => re(unq(lit!)).test(line) === (op === '|~'));
  };

  it('matches whole words, in any case, as the full-text index of the other sources does', () => {
    expect(keeps('timeout', 'upstream TIMEOUT after 5s')).toBe(true);
    expect(keeps('timeout', 'upstream timeouts')).toBe(false);
    expect(keeps('timeout', 'timeout_ms=5')).toBe(true);
    expect(keeps('time', 'timeout')).toBe(false);
    expect(keeps('timeo*', 'Timeouts here')).toBe(true);
    expect(keeps('timeo*', 'a timetable')).toBe(false);
    expect(keeps('café', 'Café ouvert')).toBe(true);
    expect(keeps('cafe', 'CAFÉ ouvert')).toBe(true);
    expect(keeps('café', 'cafe ouvert')).toBe(true);
    expect(keeps('cafe', 'cafe\u0301 decomposed')).toBe(true);
    expect(keeps('cafe', 'cafes')).toBe(false);
    expect(keeps('5', 'GET /orders/5 200')).toBe(true);
    expect(keeps('5', 'GET /orders/50 200')).toBe(false);
  });

  it('matches phrases as consecutive words, whatever separates them', () => {
    expect(keeps('"payment declined"', 'payment   declined for order 1')).toBe(true);
    expect(keeps('"payment declined"', 'payment: declined')).toBe(true);
    expect(keeps('"payment declined"', 'payment was declined')).toBe(false);
    expect(keeps('orders/5', 'GET /orders/5 200')).toBe(true);
    expect(keeps('orders/5', 'orders 5')).toBe(true);
  });

  it('requires every group, excludes negated ones, and takes either word of a|b', () => {
    expect(keeps('slow query', 'slow query on orders')).toBe(true);
    expect(keeps('slow query', 'slow orders')).toBe(false);
    expect(keeps('slow -orders', 'slow query on orders')).toBe(false);
    expect(keeps('slow|flushed', 'flushed batch 3')).toBe(true);
    expect(keeps('-slow -flushed', 'GET /x 200')).toBe(true);
  });

  it('keeps LogQL and regex syntax in text as words or drops it as punctuation', () => {
    expect(lineFilters('"^"')).toBeNull();
    expect(lineFilters('')).toBeUndefined();
    expect(keeps('|= "GET"', 'GET /a 200')).toBe(true);
    expect(keeps('") or ("', 'this or that')).toBe(true);
    expect(keeps('") or ("', 'orders')).toBe(false);
    expect(wordRegex({ text: '.*+?', prefix: false })).toBeUndefined();
    for (const text of ['a.b', '(x)', '[q]', 'x{2}', 'a\\d']) {
      const filters = lineFilters(text)!;
      expect(filters).not.toMatch(/\\\\\.|\\\\\(|\\\\\[|\\\\d/);
    }
  });
});

describe('nanosecond windows and bucket evaluation', () => {
  it('turns an inclusive millisecond window into [start, end) nanoseconds', () => {
    expect(windowParams(1000, 2000)).toEqual({ start: '1000000000', end: '2001000000' });
    expect(entryMs('2000999999')).toBe(2000);
  });

  it('evaluates each half-open bucket at its end minus one nanosecond, and maps Loki\'s truncated ms times back', () => {
    const e = bucketEvaluation(60_000, 60_000, 3);
    expect(e).toEqual({ start: '119999999999', end: '239999999999', step: '60000ms' });
    // Loki writes the sample time as ms truncated from the ns evaluation time, in float seconds.
    expect([119.999, 179.999, 239.999].map((s) => bucketIndex(s, 60_000, 60_000))).toEqual([0, 1, 2]);
    expect(bucketIndex(1741600859.999, 1741600800000, 60_000)).toBe(0);
    expect(countOverTime('{a="b"}', 1500, ['level', 'detected_level'])).toBe('sum by (level, detected_level) (count_over_time({a="b"} [1500ms]))');
  });
});
