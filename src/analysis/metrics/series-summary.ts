/**
 * One metric series (the points of a PromQL range query) summed up as findings: its level and
 * extremes, missing steps, trend, and the change the agent should hear about, with the one
 * sentence it will repeat. Pure: points in, numbers out.
 */
import { findChanges, inferStep, byImportance, type Change, type ChangeAnalysis, type Point, type SeriesData } from './detect-changes.js';
import { median, type ScaleKind, type ScaleOptions } from './scale.js';
import { TREND_SAMPLE, theilSen } from './theil-sen.js';
import { SIGMA_PER_MAD } from '../bursts/stats.js';

export type { Change, Point } from './detect-changes.js';

export interface SummaryOptions extends ScaleOptions {
  /** The query step in ms; inferred from the points (their median spacing) when absent. */
  stepMs?: number;
  /** The range asked for (ms): missing steps at its start and end count as gaps too. */
  fromMs?: number;
  toMs?: number;
  /** The series is a counter (…_total): counter_resets counts its decreases. */
  counter?: boolean;
  /** Baselines for the change: steps before the range and the same range a day earlier (see findChanges). */
  preceding?: readonly Point[];
  dayEarlier?: readonly Point[];
}

export interface Trend {
  direction: 'rising' | 'falling' | 'flat';
  /** Slope of the Theil–Sen line, in the series' units per hour. */
  per_hour: number;
  /** Change of that line over the range divided by the series' level (|median|); null for a series at zero. */
  relative: number | null;
  /** The Theil–Sen line at the first and at the last point. */
  from: number;
  to: number;
}

export interface SeriesSummary {
  /** Points with a finite value. */
  count: number;
  /** Points whose value was NaN, +Inf or -Inf: left out of every figure. */
  non_finite?: { nan: number; pos_inf: number; neg_inf: number };
  first: number | null;
  last: number | null;
  min: number | null;
  max: number | null;
  avg: number | null;
  /** Median of the finite values: the level words like "flat at" refer to. */
  median: number | null;
  first_at: number | null;
  last_at: number | null;
  min_at: number | null;
  max_at: number | null;
  /** Steps of the grid with no point (stale or absent), including before the first and after the last when fromMs/toMs are given. */
  gaps: number;
  step_ms: number | null;
  /** Every finite value equal. */
  constant: boolean;
  trend: Trend;
  /** The change to tell: the one still in force, else the largest (see metricChanges for all of them). */
  change?: Change;
  /** Changes found in all, `change` included. */
  changes: number;
  scale: ScaleKind;
  counter_resets?: number;
}

/** Residuals around the trend line are read from about four times as many points as its slope. */
const RESIDUAL_SAMPLE = 4 * TREND_SAMPLE;
/** A trend is flat unless its line moves by this share of the level over the range … */
const TREND_MIN_RELATIVE = 0.1;
/** … and by more than the robust spread of the points around it. */
const TREND_MIN_SPREAD = 1;
const HOUR_MS = 3_600_000;

function trendOf(points: readonly Point[], level: number): Trend {
  if (points.length < 3) {
    const v = points.length ? median(points.map((p) => p.v)) : 0;
    return { direction: 'flat', per_hour: 0, relative: points.length ? 0 : null, from: v, to: v };
  }
  const { slope, intercept } = theilSen(points);
  const t0 = points[0].t;
  const span = points[points.length - 1].t - t0;
  const moved = slope * span;
  // The spread around the line, from an evenly spread sample as for the slope.
  const every = Math.max(1, Math.floor(points.length / RESIDUAL_SAMPLE));
  const residuals: number[] = [];
  for (let i = 0; i < points.length; i += every) residuals.push(Math.abs(points[i].v - (intercept + slope * (points[i].t - t0))));
  const spread = SIGMA_PER_MAD * median(residuals);
  const ref = Math.abs(level);
  const relative = ref > 0 ? moved / ref : null;
  const large = relative === null ? moved !== 0 : Math.abs(relative) >= TREND_MIN_RELATIVE;
  const direction = large && Math.abs(moved) > TREND_MIN_SPREAD * spread ? (moved > 0 ? 'rising' : 'falling') : 'flat';
  return { direction, per_hour: slope * HOUR_MS, relative: relative === null ? null : Math.round(relative * 1000) / 1000, from: intercept, to: intercept + moved };
}

/** The summary of one series. NaN and ±Inf points are counted and left out; missing steps are gaps. */
export function summariseSeries(points: readonly Point[], opts: SummaryOptions = {}): SeriesSummary {
  return summarise(points, opts);
}

