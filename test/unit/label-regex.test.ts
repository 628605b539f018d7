import { describe, expect, it } from 'vitest';
import { NAME_PROBES, matchesEmptyValue, matchesEveryValue } from '../../src/backends/label-regex.js';

describe('matchesEveryValue: a label regex judged by what it matches, not how it is written', () => {
  it.each(['.*', '.+', '.{1,}', '.{1,1000}', '(.+)', '.+?', '..*', '[\\s\\S]+', '(?:api|.+)', 'api|.*', '\\S+', '(?s).+', '(?i).*', '[^x]+', '([^x]+)', '[^x][^x]*', '(?:api|[^x]+)'])('%s accepts every value', (re) => {
    expect(matchesEveryValue(re)).toBe(true);
  });

  it.each(['api', 'api.*', '(api|web)', '.*-prod', '[a-z]+', '\\w+', '\\d+', 'node_.*', '(?i)API', '.+x', '[a-z]+-[0-9]+'])('%s selects some values only', (re) => {
    expect(matchesEveryValue(re)).toBe(false);
  });

  it('takes a pattern it cannot read faithfully to accept every value, so it never stands for a narrowing matcher', () => {
    // Flags inside the pattern and nested quantifiers are not translated to JavaScript.
    expect(matchesEveryValue('(?s:.+)')).toBe(true);
    expect(matchesEveryValue('a(?i)pi')).toBe(true);
    expect(matchesEveryValue('(api-\\d+)+')).toBe(true);
    expect(matchesEmptyValue('(api-\\d+)+')).toBe(true);
  });

  it('probes metric names with names Prometheus allows', () => {
    expect(matchesEveryValue('[a-zA-Z_:][a-zA-Z0-9_:]*', NAME_PROBES)).toBe(true);
    expect(matchesEveryValue('node_.*', NAME_PROBES)).toBe(false);
  });
});

describe('matchesEmptyValue: whether a regex also selects what lacks the label', () => {
  it.each([
    ['', true],
    ['[^x]*', true],
    ['api|', true],
    ['.+', false],
    ['api', false],
  ])('%j → %s', (re, empty) => {
    expect(matchesEmptyValue(re)).toBe(empty);
  });
});
