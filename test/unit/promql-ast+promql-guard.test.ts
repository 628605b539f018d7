import { describe, expect, it } from 'vitest';
import { TelemcpError } from '../../src/core/errors.js';
import { durationMs, parsePromql } from '../../src/backends/metrics/promql-ast.js';
import { DEFAULT_PROMQL_LIMITS, MAX_POINTS, checkPromqlShape, selectorText, type PromqlRequest } from '../../src/backends/metrics/promql-guard.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const H = 3_600_000;

function refusal(req: Partial<PromqlRequest> & { expr: string }): TelemcpError {
  try {
    checkPromqlShape({ time: NOW, ...req }, DEFAULT_PROMQL_LIMITS);
  } catch (err) {
    expect(err).toBeInstanceOf(TelemcpError);
    return err as TelemcpError;
  }
  throw new Error(`expected ${req.expr} to be refused`);
}

describe('PromQL durations', () => {
  it.each([
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['1y', 31_536_000_000],
    ['300', 300_000],
    ['2w1d', 1_296_000_000],
  ])('%s is %d ms', (text, ms) => expect(durationMs(text)).toBe(ms));
  it.each(['', '5', 'm5', '5x', '1h 30m', '-5m'].filter((t) => t !== '5'))('%j is not a duration', (text) => expect(durationMs(text)).toBeUndefined());
});

describe('what an expression reads', () => {
  it('names the metric, matchers, range, offset and the subquery around it', () => {
    const shape = parsePromql('max_over_time(rate(http_requests_total{job="api",code=~"5.."}[5m] offset 1h)[1d:1m])');
    expect(shape.selectors).toEqual([
      {
        text: 'http_requests_total{job="api",code=~"5.."}',
        metric: 'http_requests_total',
        matchers: [
          { name: '__name__', op: '=', value: 'http_requests_total' },
          { name: 'job', op: '=', value: 'api' },
          { name: 'code', op: '=~', value: '5..' },
        ],
        rangeMs: 300_000,
        lookbackMs: 300_000 + 86_400_000,
        offsetMs: H,
      },
    ]);
    expect(shape.subqueries).toEqual([{ text: 'rate(http_requests_total{job="api",code=~"5.."}[5m] offset 1h)[1d:1m]', rangeMs: 86_400_000, stepMs: 60_000 }]);
    expect(shape.calls.map((c) => [c.fn, c.matrix?.metric])).toEqual([
      ['rate', 'http_requests_total'],
      ['max_over_time', undefined],
    ]);
  });

  it('reads Prometheus 3 quoted names, negative offsets, @ pins and escapes', () => {
    const [s] = parsePromql('{"http.server.duration", "service.name"="pay\\"ments"} offset -5m @ 1767225600').selectors;
    expect(s.metric).toBe('http.server.duration');
    expect(s.matchers).toEqual([
      { name: '__name__', op: '=', value: 'http.server.duration' },
      { name: 'service.name', op: '=', value: 'pay"ments' },
    ]);
    expect(s.offsetMs).toBe(-300_000);
    expect(s.at).toBe(1_767_225_600_000);
    expect(parsePromql('up @ end()').selectors[0].at).toBe('end');
  });

  it('binds offset and @ to the last operand, as Prometheus does, and refuses them after an aggregation', () => {
    const shape = parsePromql('a and b offset 1h @ 100');
    expect(shape.selectors.map((s) => [s.metric, s.offsetMs, s.at])).toEqual([
      ['a', 0, undefined],
      ['b', H, 100_000],
    ]);
    expect(parsePromql('a + b * c offset 5m').selectors.map((s) => s.offsetMs)).toEqual([0, 0, 300_000]);
    expect(() => parsePromql('sum(x) offset 1h')).toThrow(/must follow a selector or a subquery/);
  });

  it('sees the grouping histogram_quantile is given', () => {
    const [, hq] = parsePromql('histogram_quantile(0.99, sum by (le, job) (rate(x_bucket[5m])))').calls;
    expect(hq.aggregation).toEqual({ op: 'sum', by: ['le', 'job'] });
    expect(parsePromql('histogram_quantile(0.9, sum without (le) (rate(x_bucket[5m])))').calls[1].aggregation).toEqual({ op: 'sum', without: ['le'] });
  });

  it('refuses syntax errors saying where, and duration arithmetic', () => {
    expect(() => parsePromql('sum(rate(x[5m])')).toThrow(/syntax error at character/);
    expect(() => parsePromql('x[5m+1m]')).toThrow(/not a plain duration/);
  });

  it("writes selectors back in a form every server's series API takes, escapes kept, names quoted only when they must be", () => {
    const [s] = parsePromql('up{job="a\\\\b",path=~"/x|/y"}').selectors;
    expect(selectorText(s)).toBe('{__name__="up",job="a\\\\b",path=~"/x|/y"}');
    const [utf8] = parsePromql('{"http.server.duration", "service.name"="api"}').selectors;
    expect(selectorText(utf8)).toBe('{__name__="http.server.duration","service.name"="api"}');
  });
});

