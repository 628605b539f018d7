import type { Point } from './detect-changes.js';
import { median } from './scale.js';

/** Theil–Sen works on at most this many points, evenly spread: O(SAMPLE²) whatever the length. */
export const TREND_SAMPLE = 80;

/**
 * The trend of a series: the Theil–Sen slope (median of the pairwise slopes) over an evenly
 * spread subsample. Robust where least squares is not: a spike to 1e12 among values near
 * 0.002, or a stretch of stale values, moves a median of slopes by little and a sum of squares
 * by everything; the subsample bounds the pairwise work at SAMPLE²/2 slopes.
 */
export function theilSen(points: readonly Point[]): { slope: number; intercept: number } {
  const m = points.length;
  if (m < 2) return { slope: 0, intercept: m ? points[0].v : 0 };
  const k = Math.min(m, TREND_SAMPLE);
  const sample: Point[] = [];
  for (let i = 0; i < k; i++) sample.push(points[Math.round((i * (m - 1)) / (k - 1))]);
  const slopes = new Float64Array((k * (k - 1)) / 2);
  let s = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const dt = sample[j].t - sample[i].t;
      if (dt > 0) slopes[s++] = (sample[j].v - sample[i].v) / dt;
    }
  }
  // The median by selection, in linear time: sorting the ~3,000 slopes was most of a summary's cost.
  const slope = s ? median(slopes.subarray(0, s)) : 0;
  const t0 = points[0].t;
  const intercept = median(sample.map((p) => p.v - slope * (p.t - t0)));
  return { slope, intercept };
}
