/**
 * Change points of one metric series against its baseline, found by the log burst detector
 * itself (analysis/bursts/detect.ts) on the series mapped to count-like units (scale.ts): a
 * rise is a burst of the series, a drop a burst of its mirror. Same thresholds, same
 * baselines (the preceding 30 steps, and the same steps a day earlier when given), same
 * onset rule as logs_bursts: one answer to "what changed at 14:03" across logs and metrics.
 */
import { detectBursts, type Burst, type BucketSeries } from '../bursts/detect.js';
import { DAY_MS } from '../bursts/series.js';
import { median, scaleFor, type Scale, type ScaleKind, type ScaleOptions } from './scale.js';
import { theilSen } from './theil-sen.js';
import { SIGMA_PER_MAD } from '../bursts/stats.js';

/** One sample of a Prometheus range query: time in epoch milliseconds, value as parsed (NaN, ±Inf allowed). */
export interface Point {
  t: number;
  v: number;
}

export interface Change {
  /** The first step of the change, epoch ms. */
  at: number;
  direction: 'rise' | 'drop';
  /** `spike`: over within 3 steps; `step`: a new level (still in force, or held for longer). */
  kind: 'step' | 'spike';
  /** Median of the series over the (up to) 30 steps before `at`: the level it changed from. */
  before: number;
  /** A step: median from `at` to its last changed step. A spike: its most extreme value. */
  after: number;
  /** after / before; null where a ratio means nothing (before ≤ 0, or a series with negative values). */
  factor: number | null;
  /** after − before. */
  delta: number;
  /** The most extreme point of the change (highest for a rise, lowest for a drop). */
  peak: Point;
  /** Steps from `at` to the last changed step, both counted. */
  steps: number;
  /** Whether the changed level holds at the end of the data (the last or the one before last step still changed). */
  still: boolean;
  /**
   * When it was over, epoch ms: the first step no longer changed, or, when the series came back
   * near its old level, the step where the detector found that return (a rise of the series
   * for a drop, a drop for a rise, reported here rather than as a change of its own). Null
   * while still changed.
   */
  until: number | null;
  /** What set the expected level at `at`: the preceding steps, or the same steps a day earlier (higher). */
  baseline: 'preceding' | 'day_earlier';
  /** It began in the lookback before the window asked about. */
  before_window?: true;
  /** Size of the change on a log2 scale (×4 and ÷4 both 2, from or to zero 6); the ranking key. */
  score: number;
}

export interface ChangeOptions extends ScaleOptions {
  /** The query step in milliseconds: points are expected on this grid. */
  stepMs: number;
  /** Start of the window asked about (default: the first point of `points`); changes over before it are not reported. */
  fromMs?: number;
  /** Most changes returned per series (default 5): the ones still in force, then the largest. */
  maxChanges?: number;
  /** Most buckets the detector compares per series (default and at most MAX_DETECT_BUCKETS, at least 100): longer series are compared in buckets of several steps. */
  maxBuckets?: number;
}

export interface SeriesData {
  points: readonly Point[];
  /** The steps before the window, on the same grid: the baseline of a change under way when the window starts. */
  preceding?: readonly Point[];
  /** The same window a day earlier, with its own timestamps (a range query 24 h back; subtract 24 h from `offset 1d` results). */
  dayEarlier?: readonly Point[];
}

export interface ChangeAnalysis {
  /** Oldest first. */
  changes: Change[];
  /** More changes were found than maxChanges. */
  truncated: boolean;
  /** The largest change's score, 0 without one. */
  score: number;
  scale: ScaleKind;
  /** Width of the steps the detector compared: the query step, or a multiple of it for very long series. */
  resolutionMs: number;
  baseline: 'preceding' | 'preceding_and_day_earlier';
}

/** Defaults of detectBursts, mirrored here for the prefilter (mayBurst) and the "before" level. */
const BASELINE_BUCKETS = 30;
const MIN_BASELINE_BUCKETS = 3;
const ONSET = { sigmas: 4, relative: 0.5, minStep: 1 };
/**
 * Above this many steps the detector compares buckets of several steps each (the max of the
 * series in each, and the max of the mirror, so a one-step spike or dip survives); an onset is
 * then placed on the first step of its bucket that carries the rise. Bounds the work per series.
 */
