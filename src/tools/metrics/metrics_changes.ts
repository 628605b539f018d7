import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { METRIC_SOURCE, PROMQL_GUARD } from '../../backends/metrics/module.js';
import { apiError } from '../../backends/metrics/prometheus.js';
import { MAX_EXPR_CHARS } from '../../backends/metrics/promql-guard.js';
import { durationMs } from '../../backends/metrics/promql-ast.js';
import { runAnalysis } from '../analysis-thread.js';
import { defineTool, target } from '../tool.js';
import { metricWindowCache } from '../cache-windows.js';
import { clip, durationArg, iso, metricApi, sourceArg, timeArg, toMs } from './common.js';
import { countUnitOf } from './count-unit.js';
import { labelText } from './labels.js';
import { alignToStep, autoStepMs } from './promql_query.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The window, its lookback and its step, resolved once so the guard prices what the handler reads. */
interface ChangesPlan {
  expr: string;
  start: number;
  end: number;
  stepMs: number;
  /** The lookback before the window: as long as the window, at least 1 h and 30 steps, at most 24 h. */
  lookbackStart: number;
  dayEarlier: boolean;
}

export function changesPlan(input: { expr: string; start?: string; end?: string; step?: string; baseline: 'preceding' | 'both' }, now = new Date()): ChangesPlan {
  const from = toMs(input.start ?? 'now-1h', now, 'start');
  const to = toMs(input.end ?? 'now', now, 'end', true);
  if (!(to > from)) throw new TelemcpError('invalid_input', 'start must be before end.', { hint: 'Use start now-1h with end now.' });
  const stepMs = input.step !== undefined ? durationMs(input.step)! : autoStepMs(to - from);
  const { start, end } = alignToStep(from, to, stepMs);
  const lookback = Math.min(DAY_MS, Math.max(HOUR_MS, 30 * stepMs, end - start));
  // A day earlier is only a baseline for a window shorter than a day.
  const dayEarlier = input.baseline === 'both' && end - start <= DAY_MS;
  return { expr: input.expr, start, end, stepMs, lookbackStart: start - lookback, dayEarlier };
}



const changeOut = z.object({
  at: z.string(),
  direction: z.enum(['rise', 'drop']),
  kind: z.enum(['step', 'spike']),
  before: z.number(),
  after: z.number(),
  factor: z.number().nullable(),
  still: z.boolean(),
  until: z.string().nullable(),
  baseline: z.enum(['preceding', 'day_earlier']),
  before_window: z.boolean().optional(),
});

const round = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(4)) : v);

