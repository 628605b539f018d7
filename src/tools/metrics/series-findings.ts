import type { PromQueryData, PromSample, PromSeries } from '../../backends/metrics/prometheus.js';
import { summariseAll } from '../../analysis/metrics/changes.js';
import { rankSeries, topK, type Aggregate } from '../../analysis/metrics/rank.js';
import { describeChange, formatValue, summariseSeries, type Point, type SeriesSummary } from '../../analysis/metrics/series-summary.js';
import { labelText } from './labels.js';
import { parseQueryBody } from './query-body.js';

export type RankBy = Aggregate;

export interface FindingsOptions {
  kind: 'instant' | 'range';
  stepMs?: number;
  fromMs?: number;
  toMs?: number;
  topK: number;
  rankBy: RankBy;
  /** Points per listed series to return (downsampled); 0: none. */
  includePoints: number;
  /** What one event is worth, when the expression counts events (count-unit.ts). */
  countUnit?: number;
}

/** Changed series listed, largest change first. */
const CHANGED_LISTED = 10;

export interface SeriesFindings {
  summary: string;
  series: Record<string, unknown>[];
  changed: { labels: string; what: string }[];
  points?: { labels: string; values: [string, number][] }[];
}

/** Prometheus writes values as strings, with "NaN", "+Inf" and "-Inf" for the non-finite ones. */
export function sampleValue(sample: PromSample | undefined): number {
  if (!sample) return NaN;
  const s = sample[1];
  return s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
}

export function pointsOf(series: PromSeries): Point[] {
  return (series.values ?? []).map((s) => ({ t: s[0] * 1000, v: sampleValue(s) }));
}

/**
 * The labels that tell series apart: those with the same value in every series (the metric name,
 * the job) are left out of the summary's sentences, where the 80 characters go to the pod.
 */
function distinguishing(all: readonly Record<string, string>[]): (labels: Record<string, string>) => string {
  const first = all[0] ?? {};
  const shared = new Set(Object.keys(first).filter((k) => all.every((l) => l[k] === first[k])));
  return (labels) => (all.length < 2 ? labelText(labels, 80) : labelText(Object.fromEntries(Object.entries(labels).filter(([k]) => !shared.has(k))), 80));
}

const round = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? v : Number(v.toPrecision(6)));

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** At most `max` points, evenly spread, first and last kept: enough to see a shape, never a dump. */
function downsample(points: readonly Point[], max: number): [string, number][] {
  const finite = points.filter((p) => Number.isFinite(p.v));
  const pick = finite.length <= max ? finite : Array.from({ length: max }, (_, i) => finite[Math.round((i * (finite.length - 1)) / (max - 1))]);
  return pick.map((p) => [iso(p.t), round(p.v)!]);
}

function rangeEntry(labels: Record<string, string>, s: SeriesSummary): Record<string, unknown> {
  return {
    labels: labelText(labels),
    what: describeChange(s),
    min: round(s.min),
    max: round(s.max),
    avg: round(s.avg),
    last: round(s.last),
    ...(s.last_at !== null ? { last_at: iso(s.last_at) } : {}),
    trend: s.trend.direction,
    ...(s.trend.direction !== 'flat' ? { per_hour: round(s.trend.per_hour) } : {}),
    ...(s.change ? { change: { at: iso(s.change.at), direction: s.change.direction, kind: s.change.kind, before: round(s.change.before), after: round(s.change.after), ...(s.change.factor !== null ? { factor: round(s.change.factor) } : {}), still: s.change.still } } : {}),
    ...(s.gaps ? { missing_steps: s.gaps } : {}),
  };
}

/**
 * A PromQL vector or matrix as findings: the top-k series by the asked aggregate with their
 * summary and sentence, the series that changed (largest first), points only when asked.
 * Pure and bounded by topK; it runs in the analysis thread.
 */