export const MAX_DETECT_BUCKETS = 1500;
/** A grid this long is not a Prometheus range query (at most 11,000 points). */
const MAX_GRID = 1_000_000;
const SPIKE_STEPS = 3;
const DEFAULT_MAX_CHANGES = 5;
/** Bursts asked of the detector per direction, before the window filter and the end-of-change merge. */
const MAX_BURSTS = 20;
const MAX_SCORE = 6;
/** detectBursts holds a burst while 25% above its expectation. */
const HOLD_RATIO = 1.25;
/** A change back to within this factor of the level before the previous change is that change's end. */
const RETURN_FACTOR = 1.5;

/** The step most points are apart, for callers that do not know it. */
export function inferStep(points: readonly Point[]): number | undefined {
  const gaps: number[] = [];
  for (let i = 1; i < points.length && gaps.length < 1000; i++) {
    const d = points[i].t - points[i - 1].t;
    if (d > 0) gaps.push(d);
  }
  return gaps.length ? median(gaps) : undefined;
}

interface Grid {
  startMs: number;
  stepMs: number;
  /** Values per step, each missing or non-finite step carrying the value before it. */
  values: Float64Array;
  /** Finite values in time order, fills excluded. */
  observed: number[];
  /** First step of the window asked about. */
  focus: number;
}

function toGrid(data: SeriesData, opts: ChangeOptions): Grid | undefined {
  const stepMs = opts.stepMs;
  if (!(Number.isFinite(stepMs) && stepMs > 0)) throw new RangeError('stepMs must be a positive number of milliseconds');
  const parts = data.preceding?.length ? [data.preceding, data.points] : [data.points];
  let startMs = Infinity;
  let endMs = -Infinity;
  let firstAsked = Infinity;
  for (const part of parts) {
    for (const p of part) {
      if (!Number.isFinite(p.t) || !Number.isFinite(p.v)) continue;
      if (p.t < startMs) startMs = p.t;
      if (p.t > endMs) endMs = p.t;
      if (part === data.points && p.t < firstAsked) firstAsked = p.t;
    }
  }
  if (startMs === Infinity) return undefined;
  const n = Math.round((endMs - startMs) / stepMs) + 1;
  if (n > MAX_GRID) throw new RangeError(`${n} steps of ${stepMs} ms: more than ${MAX_GRID}; use a larger step`);
  const values = new Float64Array(n).fill(NaN);
  for (const part of parts) {
    for (const p of part) if (Number.isFinite(p.t) && Number.isFinite(p.v)) values[Math.round((p.t - startMs) / stepMs)] = p.v;
  }
  // The observed values in time order (one per step; a step given twice keeps its last value).
  const observed: number[] = [];
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(values[i])) values[i] = values[i - 1];
    else observed.push(values[i]);
  }
  const asked = opts.fromMs ?? (firstAsked === Infinity ? startMs : firstAsked);
  const focus = Math.min(n, Math.max(0, Math.ceil((asked - startMs) / stepMs - 1e-9)));
  return { startMs, stepMs, values, observed, focus };
}

/** Max over buckets of g steps (g = 1: a plain copy). */
function pool(values: ArrayLike<number>, g: number): number[] {
  const out: number[] = new Array(Math.ceil(values.length / g));
  for (let b = 0; b < out.length; b++) {
    let m = -Infinity;
    for (let j = b * g, end = Math.min(values.length, b * g + g); j < end; j++) if (values[j] > m) m = values[j];
    out[b] = m;
  }
  return out;
}

/**
 * False only when detectBursts cannot find a burst: an onset needs a bucket above
 * f(expected) = expected + max(4·√expected, expected/2, 1), f grows with the expectation,
 * and the expectation is at least the median, so at least the minimum, of the preceding
 * window. One pass with a sliding minimum; a steady series costs almost nothing.
 */
export function mayBurst(values: ArrayLike<number>, map: (v: number) => number = (v) => v): boolean {
  const n = values.length;
  // The sliding minimum: indices of increasing values, and the values themselves.
  const queue = new Int32Array(n);
  const mins = new Float64Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const x = map(values[i]);
    if (i >= MIN_BASELINE_BUCKETS) {
      while (queue[head] < i - BASELINE_BUCKETS) head++;
      const lo = mins[head];
      if (x > lo + Math.max(ONSET.sigmas * Math.sqrt(lo), ONSET.relative * lo, ONSET.minStep)) return true;
    }
    while (tail > head && mins[tail - 1] >= x) tail--;
    queue[tail] = i;
    mins[tail++] = x;
  }
  return false;
}

