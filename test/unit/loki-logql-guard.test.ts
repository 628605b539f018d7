import { describe, expect, it } from 'vitest';
import { normalizeDiscover } from '../../src/backends/loki/discovery.js';
import { checkLogql, durationMs, normalizeLogql, scanLogql, selectorNarrows } from '../../src/backends/loki/logql-guard.js';
import { TelemcpError } from '../../src/core/errors.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const HOUR = 3_600_000;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof TelemcpError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('stream selectors must narrow', () => {
  it.each([
    '{}',
    '{job=~".*"}',
    '{job=~".+"}',
    '{job=~"(?s).*"}',
    '{job=~"api|.*"}',
    '{job=~""}',
    '{job!="x"}',
    '{job!~"x.*"}',
    '{job=""}',
    '{job=~"[^x]*"}',
    '{job=~`.+`}',
    '{ job =~ ".*" , app != "x" }',
    'sum(count_over_time({job=~".+"}[5m]))',
    'sum(count_over_time({app="api"}[5m])) / sum(count_over_time({job=~".*"}[5m]))',
  ])('refuses %s', (q) => {
    expect(code(() => checkLogql(q))).toBe('query_denied');
  });

  it.each(['{app="api"}', '{app=~"api|web"}', '{app="api", job!="x"}', '{app=~"api.*"}', '{app="a\\"b"}', 'sum by (level) (count_over_time({app="api"} | level="error" [5m]))', '{app="api"} |= "{not a selector}" | line_format "{{.msg}}"'])(
    'accepts %s',
    (q) => {
      expect(code(() => checkLogql(q))).toBe('ok');
    },
  );

  it('reads selectors outside strings only, and their matchers', () => {
    expect(scanLogql('{a="}"} |= "{b=~\\".*\\"}"').selectors).toEqual(['a="}"']);
    expect(selectorNarrows('a="x", b=~".*"')).toBe(true);
    expect(selectorNarrows('b=~".*"')).toBe(false);
  });

  // Every spelling of "any value" the Loki corpus found, and the form the regex engine cannot read here.
  it.each(['.*', '.+', '^.+$', 'api|.*', '.{1,}', '(.+)', '.+?', '[\\s\\S]+', '(?:api|.+)', '(?s:.+)', '\\S+'])('a selector whose only regex is %s matches every stream', (re) => {
    expect(selectorNarrows(`app=~${JSON.stringify(re)}`)).toBe(false);
    expect(code(() => checkLogql(`{app=~${JSON.stringify(re)}}`))).toBe('query_denied');
  });

  it.each(['api.*', '(api|web)', '.*-prod', '[a-z]+', '\\w+'])('a regex selecting some values (%s) narrows', (re) => {
    expect(selectorNarrows(`app=~${JSON.stringify(re)}`)).toBe(true);
  });
});

describe('what the guard refuses before any request', () => {
  it.each([
    ['{app="api"} # hidden', 'query_denied'],
    ['{app="api"', 'invalid_input'],
    ['{app="api"} |= "x', 'invalid_input'],
    ['{app api}', 'invalid_input'],
    ['|= "x"', 'invalid_input'],
    ['{app="api"} [5m]', 'invalid_input'],
    ['count_over_time({app="api"}[32d])', 'invalid_input'],
    ['count_over_time({app="api"}[5m] offset 800h)', 'invalid_input'],
    ['{app="api"}\u0000', 'invalid_input'],
    ['x'.repeat(4001), 'invalid_input'],
  ])('%s → %s', (q, expected) => {
    expect(code(() => checkLogql(q))).toBe(expected);
  });

  it('reads LogQL durations', () => {
    expect(durationMs('5m')).toBe(300_000);
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('250ms')).toBe(250);
    expect(code(() => durationMs('5 minutes'))).toBe('invalid_input');
  });
});

