/**
 * The values of a window sliding over a series, kept sorted: the baseline moves one bucket at a
 * time, so each move is one removal and one insertion (a binary search and a short copy of at
 * most the window's length) instead of sorting the whole window twice per bucket for its median
 * and its median absolute deviation. Written here because the window is small (30 buckets) and
 * the figures must equal analysis/bursts/stats.ts's exactly; no library keeps that contract.
 */
export class SortedWindow {
  private sorted: number[] = [];
  private from = 0;
  private to = 0;

  constructor(private readonly values: readonly number[]) {}

  /** The values at [from, to), ascending. Forward moves are incremental; anything else rebuilds. */
  at(from: number, to: number): readonly number[] {
    const forward = from >= this.from && to >= this.to && from <= this.to;
    if (!forward || from - this.from + (to - this.to) > to - from) {
      this.sorted = this.values.slice(from, to).sort((a, b) => a - b);
    } else {
      for (let i = this.from; i < from; i++) this.sorted.splice(lowerBound(this.sorted, this.values[i]), 1);
      for (let i = this.to; i < to; i++) this.sorted.splice(lowerBound(this.sorted, this.values[i]), 0, this.values[i]);
    }
    this.from = from;
    this.to = to;
    return this.sorted;
  }
}

/** First index whose value is not below x. */
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Median of ascending values, as stats.median computes it (0 when empty). */
export function medianOfSorted(sorted: readonly number[]): number {
  const n = sorted.length;
  if (!n) return 0;
  const mid = n >> 1;
  return n % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Median of |v − centre| over ascending values, without sorting the deviations: those left of
 * the centre grow leftwards and those right of it rightwards, so a merge from the centre out
 * reaches the middle one in half the window.
 */
export function madOfSorted(sorted: readonly number[], centre: number): number {
  const n = sorted.length;
  if (!n) return 0;
  let right = lowerBound(sorted, centre);
  let left = right - 1;
  const want = n >> 1;
  let previous = 0;
  for (let k = 0; ; k++) {
    const dl = left >= 0 ? centre - sorted[left] : Infinity;
    const dr = right < n ? sorted[right] - centre : Infinity;
    const d = dl <= dr ? dl : dr;
    if (dl <= dr) left--;
    else right++;
    if (k === want) return n % 2 ? d : (previous + d) / 2;
    previous = d;
  }
}