/** The day-earlier values on the (pooled) grid of today, as the detector's dayEarlier series. */
function dayEarlierSeries(data: SeriesData, grid: Grid, g: number, map: (v: number) => number): BucketSeries | undefined {
  if (!data.dayEarlier?.length) return undefined;
  const buckets = Math.ceil(grid.values.length / g);
  const pooled = new Array<number | undefined>(buckets).fill(undefined);
  for (const p of data.dayEarlier) {
    if (!Number.isFinite(p.t) || !Number.isFinite(p.v)) continue;
    const i = Math.round((p.t + DAY_MS - grid.startMs) / grid.stepMs);
    if (i < 0 || i >= grid.values.length) continue;
    const b = Math.floor(i / g);
    const x = map(p.v);
    pooled[b] = pooled[b] === undefined ? x : Math.max(pooled[b]!, x);
  }
  const first = pooled.findIndex((x) => x !== undefined);
  if (first < 0) return undefined;
  let last = buckets - 1;
  while (pooled[last] === undefined) last--;
  const counts: number[] = [];
  for (let b = first; b <= last; b++) counts.push(pooled[b] ?? counts[counts.length - 1]);
  const bucketMs = grid.stepMs * g;
  return { startMs: grid.startMs - DAY_MS + first * bucketMs, bucketMs, counts };
}

/**
 * A step fits the steps around a change clearly better than a straight line does: the level
 * jumped rather than drifted. A slow wave read at a coarse resolution (a daily cycle of a gauge
 * that takes the values 1, 2 and 3, say) crosses the detector's bar as surely as a jump does,
 * but a line through the half-hours either side explains it as well as a step, within the
 * series' own noise. Where the line does not fit either (a flat series that starts to climb),
 * the change stays. Both fits are robust (medians either side; the Theil–Sen line) and compared
 * by absolute residuals, so a spike in the baseline window does not make a clean step look like
 * noise.
 */
const STEP_OVER_LINE = 0.6;
/** A line explains the steps when its mean absolute residual is within this many σ of step noise (a normal's is 0.8σ). */
const LINE_WITHIN_NOISE = 1.5;

export function abrupt(values: ArrayLike<number>, first: number, last: number, width: number, noise: number): boolean {
  const from = Math.max(0, first - width);
  const to = Math.min(values.length, last + 1, first + width);
  if (first - from < 2 || to - first < 2) return true;
  const all = Array.prototype.slice.call(values, from, to) as number[];
  const before = all.slice(0, first - from);
  const after = all.slice(first - from);
  const mb = median(before);
  const ma = median(after);
  let step = 0;
  for (const y of before) step += Math.abs(y - mb);
  for (const y of after) step += Math.abs(y - ma);
  const { slope, intercept } = theilSen(all.map((v, t) => ({ t, v })));
  let line = 0;
  for (let t = 0; t < all.length; t++) line += Math.abs(all[t] - (intercept + slope * t));
  return step <= STEP_OVER_LINE * line || line > LINE_WITHIN_NOISE * noise * all.length;
}

/** The step of a pooled bucket that carries the change: the first (or last) at least halfway from the baseline to the bucket's max. */
function refine(bucket: number, expected: number, x: Float64Array, g: number, which: 'first' | 'last'): number {
  if (g === 1) return bucket;
  const lo = bucket * g;
  const hi = Math.min(x.length, lo + g);
  let peak = -Infinity;
  for (let j = lo; j < hi; j++) if (x[j] > peak) peak = x[j];
  const bar = expected + (peak - expected) / 2;
  if (which === 'first') {
    for (let j = lo; j < hi; j++) if (x[j] >= bar) return j;
  } else {
    for (let j = hi - 1; j >= lo; j--) if (x[j] >= bar) return j;
  }
  return lo;
}

function medianOf(values: Float64Array, from: number, to: number): number {
  return median(values.subarray(Math.max(0, from), Math.max(0, to)));
}

export function scoreOf(change: Pick<Change, 'before' | 'after' | 'delta'>, scale: Pick<Scale, 'kind' | 'noise' | 'unit'>): number {
  let score: number;
  if (scale.kind === 'interval') {
    // No ratio on an interval scale: the change in units of the step noise, on the same log2 footing.
    const sigma = scale.noise > 0 ? scale.noise : scale.unit * 4;
    score = Math.log2(1 + Math.abs(change.delta) / sigma / 4);
  } else {
    const hi = Math.max(change.before, change.after);
    const lo = Math.min(change.before, change.after);
    const floor = hi / 2 ** MAX_SCORE;
    score = hi > 0 ? Math.log2(hi / Math.max(lo, floor)) : 0;
  }
  return Math.round(Math.min(MAX_SCORE, score) * 100) / 100;
}

