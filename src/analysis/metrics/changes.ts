/**
 * What changed across the series of a PromQL result: per series the rises and drops against its
 * baseline (the preceding window, and the same window a day earlier when given), found by the
 * log burst detector on count-like units (detect-changes.ts, scale.ts), ranked by size, bounded.
 */
import { detectorRuns, findChanges, MAX_DETECT_BUCKETS, type Change, type ChangeAnalysis, type Point } from './detect-changes.js';
import { describeChange, summarise, type SeriesSummary, type SummaryOptions } from './series-summary.js';
import { topK } from './rank.js';
import type { Scale, ScaleOptions } from './scale.js';

export type { Change, Point } from './detect-changes.js';

export interface MetricSeries {
  labels: Record<string, string>;
  points: readonly Point[];
  /** Steps before the window (same step): the baseline of a change already under way at its start. */
  preceding?: readonly Point[];
  /** The same window a day earlier, with its own (24 h earlier) timestamps. */
  dayEarlier?: readonly Point[];
}

export interface MetricChangesOptions extends ScaleOptions {
  stepMs: number;
  /** Start of the window asked about; default the first point of each series. */
  fromMs?: number;
  /** End of the window (for the missing steps at its end). */
  toMs?: number;
  /** Series reported (default 10, at most 100). */
  top?: number;
  /** Changes per series (default 5). */
  maxChangesPerSeries?: number;
  /** Appended to values in the sentences ("/s", " bytes"). */
  unit?: string;
}

export interface SeriesChanges {
  labels: Record<string, string>;
  /** Position of the series in the input. */
  index: number;
  /** Its largest change on a log2 scale (×4 and ÷4 both 2; from or to zero 6; interval series: log2(1 + Δ/4σ)). */
  score: number;
  /** Oldest first. */
  changes: Change[];
  /** More changes than maxChangesPerSeries. */
  truncated: boolean;
  summary: SeriesSummary;
  /** describeChange(summary): the sentence to repeat. */
  sentence: string;
}

export interface MetricChanges {
  /** The series that changed most, largest first (ties: the one still changed, then input order). */
  series: SeriesChanges[];
  /** Series given, with at least one change, with no finite value. */
  analysed: number;
  changed: number;
  no_data: number;
  /** More series changed than `top`. */
  truncated: boolean;
  baseline: 'preceding' | 'preceding_and_day_earlier';
  /** The coarsest detector resolution used (the step, unless a series was longer than MAX_DETECT_BUCKETS steps). */
  resolution_ms: number;
  /** What was measured, in words, for the answer. */
  method: string;
}

const DEFAULT_TOP = 10;
/**
 * Detector buckets per call, shared among the series the prefilter could not dismiss: when
 * many long series all move, each is compared in fewer, wider buckets (never fewer than 300
 * per series and direction), so 500 bursty series of 11,000 points cost seconds, not minutes.
 * A call where few series move compares each step by step up to MAX_DETECT_BUCKETS steps. Each
 * series says the resolution it was compared at.
 */
export const DETECT_BUDGET = 300_000;
const MIN_BUCKETS_PER_RUN = 300;
const MAX_TOP = 100;

export const METHOD =
  'Each series against its own baseline: the median and robust spread (MAD) of its preceding 30 steps,' +
  ' and, when given, the same steps a day earlier where that is higher. A rise starts at the first step' +
  ' more than 4σ and 50% above that level (a one-step spike: 6σ and 100%) and lasts while steps stay' +
  ' 1.5σ and 25% above it (one quiet step allowed); a drop is the same on the reciprocal of the series' +
  ' (below 1/1.5 of the level) and must also be 4σ below it. Series with negative values: 4σ either way,' +
  ' no ratio. σ is at least the Poisson noise of the series in count-like units. Detector and thresholds' +
  ' are those of logs_bursts.';

/**
 * Changes of every series, the top ones returned with their summary and sentence. Linear in
 * the number of points; a steady series is dismissed by a one-pass prefilter before the detector.
 */
export function metricChanges(series: readonly MetricSeries[], opts: MetricChangesOptions): MetricChanges {
  const top = Math.min(MAX_TOP, Math.max(1, opts.top ?? DEFAULT_TOP));
  const { maxBuckets, scales } = bucketsPerRun(series, opts);
  const analyses: { index: number; analysis: ChangeAnalysis; empty: boolean }[] = series.map((s, index) => {
    const analysis = findChanges(s, { ...opts, maxChanges: opts.maxChangesPerSeries, maxBuckets }, scales[index]);
    return { index, analysis, empty: !s.points.some((p) => Number.isFinite(p.v)) };
  });
  const changed = analyses.filter((a) => a.analysis.changes.length > 0);
  const still = (a: (typeof changed)[number]) => a.analysis.changes.some((c) => c.still);
  const ranked = topK(changed, top, (a) => a.analysis.score + (still(a) ? 1e-6 : 0));
  const anyDayEarlier = series.some((s) => s.dayEarlier?.some((p) => Number.isFinite(p.v)));
  return {
    series: ranked.map(({ item: { index, analysis } }) => {
      const s = series[index];
      const summary = summarise(s.points, opts, analysis);
      return {
        labels: s.labels,
        index,
        score: analysis.score,
        changes: analysis.changes,
        truncated: analysis.truncated,
        summary,
        sentence: describeChange(summary, { unit: opts.unit }),
      };
    }),
    analysed: series.length,
    changed: changed.length,
    no_data: analyses.filter((a) => a.empty).length,
    truncated: changed.length > top,
    baseline: anyDayEarlier ? 'preceding_and_day_earlier' : 'preceding',
    resolution_ms: analyses.reduce((m, a) => Math.max(m, a.analysis.resolutionMs), opts.stepMs),
    method: METHOD,
  };
}

/** The detector buckets each series may use: DETECT_BUDGET shared among the runs the prefilter could not avoid. */
function bucketsPerRun(series: readonly MetricSeries[], opts: { stepMs: number } & ScaleOptions): { maxBuckets: number; scales: (Scale | undefined)[] } {
  let runs = 0;
  const scales = series.map((s) => {
    const prepared = detectorRuns(s, opts);
    runs += prepared.runs;
    return prepared.scale;
  });
  return { maxBuckets: Math.min(MAX_DETECT_BUCKETS, Math.max(MIN_BUCKETS_PER_RUN, Math.floor(DETECT_BUDGET / Math.max(1, runs)))), scales };
}

/**
 * summariseSeries for every series of a result, in input order, under the same detector budget
 * as metricChanges (what promql_query needs for a matrix: rank them with rankSeries, tell
 * the top ones with describeChange).
 */
export function summariseAll(series: readonly MetricSeries[], opts: SummaryOptions & { stepMs: number; maxChangesPerSeries?: number }): SeriesSummary[] {
  const { maxBuckets, scales } = bucketsPerRun(series, opts);
  return series.map((s, index) => {
    const data = { points: s.points, ...(s.preceding ? { preceding: s.preceding } : {}), ...(s.dayEarlier ? { dayEarlier: s.dayEarlier } : {}) };
    const analysis = findChanges(data, { ...opts, maxChanges: opts.maxChangesPerSeries, maxBuckets }, scales[index]);
    return summarise(s.points, opts, analysis);
  });
}