/** As summariseSeries, reusing a change analysis already made for these points (metricChanges). */
export function summarise(points: readonly Point[], opts: SummaryOptions, analysis?: ChangeAnalysis): SeriesSummary {
  const finite: Point[] = [];
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  for (const p of points) {
    if (Number.isNaN(p.v)) nan++;
    else if (p.v === Infinity) posInf++;
    else if (p.v === -Infinity) negInf++;
    else if (Number.isFinite(p.t)) finite.push(p);
  }
  finite.sort((a, b) => a.t - b.t);
  const stepMs = opts.stepMs ?? inferStep(points) ?? null;
  const gaps = stepMs ? countGaps(points, stepMs, opts.fromMs, opts.toMs) : 0;
  const nonFinite = nan + posInf + negInf ? { non_finite: { nan, pos_inf: posInf, neg_inf: negInf } } : {};
  if (!finite.length) {
    return {
      count: 0,
      ...nonFinite,
      first: null, last: null, min: null, max: null, avg: null, median: null,
      first_at: null, last_at: null, min_at: null, max_at: null,
      gaps, step_ms: stepMs, constant: false,
      trend: { direction: 'flat', per_hour: 0, relative: null, from: 0, to: 0 },
      changes: 0,
      scale: opts.countUnit !== undefined ? 'count' : 'ratio',
    };
  }
  let min = finite[0];
  let max = finite[0];
  let sum = 0;
  for (const p of finite) {
    if (p.v < min.v) min = p;
    if (p.v > max.v) max = p;
    sum += p.v;
  }
  const level = median(finite.map((p) => p.v));
  let resets = 0;
  if (opts.counter) for (let i = 1; i < finite.length; i++) if (finite[i].v < finite[i - 1].v) resets++;
  const data: SeriesData = { points, ...(opts.preceding ? { preceding: opts.preceding } : {}), ...(opts.dayEarlier ? { dayEarlier: opts.dayEarlier } : {}) };
  const found = analysis ?? (stepMs ? findChanges(data, { ...opts, stepMs }) : undefined);
  const change = found?.changes.length ? [...found.changes].sort(byImportance)[0] : undefined;
  return {
    count: finite.length,
    ...nonFinite,
    first: finite[0].v,
    last: finite[finite.length - 1].v,
    min: min.v,
    max: max.v,
    // Summing 1e12-sized values in float64 is exact enough; the mean of a few billions stays finite.
    avg: sum / finite.length,
    median: level,
    first_at: finite[0].t,
    last_at: finite[finite.length - 1].t,
    min_at: min.t,
    max_at: max.t,
    gaps,
    step_ms: stepMs,
    constant: min.v === max.v,
    trend: trendOf(finite, level),
    ...(change ? { change } : {}),
    changes: found?.changes.length ?? 0,
    scale: found?.scale ?? (finite.some((p) => p.v < 0) ? 'interval' : 'ratio'),
    ...(opts.counter ? { counter_resets: resets } : {}),
  };
}

/** Steps of the grid without a point (NaN points are present, not missing). */
function countGaps(points: readonly Point[], stepMs: number, fromMs?: number, toMs?: number): number {
  const times = points.map((p) => p.t).filter(Number.isFinite).sort((a, b) => a - b);
  if (!times.length) return fromMs !== undefined && toMs !== undefined ? Math.max(0, Math.floor((toMs - fromMs) / stepMs) + 1) : 0;
  let gaps = 0;
  for (let i = 1; i < times.length; i++) gaps += Math.max(0, Math.round((times[i] - times[i - 1]) / stepMs) - 1);
  if (fromMs !== undefined) gaps += Math.max(0, Math.round((times[0] - fromMs) / stepMs));
  if (toMs !== undefined) gaps += Math.max(0, Math.floor((toMs - times[times.length - 1]) / stepMs + 1e-9));
  return gaps;
}

// ---------------------------------------------------------------------------------------------
// The sentence.

export interface DescribeOptions {
  /** Appended to every value: "/s", " bytes", "%", " s". Default none. */
  unit?: string;
}

/**
 * A value in at most three significant digits, in plain notation between 0.001 and 99,999
 * and in exponent notation outside (1.2e12, 2e-7), so the sentence stays short and the digits it
 * shows are the value's own (rounded, never truncated).
 */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [mantissa, exp] = v.toExponential(2).split('e');
    return `${trimZeros(mantissa)}e${exp.replace('+', '')}`;
  }
  return trimZeros(a >= 1000 ? String(Math.round(v)) : v.toPrecision(3));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A ratio in two significant digits: 6.1, 14, 120. */
function formatFactor(f: number): string {
  return f >= 100 ? String(Math.round(f)) : trimZeros(f.toPrecision(2));
}

/** UTC time of day, to the minute (to the second when the step is under a minute or the time is not on one), with the date when the data spans more than a day. */
export function formatTime(ms: number, context: { spanMs?: number; stepMs?: number | null } = {}): string {
  const iso = new Date(ms).toISOString();
  const seconds = (context.stepMs != null && context.stepMs < 60_000) || ms % 60_000 !== 0;
  const clock = seconds ? iso.slice(11, 19) : iso.slice(11, 16);
  return (context.spanMs ?? 0) >= 86_400_000 ? `${iso.slice(0, 10)} ${clock}Z` : `${clock}Z`;
}

function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * 86_400_000) return `${trimZeros((ms / 3_600_000).toFixed(1))} h`;
  return `${trimZeros((ms / 86_400_000).toFixed(1))} d`;
}