/** Still-in-force first, then the largest, then the latest: the order changes are kept and told in. */
export function byImportance(a: Change, b: Change): number {
  return Number(b.still) - Number(a.still) || b.score - a.score || b.at - a.at;
}

/**
 * How many detector runs (0, 1 for rises or drops, 2) a series may need at its full
 * resolution: the prefilter alone, linear, no detector. metricChanges shares its detector
 * budget among the series that need one.
 */
export function detectorRuns(data: SeriesData, opts: ChangeOptions): { runs: number; scale?: Scale } {
  const grid = toGrid(data, opts);
  if (!grid) return { runs: 0 };
  const scale = scaleFor(grid.observed, opts);
  return { runs: Number(mayBurst(grid.values, scale.up)) + Number(mayBurst(grid.values, scale.down)), scale };
}

/**
 * The changes of one series against its baseline. Rises and drops are bursts of the series
 * and of its mirror in count-like units (scale.ts); a change that brings the series back to
 * where it was before the previous, opposite change is that change's end, not a new one.
 * `prepared`: the scale detectorRuns made for the same data and options.
 */
export function findChanges(data: SeriesData, opts: ChangeOptions, prepared?: Scale): ChangeAnalysis {
  const grid = toGrid(data, opts);
  const hasDayEarlier = !!data.dayEarlier?.some((p) => Number.isFinite(p.v));
  const baseline = hasDayEarlier ? ('preceding_and_day_earlier' as const) : ('preceding' as const);
  if (!grid) return { changes: [], truncated: false, score: 0, scale: opts.countUnit !== undefined ? 'count' : 'ratio', resolutionMs: opts.stepMs, baseline };
  const scale = prepared ?? scaleFor(grid.observed, opts);
  const n = grid.values.length;
  const maxBuckets = Math.min(MAX_DETECT_BUCKETS, Math.max(100, Math.floor(opts.maxBuckets ?? MAX_DETECT_BUCKETS)));
  const g = Math.max(1, Math.ceil(n / maxBuckets));
  const bucketMs = grid.stepMs * g;

  const stepAt = (i: number) => grid.startMs + i * grid.stepMs;
  const found: (Change & { first: number; last: number })[] = [];
  const up = grid.values.map(scale.up);
  for (const direction of ['rise', 'drop'] as const) {
    const map = direction === 'rise' ? scale.up : scale.down;
    const x = direction === 'rise' ? up : grid.values.map(map);
    const counts = pool(x, g);
    if (!mayBurst(counts)) continue;
    const dayEarlier = dayEarlierSeries(data, grid, g, map);
    const { bursts } = detectBursts({ startMs: grid.startMs, bucketMs, counts }, { ...(dayEarlier ? { dayEarlier } : {}), maxBursts: MAX_BURSTS });
    for (const b of bursts) {
      const change = toChange(b, direction, x);
      if (confirmed(change) && (direction === 'rise' || scale.kind === 'interval' || deepEnough(change)) && (scale.kind === 'count' || gaugeLike(change))) found.push(change);
    }
  }

  function toChange(b: Burst, direction: 'rise' | 'drop', x: Float64Array): Change & { first: number; last: number } {
    const first = refine(b.onsetIndex, b.baseline, x, g, 'first');
    const last = Math.max(first, refine(b.lastIndex, b.baseline, x, g, 'last'));
    const v = grid!.values;
    let peak = first;
    for (let j = first + 1; j <= last; j++) if (direction === 'rise' ? v[j] > v[peak] : v[j] < v[peak]) peak = j;
    const still = b.status === 'ongoing';
    const kind = !still && last - first + 1 <= SPIKE_STEPS ? 'spike' : 'step';
    const before = medianOf(v, first - BASELINE_BUCKETS * g, first);
    const after = kind === 'spike' ? v[peak] : medianOf(v, first, last + 1);
    const delta = after - before;
    const change: Change = {
      at: stepAt(first),
      direction,
      kind,
      before,
      after,
      factor: scale.kind !== 'interval' && before > 0 ? after / before : null,
      delta,
      peak: { t: stepAt(peak), v: v[peak] },
      steps: last - first + 1,
      still,
      until: still ? null : stepAt(last + 1),
      baseline: b.baselineSource,
      ...(first < grid!.focus ? { before_window: true as const } : {}),
      score: 0,
    };
    change.score = scoreOf(change, scale);
    return { ...change, first, last };
  }

  /**
   * The levels say what the detector saw. Step by step they always do (a burst is mostly steps
   * above 1.25× its expectation). Over buckets of several steps the detector compares the
   * buckets' extremes, which can rise while the level does not (spikes grow more frequent):
   * such a change is kept only if its median moved by a quarter (ratio scales) or a σ.
   */
  function confirmed(c: Change): boolean {
    const sign = c.direction === 'rise' ? 1 : -1;
    if (c.kind === 'spike' || g === 1) return sign * c.delta > 0;
    if (scale.kind === 'interval') return sign * c.delta > Math.max(scale.noise, scale.unit);
    return c.direction === 'rise' ? c.after > c.before * HOLD_RATIO : c.after * HOLD_RATIO < c.before;
  }

  /** What a change of a gauge must be besides: a jump, not a drift, and out of its usual range. Counts are judged as on logs. */
  function gaugeLike(c: Change & { first: number; last: number }): boolean {
    return (c.kind === 'spike' || abrupt(grid!.values, c.first, c.last, BASELINE_BUCKETS * g, scale.noise)) && beyondUsualRange(c);
  }

  /**
   * A change reaches values the steps before it did not take: a gauge that reads 2 or 3 by turns
   * has not dropped when it reads 2 for a few steps, however quiet its successive differences
   * make its noise look. The range is the 10th to 90th percentile of the baseline window, so an
   * earlier spike in it does not hide a change.
   */
  function beyondUsualRange(c: Change & { first: number }): boolean {
    const window = Array.from(grid!.values.subarray(Math.max(0, c.first - BASELINE_BUCKETS * g), c.first)).sort((a, b) => a - b);
    if (window.length < MIN_BASELINE_BUCKETS) return true;
    const at = (q: number) => window[Math.min(window.length - 1, Math.floor(q * window.length))];
    return c.direction === 'rise' ? c.peak.v > at(0.9) : c.peak.v < at(0.1);
  }

  /**
   * The reciprocal mirror stretches the low tail of count-like noise (a Poisson 10 reading 4 is
   * 2σ low, its reciprocal 2.5× high), so a drop must also be as far below the level, in the
   * units of the rises, as a rise must be above it: 4σ (6σ for a single step), σ at least the
   * Poisson √level.
   */
  function deepEnough(c: { first: number; last: number; kind: Change['kind'] }): boolean {
    const window = up.subarray(Math.max(0, c.first - BASELINE_BUCKETS * g), c.first);
    const expected = median(window);
    // One σ from the median absolute deviation, as the detector's baseline estimates it.
    const sigma = Math.max(SIGMA_PER_MAD * median(window.map((x) => Math.abs(x - expected))), Math.sqrt(expected));
    const during = up.subarray(c.first, c.last + 1);
    const after = c.kind === 'spike' ? during.reduce((m, x) => Math.min(m, x), Infinity) : median(during);
    return expected - after > Math.max((c.last === c.first ? 6 : 4) * sigma, ONSET.minStep);
  }

  found.sort((a, b) => a.first - b.first || (a.direction === 'rise' ? -1 : 1));
  const merged = new Set<Change>();
  for (const c of found) {
    const p = endedBy(c, found);
    if (!p) continue;
    // The return is the end of p: p lasted until the return was detected.
    merged.add(c);
    p.until = c.at;
  }
  // Reported when over after the window starts (or not over).
  const kept = found.filter((c) => !merged.has(c) && (c.until === null || c.until > stepAt(grid.focus)));
  const max = Math.max(1, opts.maxChanges ?? DEFAULT_MAX_CHANGES);
  const chosen = [...kept].sort(byImportance).slice(0, max);
  const changes = chosen.sort((a, b) => a.at - b.at).map(({ first: _f, last: _l, ...c }) => c);
  return {
    changes,
    truncated: kept.length > changes.length,
    score: changes.reduce((m, c) => Math.max(m, c.score), 0),
    scale: scale.kind,
    resolutionMs: bucketMs,
    baseline,
  };

  /**
   * The opposite change that `c` ends: one over right before `c` starts (at most two steps
   * between) and `c` bringing the series back near where it was before that change.
   */
  function endedBy(c: Change & { first: number }, all: (Change & { last: number })[]): (Change & { last: number }) | undefined {
    return all.find((p) => {
      if (p === (c as unknown) || merged.has(p) || p.direction === c.direction || p.still || c.first <= p.last || c.first - p.last - 1 > 2 * g) return false;
      if (scale.kind === 'interval') return Math.abs(c.after - p.before) < Math.abs(p.delta) / 2;
      return c.after <= p.before * RETURN_FACTOR && c.after * RETURN_FACTOR >= p.before;
    });
  }
}
