/** Median of a list, 0 when it is empty; sorts a copy. */
export function median(values: readonly number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * One standard deviation of normal noise per unit of median absolute deviation: a spread from
 * the MAD is not inflated by a few outliers (an earlier spike inside a baseline window) the way
 * a variance is.
 */
export const SIGMA_PER_MAD = 1.4826;

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