describe('the shape checks before any backend call', () => {
  it('denies selectors that match every series (H-43) and refuses those Prometheus refuses', () => {
    for (const expr of ['count by (__name__)({__name__=~".+"})', '{__name__=~".*", job=~".+"}', '{__name__!=""}', 'sum({job=~".+"})', '{__name__=~"(.+)"}', '{__name__=~"foo|.+"}', '{__name__=~"..*"}', '{__name__=~".{1,1000}"}', '{__name__=~"\\\\S+"}', '{__name__=~"(.+)(.*)"}', '{__name__=~"[a-zA-Z_:].*"}', '{__name__=~"(?s:.+)"}', '{__name__=~"^.+$"}', '{__name__=~"(?i)(?s).+"}']) {
      expect(refusal({ expr }).code, expr).toBe('query_denied');
    }
    for (const expr of ['{job=~".*"}', '{job!="x"}', '{job=""}', '{__name__=~"foo|.*"}']) {
      const err = refusal({ expr });
      expect([err.code, err.message]).toEqual(['invalid_input', expect.stringContaining('no matcher that requires a value')]);
    }
  });

  it('refuses subqueries of too many points (H-45) naming the limit and a coarser step', () => {
    const err = refusal({ expr: 'max_over_time(up[365d:1s])' });
    expect(err.code).toBe('invalid_input');
    expect(err.message).toMatch(/365d|31d/);
    const fine = refusal({ expr: 'max_over_time(up[2d:1s])' });
    expect(fine.message).toContain(`at most ${MAX_POINTS}`);
    expect(fine.hint).toMatch(/at least 16s/);
  });

  it('refuses ranges over the limit, too many points, reversed windows and control characters', () => {
    expect(refusal({ expr: 'rate(up[60d])' }).message).toMatch(/\[60d\] .* longer than 31d/);
    const start = NOW - 7 * 24 * H;
    expect(refusal({ expr: 'up', time: undefined, start, end: NOW, stepMs: 15_000 }).message).toContain('40321 points per series; at most 11000');
    expect(refusal({ expr: 'up', time: undefined, start: NOW, end: NOW - H, stepMs: 60_000 }).message).toContain('end must be after start');
    expect(refusal({ expr: 'up', time: undefined, start: NOW - 40 * 24 * H, end: NOW, stepMs: 3_600_000 }).message).toContain('at most 31d');
    expect(refusal({ expr: 'up\u0000' }).message).toContain('control characters');
    expect(refusal({ expr: 'x'.repeat(5000) }).message).toContain('at most 4000');
  });

  it('accepts ordinary queries and counts their points', () => {
    expect(checkPromqlShape({ expr: 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))', time: NOW }, DEFAULT_PROMQL_LIMITS)).toMatchObject({ kind: 'instant', points: 1 });
    expect(checkPromqlShape({ expr: 'up{job="node"}', start: NOW - 24 * H, end: NOW, stepMs: 60_000 }, DEFAULT_PROMQL_LIMITS)).toMatchObject({ kind: 'range', points: 1441 });
    expect(checkPromqlShape({ expr: '{__name__=~"node_.*"}', time: NOW }, DEFAULT_PROMQL_LIMITS).selectors).toHaveLength(1);
    // Narrow regexes stay allowed, however they are written.
    for (const expr of ['{__name__=~"http_.+"}', '{job=~"api|web"}', '{__name__=~"(?i)NODE_LOAD.*"}', 'up{instance=~".+:9100"}']) expect(() => checkPromqlShape({ expr, time: NOW }, DEFAULT_PROMQL_LIMITS), expr).not.toThrow();
  });
});
