import { SIGMA_PER_MAD, median } from './stats.js';
import { SortedWindow, madOfSorted, medianOfSorted } from './sorted-window.js';

export interface BaselineOptions {
  /** Buckets before a candidate that form its baseline. */
  windowBuckets: number;
  /** Fewer buckets than this before a candidate: no baseline, so no burst can start there. */
  minBuckets: number;
}

/**
 * What the buckets from an onset on were expected to hold, frozen at the onset: a long burst
 * must not become its own baseline and "end" only because the median caught up with it.
 */
export interface Reference {
  expectedAt(bucket: number): number;
  /** One standard deviation of noise around expectedAt(bucket). */
  spreadAt(bucket: number): number;
  /** Which history set the expectation at the onset. */
  source: 'preceding' | 'day_earlier';
}

/** A day-earlier value further than this from today's level is not a seasonal pattern but another day. */
const MAX_LEVEL_RATIO = 4;
const SMOOTHING_RADIUS = 2;

/**
 * Expected counts from two histories: the preceding window (median, so an earlier spike inside
 * it does not lift the baseline) and, when given, the same buckets a day earlier scaled to
 * today's level, which explains daily ramps the preceding window cannot foresee. A rise counts
 * only when it beats both: a seasonal series falls back on the preceding window where
 * yesterday was quieter, and yesterday's shape raises the bar where it was busier.
 */
export class Baseline {
  private readonly seasonal?: (number | undefined)[];
  private readonly window: SortedWindow;

  constructor(
    counts: readonly number[],
    dayEarlier: readonly (number | undefined)[] | undefined,
    private readonly opts: BaselineOptions,
  ) {
    this.seasonal = dayEarlier && runningMedian(dayEarlier, SMOOTHING_RADIUS);
    this.window = new SortedWindow(counts);
  }

  before(bucket: number): Reference | undefined {
    const from = Math.max(0, bucket - this.opts.windowBuckets);
    if (bucket - from < this.opts.minBuckets) return undefined;
    const history = this.window.at(from, bucket);
    const centre = medianOfSorted(history);
    const noise = SIGMA_PER_MAD * madOfSorted(history, centre);
    const level = this.seasonalLevel(from, bucket, centre);
    const seasonal = this.seasonal;
    const expectedAt = (j: number): number => {
      const yesterday = level === undefined ? undefined : seasonal?.[j];
      return yesterday === undefined ? centre : Math.max(centre, yesterday * level!);
    };
    // Counts of independent events vary at least like a Poisson count: a perfectly regular
    // history must not make every extra event look significant.
    const spreadAt = (j: number): number => Math.max(noise, Math.sqrt(expectedAt(j)));
    return { expectedAt, spreadAt, source: expectedAt(bucket) > centre ? 'day_earlier' : 'preceding' };
  }

  /** Today's volume over yesterday's, across the same history window: yesterday's shape at today's level. */
  private seasonalLevel(from: number, to: number, centre: number): number | undefined {
    if (!this.seasonal) return undefined;
    const earlier: number[] = [];
    for (let j = from; j < to; j++) {
      const v = this.seasonal[j];
      if (v !== undefined) earlier.push(v);
    }
    if (earlier.length < this.opts.minBuckets) return undefined;
    // Add-one keeps the ratio finite for quiet series and pulls small-count ratios towards 1.
    const ratio = (centre + 1) / (median(earlier) + 1);
    return Math.min(MAX_LEVEL_RATIO, Math.max(1 / MAX_LEVEL_RATIO, ratio));
  }
}

/** Median over a centred window: a one- or two-bucket spike a day earlier does not hide one today. */
function runningMedian(values: readonly (number | undefined)[], radius: number): (number | undefined)[] {
  return values.map((v, i) => {
    if (v === undefined) return undefined;
    const around: number[] = [];
    for (let j = Math.max(0, i - radius); j <= Math.min(values.length - 1, i + radius); j++) {
      const w = values[j];
      if (w !== undefined) around.push(w);
    }
    return median(around);
  });
}
