/**
 * Metric values into the count-like units the burst detector (analysis/bursts/detect.ts) works
 * in, so that "what changed at 14:03" has one answer across logs and metrics.
 *
 * detectBursts expects non-negative event counts: its noise floor is Poisson (√expected), a rise
 * must beat MIN_STEP = 1 and minExcess = 10 events, and a rise must be at least half the
 * expected level. Metric values are floats of any scale and sign, so each series is mapped:
 *
 *  - `count`: the caller says one event is worth `countUnit` (1 for count_over_time or
 *    increase, 1/range seconds for rate): the values become the event counts themselves, and
 *    the detector decides exactly as it does on the same log counts.
 *  - `ratio` (no negative value: rates, bytes, durations, ratios): v / unit, the unit chosen so
 *    that the series' own noise is Poisson-like in those units: with level L and robust noise s
 *    (from successive differences, which a step or a spike barely moves), (s/unit)² = L/unit, so
 *    unit = s²/L and the level sits at K = (L/s)² units. The detector's floors then mean what
 *    they mean on counts, at the series' own noise: its √expected floor is the real noise, its
 *    relative floor "half the level" is unit-free. K is kept within [K_MIN, K_MAX]: a perfectly
 *    steady series does not make a change of one part in a billion an event. A series whose
 *    median is 0 (an error rate that is mostly quiet) has no level to match: its typical
 *    non-zero value is 4 units, so one such point is no spike (the detector wants 10 units
 *    of excess) but three in a row are a change, and a point 2.5× that size is a spike.
 *  - `interval` (some value below zero: temperatures in °C, clock offsets, differences): the
 *    distance above a floor 4σ below the minimum, one unit = σ/4, so the baseline sits ~16
 *    units up with √16 = 4 units (one σ) of Poisson floor: a change must be 4σ, and the
 *    detector's "half the level" is then at most comparable with that.
 *
 * Drops are found by running the same detector on a mirror of the series in which a drop is a
 * rise: for `ratio` and `count` the reciprocal around the typical level R (R²/v in units), so
 * falling by a factor f is rising by f: a drop must take the series below 1/1.5 of the expected
 * level, as a rise must take it above 1.5×, wherever in the range it happens. v is floored at
 * one unit and at R/100 (a fall to zero is a 100-fold fall at most, and a fall below one event
 * is no fall). For `interval`, the distance below a ceiling 4σ above the maximum.
 */

import { SIGMA_PER_MAD } from '../bursts/stats.js';

export type ScaleKind = 'count' | 'ratio' | 'interval';

export interface Scale {
  kind: ScaleKind;
  /** Value of one count-like unit, in the series' own units. */
  unit: number;
  /** Typical level of the series (its median), in its own units. */
  level: number;
  /** Robust noise of one step (from successive differences), in its own units. */
  noise: number;
  /** The series as counts: a rise of the series is a rise here. Never negative. */
  up(v: number): number;
  /** The mirror: a drop of the series is a rise here. Never negative. */
  down(v: number): number;
}

export interface ScaleOptions {
  /** `auto` (default): `interval` if any value is negative, else `ratio`; or `count` when countUnit is given. */
  scale?: 'auto' | 'ratio' | 'interval' | 'count';
  /** What one event is worth in this series (count_over_time: 1; rate over 1m: 1/60): the series is analysed as event counts. */
  countUnit?: number;
}

/** Level over noise squared is capped: beyond a million units, the relative floors decide anyway. */
const K_MAX = 1e6;
/** At least a few units at the level, so MIN_STEP and minExcess never outweigh the level itself. */
const K_MIN = 4;
/** A series that sits at zero: its typical non-zero value is this many units (one point of it is no spike, three in a row are a change). */
const ZERO_LEVEL_UNITS = 4;
/** The reciprocal mirror: a value at zero counts as having fallen this many times. */
const MAX_DROP_FACTOR = 100;
/** Interval scale: σ per unit (1/4) and the margin, in σ, below the minimum and above the maximum. */
const INTERVAL_UNITS_PER_SIGMA = 4;
const INTERVAL_MARGIN_SIGMAS = 4;

