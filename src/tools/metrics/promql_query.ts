import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { METRIC_SOURCE, PROMQL_GUARD, promqlLimits } from '../../backends/metrics/module.js';
import { apiError } from '../../backends/metrics/prometheus.js';
import { MAX_EXPR_CHARS, type PromqlRequest } from '../../backends/metrics/promql-guard.js';
import { durationMs } from '../../backends/metrics/promql-ast.js';
import type { Config } from '../../config/load.js';
import { SavedQueries, type SavedQueriesSetting } from '../../backends/metrics/saved-queries.js';
import { defineTool, target } from '../tool.js';
import { promqlRangeCache } from '../cache-windows.js';
import { clip, durationArg, iso, metricApi, sourceArg, timeArg, toMs } from './common.js';
import { runAnalysis } from '../analysis-thread.js';
import type { RankBy } from './series-findings.js';
import { countUnitOf } from './count-unit.js';

/** Steps a range query without `step` gets: the finest that keeps it near TARGET_POINTS points. */
const NICE_STEPS_S = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
const TARGET_POINTS = 250;

export function autoStepMs(rangeMs: number): number {
  const wanted = rangeMs / TARGET_POINTS / 1000;
  return (NICE_STEPS_S.find((s) => s >= wanted) ?? NICE_STEPS_S.at(-1)!) * 1000;
}

type QueryInput = { expr?: string; saved?: string; time?: string; start?: string; end?: string; step?: string };

/** A saved query's expression (and its range, when it has one) in place of `expr`. */
function resolveSaved(input: QueryInput, config: Config): QueryInput & { expr: string } {
  if ((input.expr === undefined) === (input.saved === undefined)) throw new TelemcpError('invalid_input', 'Give expr, or saved (the name of a saved query), not both.', { hint: 'Pass expr: "up{job=\\"node\\"}", or saved: "pod-restarts".' });
  if (input.expr !== undefined) return { ...input, expr: input.expr };
  const q = new SavedQueries(config.PROMETHEUS_SAVED_QUERIES as SavedQueriesSetting, promqlLimits(config)).get(input.saved!);
  return q.range && input.start === undefined && input.time === undefined ? { ...input, expr: q.expr, start: `now-${q.range}` } : { ...input, expr: q.expr };
}

/**
 * start and end moved back onto multiples of the step (as Grafana does): every point then falls
 * on a whole step, and the same question asked twice reads the same grid.
 */
export function alignToStep(start: number, end: number, stepMs: number): { start: number; end: number } {
  const s = Math.floor(start / stepMs) * stepMs;
  return { start: s, end: Math.max(s + stepMs, Math.floor(end / stepMs) * stepMs) };
}

/** The evaluation a call asks for, in absolute unix ms: resolved once, so the guard prices what the handler runs. */
export function promqlRequest(input: QueryInput & { expr: string }, now = new Date()): PromqlRequest {
  if (input.time !== undefined && (input.start !== undefined || input.end !== undefined || input.step !== undefined)) {
    throw new TelemcpError('invalid_input', 'Give time for an instant query, or start (with end, step) for a range query, not both.', { hint: 'Drop time to run a range query.' });
  }
  if (input.start === undefined && input.end === undefined && input.step === undefined) {
    return { expr: input.expr, time: toMs(input.time ?? 'now', now, 'time') };
  }
  if (input.start === undefined) throw new TelemcpError('invalid_input', 'A range query needs start.', { hint: 'Pass start such as now-6h (end defaults to now).' });
  const start = toMs(input.start, now, 'start');
  const end = toMs(input.end ?? 'now', now, 'end', true);
  // Checked before the grid is aligned, which would otherwise turn a reversed range into one step.
  if (!(end > start)) throw new TelemcpError('invalid_input', 'end must be after start.', { hint: 'Swap them, or use start now-1h with end now.' });
  const stepMs = input.step !== undefined ? durationMs(input.step)! : autoStepMs(Math.max(1000, end - start));
  return { expr: input.expr, ...alignToStep(start, end, stepMs), stepMs };
}

