import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { METRIC_SOURCE, promqlLimits } from '../../backends/metrics/module.js';
import type { MetricMetadata, PrometheusApi, TargetHealth } from '../../backends/metrics/prometheus.js';
import { parsePromql, durationMs, type Selector } from '../../backends/metrics/promql-ast.js';
import { MAX_EXPR_CHARS, checkPromqlShape, checkSelector, countSelectorSeries, selectorText, type PromqlLimits } from '../../backends/metrics/promql-guard.js';
import { defineTool } from '../tool.js';
import { metricWindowCache } from '../cache-windows.js';
import { clip, iso, metricApi, sourceArg, timeArg, toMs } from './common.js';
import { labelText } from './labels.js';
import { lintPromql, type LintFinding } from './promql-lint.js';

const WHAT = ['metrics', 'labels', 'label_values', 'series', 'metadata', 'lint'] as const;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function oneSelector(match: string): Selector {
  const shape = parsePromql(match);
  if (shape.selectors.length !== 1 || shape.calls.length || shape.subqueries.length || shape.selectors[0].rangeMs !== undefined || shape.selectors[0].text !== match.trim()) {
    throw new TelemcpError('invalid_input', 'match must be one series selector, such as up{job="api"} or {__name__=~"http_.*", namespace="payments"}.', { hint: 'Pass an expression to what: "lint" instead.' });
  }
  checkSelector(shape.selectors[0]);
  return shape.selectors[0];
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

interface Found {
  items: unknown[];
  /** The server answered with `limit + 1` or more: more exist. */
  more: boolean;
}

async function listOf(api: PrometheusApi, path: string, params: Record<string, string | string[] | undefined>, limit: number, signal: AbortSignal): Promise<Found & { warnings: string[] }> {
  const { data, warnings } = await api.get<unknown[]>(path, { ...params, limit: String(limit + 1) }, signal);
  const items = Array.isArray(data) ? data : [];
  return { items: items.slice(0, limit), more: items.length > limit, warnings };
}

/** Scrape interval (ms) of the jobs exporting each metric, from a few of its series and the active targets. */
async function scrapeIntervals(api: PrometheusApi, metrics: string[], window: { start: number; end: number }, signal: AbortSignal): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!metrics.length) return out;
  const { data: targets } = await api.get<{ activeTargets?: TargetHealth[] }>('/api/v1/targets', { state: 'active' }, signal);
  const byJob = new Map<string, number>();
  for (const t of targets.activeTargets ?? []) {
    const ms = t.scrapeInterval ? durationMs(t.scrapeInterval) : undefined;
    const job = t.labels.job ?? t.scrapePool;
    if (ms) byJob.set(job, Math.max(byJob.get(job) ?? 0, ms));
  }
  await Promise.all(
    metrics.slice(0, 10).map(async (m) => {
      const { data } = await api.get<Record<string, string>[]>('/api/v1/series', { 'match[]': [`{__name__=${JSON.stringify(m)}}`], start: String(window.start / 1000), end: String(window.end / 1000), limit: '20' }, signal);
      const intervals = (Array.isArray(data) ? data : []).map((s) => byJob.get(s.job ?? '')).filter((n): n is number => n !== undefined);
      if (intervals.length) out.set(m, Math.max(...intervals));
    }),
  );
  return out;
}

