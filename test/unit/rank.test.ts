/**
 * Top-k series by an aggregate of their finite values, ties in input order, series without data last.
 */
import { describe, expect, it } from 'vitest';
import { aggregate, rankSeries, topK } from '../../src/analysis/metrics/rank.js';

const pts = (...values: number[]) => values.map((v, i) => ({ t: 1_000 * i, v }));

describe('aggregate', () => {
  it('takes max, min, avg and last over finite values only', () => {
    const p = pts(3, NaN, 9, Infinity, -2, 4, -Infinity);
    expect(aggregate(p, 'max')).toBe(9);
    expect(aggregate(p, 'min')).toBe(-2);
    expect(aggregate(p, 'avg')).toBe(14 / 4);
    expect(aggregate(p, 'last')).toBe(4);
    expect(aggregate(pts(NaN, NaN), 'max')).toBeNaN();
    expect(aggregate([], 'avg')).toBeNaN();
  });

  it('takes the last by time, not by position', () => {
    expect(aggregate([{ t: 5, v: 1 }, { t: 2, v: 7 }], 'last')).toBe(1);
  });
});

describe('topK', () => {
  it('is stable: equal keys keep their input order, NaN keys come last', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'];
    const keys: Record<string, number> = { a: 1, b: 5, c: NaN, d: 5, e: 1, f: 3 };
    expect(topK(items, 10, (x) => keys[x]).map((r) => r.item)).toEqual(['b', 'd', 'f', 'a', 'e', 'c']);
    expect(topK(items, 10, (x) => keys[x], 'asc').map((r) => r.item)).toEqual(['a', 'e', 'f', 'b', 'd', 'c']);
    expect(topK(items, 2, (x) => keys[x]).map((r) => [r.item, r.index, r.key])).toEqual([
      ['b', 1, 5],
      ['d', 3, 5],
    ]);
    expect(topK(items, 0, (x) => keys[x])).toEqual([]);
  });
});

describe('rankSeries', () => {
  const series = [
    { labels: { pod: 'a' }, points: pts(0.002, 0.003) },
    { labels: { pod: 'b' }, points: pts(1e12, 2e12) },
    { labels: { pod: 'c' }, points: pts(NaN) },
    { labels: { pod: 'd' }, points: pts(-5, -1) },
    { labels: { pod: 'e' }, points: pts(2e12, 1e12) },
  ];

  it('ranks by the aggregate, ties in input order, and says how many are left out', () => {
    const byMax = rankSeries(series, 'max', 2);
    expect(byMax.top).toEqual([
      { labels: { pod: 'b' }, index: 1, value: 2e12 },
      { labels: { pod: 'e' }, index: 4, value: 2e12 },
    ]);
    expect(byMax).toMatchObject({ others: 3, no_data: 1 });
    expect(rankSeries(series, 'last', 5).top.map((s) => s.labels.pod)).toEqual(['b', 'e', 'a', 'd']);
    expect(rankSeries(series, 'min', 1, 'asc').top).toEqual([{ labels: { pod: 'd' }, index: 3, value: -5 }]);
    expect(rankSeries(series, 'avg', 10).others).toBe(1);
  });
});