export const metricsChanges = defineTool({
  name: 'metrics_changes',
  title: 'What changed in a metric',
  description:
    'Change points and bursts of every series of a PromQL expression in a window, against its own baseline (the preceding window and the same window a day earlier), with the same detector as logs_bursts: "rose 6× at 14:03Z, still up". Largest first.',
  readme: 'the change points and bursts of any PromQL result in a window against a baseline (the preceding window and the same window a day earlier), with the burst detector the log tools use, so "what changed at 14:03" has one answer across logs and metrics; largest change first',
  toolset: 'metrics',
  requires: [METRIC_SOURCE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      expr: z.string().min(1).max(MAX_EXPR_CHARS).describe('PromQL expression, e.g. sum by (pod) (rate(http_requests_total{code=~"5.."}[5m]))'),
      start: timeArg('Window start (default now-1h)').optional(),
      end: timeArg('Window end (default now)').optional(),
      step: durationArg('Step (default: about 250 points over the window)').optional(),
      baseline: z.enum(['preceding', 'both']).default('both').describe('both: also the same window a day earlier (windows up to 1 day)'),
      top_k: z.number().int().min(1).max(50).default(10).describe('Series reported, largest change first'),
      source: sourceArg,
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    source: z.string(),
    window: z.object({ start: z.string(), end: z.string(), step: z.string(), lookback_start: z.string(), day_earlier: z.boolean() }),
    analysed: z.number().describe('Series in the result (exact)'),
    changed: z.number().describe('Series with at least one change (exact)'),
    no_data: z.number(),
    series: z.array(z.object({ labels: z.record(z.string(), z.string()), what: z.string(), changes: z.array(changeOut), more_changes: z.boolean() })),
    method: z.string(),
    next_checks: z.array(z.object({ tool: z.string(), args: z.record(z.string(), z.unknown()), why: z.string() })),
    warnings: z.array(z.string()).optional(),
    truncated: z.boolean(),
  }),
  // Priced as the range it reads first, the window with its lookback; the same window a day
  // earlier is a second range no longer than that one, over the same expression.
  targets: (input) => {
    const p = changesPlan(input);
    return [target(PROMQL_GUARD, { expr: p.expr, start: p.lookbackStart, end: p.end, stepMs: p.stepMs }, { source: input.source })];
  },
  cache: metricWindowCache,
  async handler(input, ctx) {
    const approved = ctx.guarded.get(PROMQL_GUARD)!;
    const plan = changesPlan(input);
    // The guard approved the union; read the window with its lookback, and the day before, on the same step grid.
    const { name, api } = metricApi(ctx, input.source);
    const range = (from: number, to: number) => api.queryText('/api/v1/query_range', { query: approved.expr, start: String(from / 1000), end: String(to / 1000), step: String(plan.stepMs / 1000), timeout: approved.timeout }, ctx.signal);
    const [now, dayEarlier] = await Promise.all([range(plan.lookbackStart, plan.end), plan.dayEarlier ? range(plan.start - DAY_MS, plan.end - DAY_MS) : undefined]);
    const answer = await runAnalysis('changesFromBodies', { now, dayEarlier, options: { stepMs: plan.stepMs, fromMs: plan.start, toMs: plan.end, top: input.top_k, countUnit: countUnitOf(approved.expr) } }, ctx.signal);
    if (!answer.ok) throw apiError(api.kind, answer);
    if (!answer.changes) throw new TelemcpError('invalid_input', `The expression gives a ${answer.resultType}, not series over time.`, { hint: 'Use an expression over series, such as rate(x[5m]) or a selector.' });
    const found = answer.changes;
    const can = new Set(ctx.callableTools());
    const window = { start_time: iso(plan.start), end_time: iso(plan.end) };
    const first = found.series.flatMap((s) => s.changes).sort((a, b) => a.at - b.at)[0];
    const next_checks = [
      ...(first && can.has('logs_bursts') ? [{ tool: 'logs_bursts', args: window, why: `Log bursts in the same window: an error burst starting at or just before ${iso(first.at)} is the other half of the same change.` }] : []),
      ...(first && can.has('incident_summary') ? [{ tool: 'incident_summary', args: window, why: 'The incident in the logs over the same window, with its onset and likely cause.' }] : []),
      ...(can.has('alerts_active') ? [{ tool: 'alerts_active', args: {}, why: 'Which alerts fire now, and whether anybody was paged.' }] : []),
    ];
    const n = found.analysed;
    const top = found.series.slice(0, 3).map((s) => `${labelText(s.labels, 100)} ${s.sentence}`);
    const warnings = answer.warnings.map((w) => clip(w));
    return {
      summary:
        n === 0
          ? 'Empty result: no series in that window.'
          : found.changed
            ? `${found.changed} of ${n} series changed between ${iso(plan.start)} and ${iso(plan.end)}: ${top.join('; ')}${found.changed > top.length ? '; …' : ''}.`
            : `None of ${n} series changed abruptly between ${iso(plan.start)} and ${iso(plan.end)} against ${found.baseline === 'preceding' ? 'the preceding window' : 'the preceding window and the day before'}.`,
      source: name,
      window: { start: iso(plan.start), end: iso(plan.end), step: `${plan.stepMs / 1000}s`, lookback_start: iso(plan.lookbackStart), day_earlier: plan.dayEarlier },
      analysed: n,
      changed: found.changed,
      no_data: found.no_data,
      series: found.series.map((s) => ({
        labels: s.labels,
        what: s.sentence,
        changes: s.changes.map((c) => ({
          at: iso(c.at),
          direction: c.direction,
          kind: c.kind,
          before: round(c.before),
          after: round(c.after),
          factor: c.factor === null ? null : round(c.factor),
          still: c.still,
          until: c.until === null ? null : iso(c.until),
          baseline: c.baseline,
          ...(c.before_window ? { before_window: true } : {}),
        })),
        more_changes: s.truncated,
      })),
      method: found.method,
      next_checks,
      ...(warnings.length ? { warnings } : {}),
      truncated: found.truncated,
    };
  },
});