export const promDiscover = defineTool({
  name: 'prom_discover',
  title: 'Discover metrics, labels and series; lint PromQL',
  description:
    'Metric names (filter), label names and values, series of a selector, metadata (type/help/unit), time-bounded and capped; or what: "lint" to check a PromQL expression before running it (rate over a gauge, quantile without le, short ranges) with its series count.',
  readme: 'metric names (with a filter), label names and values, series of a selector, metadata (type/help/unit) — time-bounded and capped; `what: "lint"` checks a PromQL expression before it runs (rate() over a gauge, histogram_quantile without `le`, a range shorter than 4× the scrape interval, a raw counter) and counts the series it reads',
  toolset: 'metrics',
  requires: [METRIC_SOURCE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      what: z.enum(WHAT).describe('metrics | labels | label_values | series | metadata | lint'),
      filter: z.string().max(100).optional().describe('metrics: names containing this text (case-insensitive)'),
      match: z.string().max(1000).optional().describe('A series selector restricting metrics/labels/label_values; required for series'),
      label: z.string().max(100).optional().describe('label_values: the label name'),
      metric: z.string().max(200).optional().describe('metadata: one metric name'),
      expr: z.string().max(MAX_EXPR_CHARS).optional().describe('lint: the PromQL expression'),
      start: timeArg('Window start (default now-1h)').optional(),
      end: timeArg('Window end (default now)').optional(),
      limit: z.number().int().min(1).max(1000).default(100).describe('Most items returned'),
      source: sourceArg,
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    source: z.string(),
    what: z.enum(WHAT),
    window: z.object({ start: z.string(), end: z.string() }),
    count: z.number().describe('items returned'),
    count_exact: z.boolean().describe('false: the server has more than count; narrow with filter/match'),
    items: z.array(z.unknown()),
    lint: z.object({ findings: z.array(z.object({ severity: z.enum(['error', 'warning', 'info']), rule: z.string(), message: z.string() })), series: z.number().optional(), series_exact: z.boolean().optional(), points_per_series: z.number().optional(), refused: z.string().optional() }).optional(),
    warnings: z.array(z.string()).optional(),
    truncated: z.boolean(),
  }),
  cache: metricWindowCache,
  async handler(input, ctx) {
    const { name, api } = metricApi(ctx, input.source);
    const now = new Date();
    const end = toMs(input.end ?? 'now', now, 'end', true);
    const start = toMs(input.start ?? 'now-1h', now, 'start');
    if (!(end > start)) throw new TelemcpError('invalid_input', 'start must be before end.', { hint: 'Use start now-1h with end now.' });
    const limits = promqlLimits(ctx.config);
    if (end - start > limits.maxRangeMs) throw new TelemcpError('invalid_input', `The window is longer than ${limits.maxRangeMs / 86_400_000} days.`, { hint: 'Narrow start/end.' });
    const window = { start: iso(start), end: iso(end) };
    const times = { start: String(start / 1000), end: String(end / 1000) };
    const match = input.match !== undefined ? [selectorText(oneSelector(input.match))] : undefined;
    const base = { source: name, what: input.what, window };
    let found: Found & { warnings: string[] };
    let noun: string;
    switch (input.what) {
      case 'metrics': {
        const filter = input.filter ? [`{__name__=~${JSON.stringify(`(?i).*${escapeRegex(input.filter)}.*`)}}`] : undefined;
        if (filter && match) throw new TelemcpError('invalid_input', 'Give filter or match for metrics, not both.', { hint: 'Put the name condition into match: {__name__=~".*http.*", job="api"}.' });
        found = await listOf(api, '/api/v1/label/__name__/values', { 'match[]': filter ?? match, ...times }, input.limit, ctx.signal);
        noun = 'metric names';
        break;
      }
      case 'labels':
        found = await listOf(api, '/api/v1/labels', { 'match[]': match, ...times }, input.limit, ctx.signal);
        noun = 'label names';
        break;
      case 'label_values': {
        if (!input.label || !LABEL_NAME.test(input.label)) throw new TelemcpError('invalid_input', 'label_values needs label, a label name such as job or namespace.', { hint: 'List label names with what: "labels".' });
        found = await listOf(api, `/api/v1/label/${input.label}/values`, { 'match[]': match, ...times }, input.limit, ctx.signal);
        noun = `values of ${input.label}`;
        break;
      }
      case 'series': {
        if (!match) throw new TelemcpError('invalid_input', 'series needs match, a selector such as up{job="api"}.', { hint: 'Name a metric and the labels that narrow it.' });
        const res = await listOf(api, '/api/v1/series', { 'match[]': match, ...times }, input.limit, ctx.signal);
        found = { ...res, items: res.items.map((s) => labelText(s as Record<string, string>, 400)) };
        noun = 'series';
        break;
      }
      case 'metadata': {
        if (input.metric !== undefined && !METRIC_NAME.test(input.metric)) throw new TelemcpError('invalid_input', 'metric must be a metric name.', { hint: 'List metric names with what: "metrics".' });
        const { data, warnings } = await api.get<Record<string, MetricMetadata[]>>('/api/v1/metadata', { metric: input.metric, limit: String(input.limit + 1) }, ctx.signal);
        const entries = Object.entries(data ?? {}).filter(([m]) => !input.filter || m.toLowerCase().includes(input.filter.toLowerCase()));
        found = { items: entries.slice(0, input.limit).map(([metric, [m]]) => ({ metric, type: m?.type ?? 'unknown', help: clip(m?.help, 200), unit: m?.unit ?? '' })), more: entries.length > input.limit, warnings };
        noun = 'metrics with metadata';
        break;
      }
      case 'lint': {
        if (!input.expr) throw new TelemcpError('invalid_input', 'lint needs expr, the PromQL expression to check.', { hint: 'Pass expr: "rate(http_requests_total[5m])".' });
        const lint = await lintExpression(api, input.expr, { start, end }, limits, ctx.signal);
        const errors = lint.findings.filter((f) => f.severity === 'error').length;
        return {
          summary: lint.refused
            ? `The expression would be refused: ${lint.refused}`
            : `${lint.findings.length ? `${lint.findings.length} finding${lint.findings.length === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}): ${lint.findings[0].message}` : 'No problems found.'} It reads ${lint.series_exact ? '' : 'more than '}${lint.series} series over the window.`,
          ...base,
          count: 0,
          count_exact: true,
          items: [],
          lint,
          truncated: false,
        };
      }
    }
    const warnings = found.warnings.map((w) => clip(w));
    return {
      summary: `${found.more ? 'More than ' : ''}${found.items.length} ${noun}${input.filter ? ` containing "${input.filter}"` : ''}${input.match ? ` for ${input.match.slice(0, 80)}` : ''} between ${window.start} and ${window.end}${found.more ? '; narrow with filter or match to see the rest' : ''}.`,
      ...base,
      count: found.items.length,
      count_exact: !found.more,
      items: found.items.map((i) => (typeof i === 'string' ? clip(i, 300) : i)),
      ...(warnings.length ? { warnings } : {}),
      truncated: found.more,
    };
  },
});