export const promqlQuery = defineTool({
  name: 'promql_query',
  title: 'PromQL query, summarised',
  description:
    'Runs a PromQL instant query (time) or range query (start/end/step) after pricing it (series × points) and answers per series: min/max/avg/last, trend, the change point ("rose 6× at 14:03, still up"), top-k; raw points only when asked.',
  readme: 'PromQL instant (`time`) and range (`start`/`end`/`step`) queries, priced before they run (the series each selector matches are counted; refused over the series, points or range limit); answers per series with min/max/avg/last, trend and change point, the top-k by the asked aggregate, raw points only with `include_points`; alias `promql.query`',
  toolset: 'metrics',
  requires: [METRIC_SOURCE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      expr: z.string().min(1).max(MAX_EXPR_CHARS).optional().describe('PromQL expression'),
      saved: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/).optional().describe('Instead of expr: a saved query by name (res://dashboards/NAME.promql)'),
      time: timeArg('Instant query time (default now)').optional(),
      start: timeArg('Range query start').optional(),
      end: timeArg('Range query end (default now)').optional(),
      step: durationArg('Range query step, e.g. 1m (default: about 250 points)').optional(),
      top_k: z.number().int().min(1).max(50).default(10).describe('Series listed, ranked by rank_by'),
      rank_by: z.enum(['max', 'avg', 'last', 'min']).default('max').describe('Aggregate the series are ranked by (instant queries: the value)'),
      include_points: z.boolean().default(false).describe('Also return points of the listed series (downsampled to max_points)'),
      max_points: z.number().int().min(10).max(500).default(60).describe('With include_points: most points per series'),
      source: sourceArg,
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    source: z.string(),
    query: z.object({
      expr: z.string(),
      kind: z.enum(['instant', 'range']),
      time: z.string().optional(),
      start: z.string().optional(),
      end: z.string().optional(),
      step: z.string().optional(),
      estimate: z.object({ series: z.number(), points_per_series: z.number(), samples: z.number() }).describe('Counted before the query ran'),
    }),
    result_type: z.enum(['vector', 'matrix', 'scalar', 'string']),
    series_count: z.number().describe('Series in the result (exact)'),
    scalar: z.union([z.number(), z.string()]).optional(),
    series: z.array(z.record(z.string(), z.unknown())).describe('Top series: labels, stats or value, trend, change, what'),
    changed: z.array(z.object({ labels: z.string(), what: z.string() })).optional().describe('Series with a change point, largest first'),
    points: z.array(z.object({ labels: z.string(), values: z.array(z.tuple([z.string(), z.number()])) })).optional(),
    warnings: z.array(z.string()).optional(),
    truncated: z.boolean(),
  }),
  targets: (input, config) => [target(PROMQL_GUARD, promqlRequest(resolveSaved(input, config)), { source: input.source })],
  cache: promqlRangeCache,
  async handler(input, ctx) {
    const q = ctx.guarded.get(PROMQL_GUARD)!;
    const { name, api } = metricApi(ctx, input.source);
    const params =
      q.kind === 'range'
        ? { query: q.expr, start: String(q.start! / 1000), end: String(q.end! / 1000), step: String(q.stepMs! / 1000), timeout: q.timeout }
        : { query: q.expr, time: String(q.time! / 1000), timeout: q.timeout };
    const body = await api.queryText(q.kind === 'range' ? '/api/v1/query_range' : '/api/v1/query', params, ctx.signal);
    const options = {
      kind: q.kind,
      stepMs: q.stepMs,
      fromMs: q.start,
      toMs: q.end,
      topK: input.top_k,
      rankBy: input.rank_by as RankBy,
      includePoints: input.include_points ? input.max_points : 0,
      countUnit: countUnitOf(q.expr),
    };
    // Parsed and summed up in the analysis thread: a matrix of megabytes never blocks the event loop.
    const answer = await runAnalysis('findingsFromBody', { body, options }, ctx.signal);
    if (!answer.ok) throw apiError(api.kind, answer);
    const warnings = answer.warnings.map((x) => clip(x));
    // topk over a range keeps, at each step, only the series in the top k then: a series that
    // rose into it shows as missing steps before, not as a change. Said, so nobody reads "no change" from it.
    if (q.kind === 'range' && /^\s*(?:topk|bottomk)\s*\(/.test(q.expr)) {
      warnings.push('topk/bottomk over a range keeps only the series in the top k at each step: a series that entered it shows as missing steps, not as a change. For changes, query without topk and use top_k/rank_by (or metrics_changes).');
    }
    const query = {
      expr: q.expr,
      kind: q.kind,
      ...(q.kind === 'range' ? { start: iso(q.start!), end: iso(q.end!), step: `${q.stepMs! / 1000}s` } : { time: iso(q.time!) }),
      estimate: q.estimate,
    };
    const base = { source: name, query, ...(warnings.length ? { warnings } : {}) };
    if (answer.resultType === 'scalar' || answer.resultType === 'string') {
      const value = typeof answer.scalar === 'string' ? clip(answer.scalar, 500) : answer.scalar!;
      return { summary: `${answer.resultType === 'scalar' ? 'Scalar' : 'String'} result: ${value}.`, ...base, result_type: answer.resultType, series_count: 0, scalar: value, series: [], truncated: false };
    }
    const found = answer.found!;
    return {
      summary: found.summary,
      ...base,
      result_type: answer.resultType,
      series_count: answer.seriesCount,
      series: found.series,
      ...(found.changed.length ? { changed: found.changed } : {}),
      ...(found.points ? { points: found.points } : {}),
      truncated: answer.seriesCount > input.top_k,
    };
  },
});