export function seriesFindings(result: readonly PromSeries[], opts: FindingsOptions): SeriesFindings {
  const n = result.length;
  if (opts.kind === 'instant') {
    const withPoints = result.map((s) => ({ labels: s.metric, points: [{ t: (s.value?.[0] ?? 0) * 1000, v: sampleValue(s.value) }] }));
    const ranking = rankSeries(withPoints, 'last', opts.topK, opts.rankBy === 'min' ? 'asc' : 'desc');
    const series = ranking.top.map((r) => ({ labels: labelText(r.labels), value: round(r.value) }));
    const short = distinguishing(withPoints.map((w) => w.labels));
    const shown = ranking.top.slice(0, 3).map((r) => `${short(r.labels)} = ${formatValue(r.value)}`);
    return {
      summary: n === 0 ? 'Empty result: no series matched at that time.' : `${n} series; ${opts.rankBy === 'min' ? 'lowest' : 'highest'}: ${shown.join('; ')}${n > shown.length ? '; …' : ''}.${ranking.no_data ? ` ${ranking.no_data} without a finite value.` : ''}`,
      series,
      changed: [],
    };
  }
  const data = result.map((s) => ({ labels: s.metric, points: pointsOf(s) }));
  const ranking = rankSeries(data, opts.rankBy, opts.topK);
  // One analysis of every series, under one work budget: the top series and the changed ones tell the same story.
  const summaries = opts.stepMs ? summariseAll(data, { stepMs: opts.stepMs, fromMs: opts.fromMs, toMs: opts.toMs, ...(opts.countUnit ? { countUnit: opts.countUnit } : {}) }) : data.map((d) => summariseSeries(d.points));
  const series = ranking.top.map((r) => rangeEntry(r.labels, summaries[r.index]));
  const changedAll = topK(
    summaries.map((summary, index) => ({ summary, index })).filter((x) => x.summary.change),
    CHANGED_LISTED,
    (x) => x.summary.change!.score + (x.summary.change!.still ? 1e-6 : 0),
  );
  const changedCount = summaries.filter((x) => x.change).length;
  const changed = changedAll.map(({ item }) => ({ labels: labelText(data[item.index].labels), what: describeChange(item.summary) }));
  const short = distinguishing(data.map((d) => d.labels));
  const top = ranking.top.slice(0, 3).map((r) => `${short(r.labels)} ${opts.rankBy} ${formatValue(r.value)}`);
  const changeText = changedCount ? ` ${changedCount} of ${n} changed: ${changedAll.slice(0, 3).map(({ item }) => `${short(data[item.index].labels)} ${describeChange(item.summary)}`).join('; ')}${changedCount > 3 ? '; …' : ''}.` : n ? ' No series changed abruptly.' : '';
  return {
    summary: n === 0 ? 'Empty result: no series matched in that range.' : `${n} series; top by ${opts.rankBy}: ${top.join('; ')}${n > top.length ? '; …' : ''}.${changeText}${ranking.no_data ? ` ${ranking.no_data} without a finite value.` : ''}`,
    series,
    changed,
    ...(opts.includePoints ? { points: ranking.top.map((r) => ({ labels: labelText(r.labels), values: downsample(data[r.index].points, opts.includePoints) })) } : {}),
  };
}

/** A query answer read in the analysis thread: its findings, or what the server said went wrong. */
export type BodyFindings =
  | { ok: true; resultType: PromQueryData['resultType']; seriesCount: number; scalar?: number | string; found?: SeriesFindings; warnings: string[] }
  | { ok: false; errorType?: string; error?: string };

/** The server's answer text parsed here, off the event loop, then summed up as seriesFindings does. */
export function findingsFromBody(body: string, opts: FindingsOptions): BodyFindings {
  const answer = parseQueryBody(body);
  if (!answer.ok) return answer;
  const { data, warnings } = answer;
  if (data.resultType === 'scalar') return { ok: true, resultType: 'scalar', seriesCount: 0, scalar: sampleValue(data.result), warnings };
  if (data.resultType === 'string') return { ok: true, resultType: 'string', seriesCount: 0, scalar: String(data.result[1]).slice(0, 500), warnings };
  return { ok: true, resultType: data.resultType, seriesCount: data.result.length, found: seriesFindings(data.result, { ...opts, kind: data.resultType === 'matrix' ? 'range' : 'instant' }), warnings };
}