async function lintExpression(api: PrometheusApi, expr: string, w: { start: number; end: number }, limits: Omit<PromqlLimits, 'timeoutMs'>, signal: AbortSignal): Promise<{ findings: LintFinding[]; series?: number; series_exact?: boolean; points_per_series?: number; refused?: string }> {
  const shape = parsePromql(expr);
  let checked: ReturnType<typeof checkPromqlShape>;
  try {
    checked = checkPromqlShape({ expr, start: w.start, end: w.end, stepMs: Math.max(1000, Math.ceil((w.end - w.start) / 250 / 1000) * 1000) }, limits);
  } catch (err) {
    if (err instanceof TelemcpError) return { findings: [], refused: `${err.message} ${err.hint ?? ''}`.trim() };
    throw err;
  }
  const metrics = [...new Set(shape.selectors.map((s) => s.metric).filter((m): m is string => m !== undefined))];
  const [meta, intervals, series] = await Promise.all([
    // A classic histogram's or summary's metadata is under its family name, without _bucket/_sum/_count.
    Promise.all([...new Set(metrics.slice(0, 20).flatMap((m) => [m, m.replace(/_(bucket|sum|count)$/, '')]))].map(async (m) => [m, (await api.get<Record<string, MetricMetadata[]>>('/api/v1/metadata', { metric: m, limit: '1' }, signal)).data?.[m]?.[0]?.type] as const)),
    scrapeIntervals(api, shape.calls.filter((c) => c.matrix?.metric).map((c) => c.matrix!.metric!), w, signal),
    countSelectorSeries(api, checked.selectors, { from: w.start, to: w.end }, limits.maxSeries, signal),
  ]);
  const types = new Map(meta.filter((e): e is readonly [string, MetricMetadata['type']] => e[1] !== undefined));
  const untyped = metrics.slice(0, 20).filter((m) => !types.has(m) && !types.has(m.replace(/_(bucket|sum|count)$/, '')));
  const unknown: LintFinding[] = untyped.length
    ? [{ severity: 'info', rule: 'no_metadata', message: `No type metadata for ${untyped.slice(0, 5).join(', ')}${untyped.length > 5 ? ', …' : ''}: the checks that need a metric's type (rate over a gauge, delta over a counter) were skipped for ${untyped.length === 1 ? 'it' : 'them'}.` }]
    : [];
  return {
    findings: [...lintPromql(shape, { types, scrapeIntervalMs: intervals }), ...unknown],
    series: Math.min(series, limits.maxSeries),
    series_exact: series <= limits.maxSeries,
    points_per_series: checked.points,
  };
}