/** Median of finite numbers, as analysis/bursts/stats.ts defines it, by selection in linear time (a series of 11,000 points: tens of microseconds). */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (!n) return 0;
  const a = Float64Array.from(values);
  const mid = n >> 1;
  const upper = select(a, mid, 0, n - 1);
  if (n % 2) return upper;
  // The lower middle is the largest value left of mid once mid is in place.
  let lower = -Infinity;
  for (let i = 0; i < mid; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/** The k-th smallest of a[lo..hi] (Hoare's selection, middle pivot), rearranging a so that a[i] ≤ a[k] for i < k. */
function select(a: Float64Array, k: number, lo: number, hi: number): number {
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * One standard deviation of step-to-step noise: the MAD of successive differences over √2.
 * A step or a spike moves one or two differences, which the median ignores. A series of whole
 * values that mostly repeats (a gauge reading 2 or 3 by turns) has a median difference of 0
 * though it flickers: then the 90th percentile of the differences, read as a normal one, sets
 * the noise, so one flicker is not a change of one part in a million. A series that changes
 * in under a tenth of its steps (replicas 2, then 3) keeps no noise: its one step stands out.
 */
export function stepNoise(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const every = stride(values.length - 1);
  const diffs = new Float64Array(Math.ceil((values.length - 1) / every));
  for (let i = 1, k = 0; i < values.length; i += every) diffs[k++] = Math.abs(values[i] - values[i - 1]);
  const mad = median(diffs);
  if (mad > 0) return (SIGMA_PER_MAD * mad) / Math.SQRT2;
  diffs.sort();
  return diffs[Math.floor(0.9 * (diffs.length - 1))] / (P90_ABS_NORMAL * Math.SQRT2);
}

/** The 90th percentile of |x| for a standard normal x. */
const P90_ABS_NORMAL = 1.645;

/** Level and noise are medians: past this many values, every k-th value (evenly spread) estimates them as well. */
const ESTIMATE_SAMPLE = 4096;
const stride = (n: number) => Math.max(1, Math.ceil(n / ESTIMATE_SAMPLE));

/** Every k-th value, k such that at most ESTIMATE_SAMPLE remain (all of them below that). */
function sampleOf(values: readonly number[], keep: (v: number) => boolean = () => true): number[] {
  const every = stride(values.length);
  const out: number[] = [];
  for (let i = 0; i < values.length; i += every) if (keep(values[i])) out.push(values[i]);
  return out;
}

/** The scale of one series from its finite values in time order (the current data, never the day-earlier copy). */
export function scaleFor(values: readonly number[], opts: ScaleOptions = {}): Scale {
  const level = median(sampleOf(values));
  const noise = stepNoise(values);
  const negative = values.some((v) => v < 0);
  const wanted = opts.countUnit !== undefined && (opts.scale ?? 'auto') === 'auto' ? 'count' : (opts.scale ?? 'auto');
  const kind: ScaleKind = wanted === 'auto' ? (negative ? 'interval' : 'ratio') : wanted;
  if (kind === 'count' && !(opts.countUnit !== undefined && Number.isFinite(opts.countUnit) && opts.countUnit > 0)) {
    throw new RangeError('scale "count" needs countUnit, the value of one event (> 0)');
  }
  if ((kind === 'count' || kind === 'ratio') && negative) throw new RangeError(`scale "${kind}" needs values ≥ 0; this series goes below zero`);
  if (kind === 'interval') return intervalScale(values, level, noise);

  let positive = sampleOf(values, (v) => v > 0);
  // A series at zero but for a few points: the sample may have missed them all.
  if (!positive.length && values.some((v) => v > 0)) positive = values.filter((v) => v > 0);
  const typical = median(positive);
  let unit: number;
  if (kind === 'count') unit = opts.countUnit!;
  else if (level > 0) {
    const k = noise > 0 ? (level / noise) ** 2 : K_MAX;
    unit = level / Math.min(K_MAX, Math.max(K_MIN, k));
  } else unit = typical > 0 ? typical / ZERO_LEVEL_UNITS : 1;
  const r = typical / unit;
  // Below one unit (one event, or one Poisson-matched unit of noise) a drop cannot be told from
  // the noise of counting: a level of 2 events falling to 0 is no 100-fold drop.
  const floor = Math.max(r / MAX_DROP_FACTOR, 1);
  return {
    kind,
    unit,
    level,
    noise,
    up: (v) => Math.max(0, v) / unit,
    // With nothing above zero there is nothing to fall from.
    down: r > 0 ? (v) => (r * r) / Math.max(v / unit, floor) : () => 0,
  };
}

function intervalScale(values: readonly number[], level: number, noise: number): Scale {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // A perfectly steady stretch has no noise: a thousandth of the range or of the level stands in.
  const sigma = noise > 0 ? noise : Math.max((max - min) / 1000, Math.abs(level) / 1000) || 1;
  const unit = sigma / INTERVAL_UNITS_PER_SIGMA;
  const lo = min - INTERVAL_MARGIN_SIGMAS * sigma;
  const hi = max + INTERVAL_MARGIN_SIGMAS * sigma;
  return {
    kind: 'interval',
    unit,
    level,
    noise,
    up: (v) => Math.max(0, v - lo) / unit,
    down: (v) => Math.max(0, hi - v) / unit,
  };
}
