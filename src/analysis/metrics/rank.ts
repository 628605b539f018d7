/**
 * Top-k: the series of a PromQL result with the largest (or smallest) aggregate, and the
 * generic top-k the change ranking uses. Stable: equal keys keep their input order, so the same
 * result always reads the same.
 */
import type { Point } from './detect-changes.js';

export type Aggregate = 'max' | 'min' | 'avg' | 'last';

export interface Ranked<T> {
  item: T;
  /** Position in the input. */
  index: number;
  key: number;
}

/**
 * The k items with the largest key (order 'desc', default) or smallest ('asc'), best first;
 * ties in input order; items whose key is NaN last, never among better ones. O(n log k)
 * would not pay at the sizes here (≤ a few thousand series): one stable sort of the keys.
 */
export function topK<T>(items: readonly T[], k: number, key: (item: T) => number, order: 'desc' | 'asc' = 'desc'): Ranked<T>[] {
  const keyed = items.map((item, index) => ({ item, index, key: key(item) }));
  const sign = order === 'desc' ? -1 : 1;
  keyed.sort((a, b) => {
    const an = Number.isNaN(a.key);
    const bn = Number.isNaN(b.key);
    if (an || bn) return an === bn ? a.index - b.index : an ? 1 : -1;
    return a.key === b.key ? a.index - b.index : sign * (a.key < b.key ? -1 : 1);
  });
  return keyed.slice(0, Math.max(0, Math.floor(k)));
}

/** The aggregate of a series' finite values (NaN, ±Inf and missing points left out); NaN without one. */
export function aggregate(points: readonly Point[], by: Aggregate): number {
  let n = 0;
  let acc = by === 'max' ? -Infinity : by === 'min' ? Infinity : 0;
  let lastT = -Infinity;
  for (const p of points) {
    if (!Number.isFinite(p.v)) continue;
    n++;
    if (by === 'max') acc = Math.max(acc, p.v);
    else if (by === 'min') acc = Math.min(acc, p.v);
    else if (by === 'avg') acc += p.v;
    else if (p.t >= lastT) {
      lastT = p.t;
      acc = p.v;
    }
  }
  if (!n) return NaN;
  return by === 'avg' ? acc / n : acc;
}

export interface RankedSeries<L> {
  labels: L;
  index: number;
  value: number;
}

export interface SeriesRanking<L> {
  top: RankedSeries<L>[];
  /** Series not shown. */
  others: number;
  /** Series without a finite value (never in `top` ahead of one with a value). */
  no_data: number;
}

/** The k series with the highest (order 'desc') or lowest ('asc') aggregate of their finite values. */
export function rankSeries<L>(series: readonly { labels: L; points: readonly Point[] }[], by: Aggregate, k: number, order: 'desc' | 'asc' = 'desc'): SeriesRanking<L> {
  const ranked = topK(series, k, (s) => aggregate(s.points, by), order).filter((r) => !Number.isNaN(r.key));
  const noData = series.filter((s) => !s.points.some((p) => Number.isFinite(p.v))).length;
  return {
    top: ranked.map((r) => ({ labels: r.item.labels, index: r.index, value: r.key })),
    others: series.length - ranked.length,
    no_data: noData,
  };
}
