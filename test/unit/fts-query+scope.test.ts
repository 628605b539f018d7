import { describe, expect, it } from 'vitest';
import { TelemcpError } from '../../src/core/errors.js';
import { toFtsQuery } from '../../src/store/fts-query.js';
import { parseScope } from '../../src/store/scope.js';

describe('message queries as FTS5 expressions', () => {
  it('requires every word, keeps phrases and prefixes, joins alternatives and sets exclusions apart', () => {
    expect(toFtsQuery('payment declined')).toEqual({ include: '"payment" AND "declined"', empty: false });
    expect(toFtsQuery('"connection reset" timeo*')).toEqual({ include: '"connection reset" AND "timeo"*', empty: false });
    expect(toFtsQuery('"GET /ord"* db|cache|"redis down" -healthz -"GET /metrics"')).toEqual({
      include: '"GET /ord"* AND ("db" OR "cache" OR "redis down")',
      exclude: '"healthz" OR "GET /metrics"',
      empty: false,
    });
    expect(toFtsQuery('a | b')).toEqual({ include: '("a" OR "b")', empty: false });
    expect(toFtsQuery('-noise')).toEqual({ exclude: '"noise"', empty: false });
    expect(toFtsQuery('+must (grouped words)')).toEqual({ include: '"must" AND "grouped" AND "words"', empty: false });
  });

  it('quotes user text so FTS5 operators, columns, carets and quotes are only ever searched for', () => {
    expect(toFtsQuery('NEAR(a b) OR c AND NOT d')).toEqual({ include: '"NEAR" AND "a" AND "b" AND "OR" AND "c" AND "AND" AND "NOT" AND "d"', empty: false });
    expect(toFtsQuery('message:x ^start {a b}: col*umn')).toEqual({ include: '"message:x" AND "^start" AND "{a" AND "b}:" AND "col*umn"', empty: false });
    expect(toFtsQuery('say\\"hi\\" "it""s"')).toEqual({ include: '"say""hi""" AND "it" AND "s"', empty: false });
    expect(toFtsQuery('"unterminated phrase')).toEqual({ include: '"unterminated phrase"', empty: false });
    expect(toFtsQuery('escaped\\*')).toEqual({ include: '"escaped*"', empty: false });
  });

  it('drops words without letters or digits, and says when nothing is left to search for', () => {
    expect(toFtsQuery('error ^ : "" -- |')).toEqual({ include: '"error"', empty: false });
    for (const text of ['', '   ', '"', '^', '-', '"^"', '( )']) expect(toFtsQuery(text), JSON.stringify(text)).toEqual({ empty: true });
    expect(toFtsQuery('日本 ошибка')).toEqual({ include: '"日本" AND "ошибка"', empty: false });
  });
});

describe('dataset scopes', () => {
  it('canonicalises lists and refuses empty or oversized patterns', () => {
    const scope = parseScope(' logs-* ,app,logs-*');
    expect(scope.text).toBe('logs-*,app');
    expect(scope.all).toBe(false);
    expect(['logs-web', 'app', 'apps'].map(scope.matches)).toEqual([true, true, false]);
    expect(parseScope('app,*').all).toBe(true);
    for (const bad of ['', 'a,,b', 'x'.repeat(256), 'a\nb', Array.from({ length: 65 }, (_, i) => `d${i}`).join(',')]) {
      expect(() => parseScope(bad), bad.slice(0, 20)).toThrow(TelemcpError);
    }
  });
});