/** One change as a clause: "rose 6.1× at 14:03Z (0.12 → 0.73), still up". */
export function describeOne(c: Change, context: { spanMs?: number; stepMs?: number | null; unit?: string } = {}): string {
  const u = context.unit ?? '';
  const val = (v: number) => `${formatValue(v)}${u}`;
  const at = formatTime(c.at, context);
  // A change that began in the lookback before the window asked about says so.
  const note = (inner: string) => `(${c.before_window ? `before the window; ${inner}` : inner})`;
  const end = c.still ? (c.direction === 'rise' ? ', still up' : ', still down') : c.kind === 'spike' ? '' : `, over by ${formatTime(c.until!, context)}`;
  const lasting = !c.still && c.kind === 'step' && c.until !== null ? ` for ${formatDuration(c.until - c.at)}` : '';
  if (c.kind === 'spike') {
    const points = c.steps === 1 ? '1 point' : `${c.steps} points`;
    const verb = c.direction === 'rise' ? 'spiked to' : 'dipped to';
    return `${verb} ${val(c.peak.v)} at ${formatTime(c.peak.t, context)} ${note(`${points}; level ${val(c.before)}`)}`;
  }
  if (c.direction === 'drop' && c.after === 0) return `fell to 0 at ${at} ${note(`was ${val(c.before)}`)}${lasting}${end}`;
  if (c.direction === 'rise' && c.before === 0) return `rose from 0 to ${val(c.after)} at ${at}${c.before_window ? ' (before the window)' : ''}${lasting}${end}`;
  if (c.factor !== null) {
    const how = c.direction === 'rise' ? `rose ${formatFactor(c.factor)}×` : `fell ${formatPercent(1 - c.factor)}`;
    return `${how} at ${at} ${note(`${val(c.before)} → ${val(c.after)}`)}${lasting}${end}`;
  }
  const verb = c.direction === 'rise' ? 'rose by' : 'fell by';
  return `${verb} ${val(Math.abs(c.delta))} at ${at} ${note(`${val(c.before)} → ${val(c.after)}`)}${lasting}${end}`;
}

/** A fall as a share: whole percent, a decimal near 100%, and never "100%" for what did not reach 0. */
function formatPercent(share: number): string {
  const pct = share * 100;
  if (pct < 99.5) return `${Math.round(pct)}%`;
  return pct < 99.95 ? `${trimZeros(pct.toFixed(1))}%` : '>99.9%';
}

/**
 * The one sentence for a series, the one the agent repeats, each figure as computed (rounded
 * to three digits): its change, else its trend, else its level.
 *  - "rose 6.1× at 14:03Z (0.12 → 0.73), still up": medians of the 30 steps before and of the steps since.
 *  - "fell to 0 at 14:05Z (was 41/s), still down".
 *  - "spiked to 0.9 at 14:03Z (1 point; level 0.12)".
 *  - "rising 0.2/h (0.4 → 0.62 on its trend line)" — no abrupt change, a Theil–Sen trend of at least 10%.
 *  - "steady around 0.5 (0.48–0.52)", "constant at 0.5", "0 throughout", "no data".
 * Missing steps, NaN/Inf points and counter resets are added when there are any.
 */
export function describeChange(s: SeriesSummary, opts: DescribeOptions = {}): string {
  const u = opts.unit ?? '';
  const val = (v: number) => `${formatValue(v)}${u}`;
  const context = { spanMs: s.first_at !== null && s.last_at !== null ? s.last_at - s.first_at : 0, stepMs: s.step_ms, unit: u };
  const extras: string[] = [];
  if (s.gaps) extras.push(`${s.gaps} missing step${s.gaps === 1 ? '' : 's'}`);
  if (s.non_finite) {
    const { nan, pos_inf, neg_inf } = s.non_finite;
    const parts = [nan && `${nan} NaN`, pos_inf && `${pos_inf} +Inf`, neg_inf && `${neg_inf} -Inf`].filter(Boolean);
    extras.push(`${parts.join(', ')} left out`);
  }
  if (s.counter_resets) extras.push(`${s.counter_resets} counter reset${s.counter_resets === 1 ? '' : 's'}`);
  if (s.changes > 1) extras.push(`${s.changes - 1} other change${s.changes === 2 ? '' : 's'}`);
  const tail = extras.length ? ` [${extras.join('; ')}]` : '';

  if (s.count === 0) return `no data${tail}`;
  if (s.count === 1) return `one point: ${val(s.first!)} at ${formatTime(s.first_at!, context)}${tail}`;
  if (s.change) return `${describeOne(s.change, context)}${tail}`;
  if (s.constant) return `${s.first === 0 ? '0 throughout' : `constant at ${val(s.first!)}`}${tail}`;
  if (s.trend.direction !== 'flat') {
    return `${s.trend.direction} ${formatValue(Math.abs(s.trend.per_hour))}${u}/h, no abrupt change (${val(s.trend.from)} → ${val(s.trend.to)} on its trend line)${tail}`;
  }
  return `steady around ${val(s.median!)} (${val(s.min!)}–${val(s.max!)})${tail}`;
}
