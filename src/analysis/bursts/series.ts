/** Event counts in equal-width time buckets, oldest first. */
export interface BucketSeries {
  /** Start of the first bucket, epoch milliseconds. */
  startMs: number;
  bucketMs: number;
  counts: number[];
}

/** Per-bucket counts split by a label's values, e.g. { service: { api: [..], db: [..] } }, each as long as the series. */
export type Breakdowns = Record<string, Record<string, number[]>>;

export const DAY_MS = 86_400_000;

export function assertSeries(series: BucketSeries, name = 'series'): void {
  if (!Number.isFinite(series.startMs)) throw new RangeError(`${name}.startMs must be an epoch time in milliseconds`);
  if (!Number.isFinite(series.bucketMs) || series.bucketMs <= 0) throw new RangeError(`${name}.bucketMs must be a positive number of milliseconds`);
  for (const c of series.counts) {
    if (!Number.isFinite(c) || c < 0) throw new RangeError(`${name}.counts must hold finite counts ≥ 0`);
  }
}

export function assertBreakdowns(breakdowns: Breakdowns, length: number): void {
  for (const [label, values] of Object.entries(breakdowns)) {
    for (const [value, counts] of Object.entries(values)) {
      if (counts.length !== length) throw new RangeError(`breakdowns.${label}.${value} has ${counts.length} buckets, the series ${length}`);
    }
  }
}

/**
 * The count of the same bucket one day earlier, for each bucket of `series`; undefined where
 * the earlier series does not reach. Both must share the bucket width and grid.
 */
export function alignDayEarlier(series: BucketSeries, earlier: BucketSeries): (number | undefined)[] {
  assertSeries(earlier, 'dayEarlier');
  if (earlier.bucketMs !== series.bucketMs) throw new RangeError('dayEarlier.bucketMs must equal the series bucketMs');
  const offset = (series.startMs - DAY_MS - earlier.startMs) / series.bucketMs;
  if (!Number.isInteger(offset)) throw new RangeError('dayEarlier buckets must line up with the series buckets one day earlier');
  return series.counts.map((_, i) => {
    const j = i + offset;
    return j >= 0 && j < earlier.counts.length ? earlier.counts[j] : undefined;
  });
}