describe('window, limit and step', () => {
  it('injects the last hour and the default limit of a log query when missing', () => {
    expect(normalizeLogql({ query: '{app="api"}' }, undefined, NOW)).toEqual({ kind: 'log', logql: '{app="api"}', start: NOW - HOUR, end: NOW, limit: 200, stepMs: 0, injected: ['window', 'limit'] });
    expect(normalizeLogql({ query: '{app="api"}', start: NOW - 2 * HOUR, limit: 10 }, undefined, NOW)).toMatchObject({ start: NOW - 2 * HOUR, end: NOW, limit: 10, injected: ['window_end'] });
  });

  it('injects a step of a metric query (about 250 points, at least 1 s) and caps its points', () => {
    expect(normalizeLogql({ query: 'sum(count_over_time({app="api"}[1m]))' }, undefined, NOW)).toMatchObject({ kind: 'metric', stepMs: 14_000, limit: 0, injected: ['window', 'step'] });
    expect(code(() => normalizeLogql({ query: 'sum(count_over_time({app="api"}[1m]))', start: NOW - 24 * HOUR, stepMs: 1000 }, undefined, NOW))).toBe('invalid_input');
    expect(code(() => normalizeLogql({ query: 'sum(count_over_time({app="api"}[1m]))', limit: 5 }, undefined, NOW))).toBe('invalid_input');
    expect(code(() => normalizeLogql({ query: '{app="api"}', stepMs: 60_000 }, undefined, NOW))).toBe('invalid_input');
  });

  it('refuses, never clamps, a window over 721 h, a limit over 1000 and an inverted window', () => {
    expect(code(() => normalizeLogql({ query: '{app="api"}', start: NOW - 722 * HOUR }, undefined, NOW))).toBe('invalid_input');
    expect(code(() => normalizeLogql({ query: '{app="api"}', start: NOW - 721 * HOUR }, undefined, NOW))).toBe('ok');
    expect(code(() => normalizeLogql({ query: '{app="api"}', limit: 1001 }, undefined, NOW))).toBe('invalid_input');
    expect(code(() => normalizeLogql({ query: '{app="api"}', limit: 0 }, undefined, NOW))).toBe('invalid_input');
    expect(code(() => normalizeLogql({ query: '{app="api"}', start: NOW, end: NOW - 1 }, undefined, NOW))).toBe('invalid_input');
  });
});

describe('loki_discover requests', () => {
  it('needs a label for values and a narrowing selector for series and hits', () => {
    expect(code(() => normalizeDiscover({ what: 'values', limit: 10 }, undefined, NOW))).toBe('invalid_input');
    expect(code(() => normalizeDiscover({ what: 'values', label: 'a.b', limit: 10 }, undefined, NOW))).toBe('invalid_input');
    expect(code(() => normalizeDiscover({ what: 'series', limit: 10 }, undefined, NOW))).toBe('invalid_input');
    expect(code(() => normalizeDiscover({ what: 'series', selector: '{job=~".+"}', limit: 10 }, undefined, NOW))).toBe('query_denied');
    expect(code(() => normalizeDiscover({ what: 'series', selector: '{app="api"} |= "x"', limit: 10 }, undefined, NOW))).toBe('invalid_input');
    expect(code(() => normalizeDiscover({ what: 'hits', selector: 'sum(count_over_time({app="api"}[1m]))', limit: 10 }, undefined, NOW))).toBe('invalid_input');
    expect(normalizeDiscover({ what: 'hits', selector: '{app="api"} |= "x"', limit: 10 }, undefined, NOW)).toMatchObject({ stepMs: 60_000, injected: ['window', 'step'] });
    expect(code(() => normalizeDiscover({ what: 'hits', selector: '{app="api"}', stepMs: 1000, start: NOW - 2 * HOUR, limit: 10 }, undefined, NOW))).toBe('invalid_input');
    expect(normalizeDiscover({ what: 'labels', limit: 10 }, undefined, NOW)).toMatchObject({ start: NOW - HOUR, end: NOW, injected: ['window'] });
  });
});
