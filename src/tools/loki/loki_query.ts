import { z } from 'zod';
import type { LokiMatrixSeries } from '../../backends/loki/client.js';
import { durationMs, LOGQL_GUARD, MAX_LOGQL_CHARS, type ApprovedLogQuery, type ApprovedMetricQuery, type LogqlRequest } from '../../backends/loki/logql-guard.js';
import { TelemcpError } from '../../core/errors.js';
import { parseTime } from '../../core/time.js';
import { sanitizeText } from '../../security/sanitize.js';
import { findingsShape, iso, linesFindings, type QueryState } from '../native-query-findings.js';
import { defineTool, target, type ToolContext } from '../tool.js';
import { nativeQueryCache } from '../cache-windows.js';

const timeArg = (what: string) => z.string().min(1).max(40).describe(`${what}: now-1h, 2026-12-07T14:00:00Z, or epoch seconds/ms`);
/** Series of a metric answer shown, largest last value first; and their labels, each cut. */
const MAX_SERIES_SHOWN = 20;
const LABEL_CHARS = 128;

type QueryInput = { query: string; start?: string; end?: string; limit?: number; step?: string };

/** The call as the guard checks it: times resolved once to unix ms; what is missing stays missing, for the guard to inject. */
export function logqlRequest(input: QueryInput, now = new Date()): LogqlRequest {
  return {
    query: input.query,
    ...(input.start !== undefined ? { start: parseTime(input.start, now, false, 'start').getTime() } : {}),
    ...(input.end !== undefined ? { end: parseTime(input.end, now, true, 'end').getTime() } : {}),
    ...(input.limit !== undefined ? { limit: input.limit } : {}),
    ...(input.step !== undefined ? { stepMs: durationMs(input.step) } : {}),
  };
}

function sourceName(ctx: Pick<ToolContext, 'backends'>, source: string | undefined): string {
  return source ?? ctx.backends.all(LOGQL_GUARD).keys().next().value ?? 'loki';
}

function hintsFor(state: QueryState, a: ApprovedLogQuery | ApprovedMetricQuery, total: number): string[] {
  const minutes = Math.round((a.end - a.start) / 60_000);
  if (state === 'empty') {
    return [
      `Nothing matched between ${iso(a.start)} and ${iso(a.end)} (${minutes} min). Widen the window (start now-24h)${a.injected.includes('window') ? '; the server used the last hour because start was missing' : ''}.`,
      'Loosen the query: drop a label filter or line filter, use |~ "(?i)word" for any case, =~ for several spellings ({level=~"error|ERROR"}). Label names are case-sensitive: list them with loki_discover.',
    ];
  }
  if (a.kind === 'metric') return [];
  if (state === 'too_wide') {
    return [
      `${total} lines match, ${Math.round(total / a.limit)}× the ${a.limit} lines read: the patterns cover only the newest lines. Narrow it: a label matcher ({service_name="api", level=~"error|warn"}), a line filter (|= "timeout"), or a shorter window (start now-15m). The bursts and total cover the whole window.`,
    ];
  }
  if (state === 'truncated') return [`${total} lines match; the patterns are mined from the newest ${a.limit}. Raise limit (at most 1000) or narrow the window to cover them all.`];
  return [];
}

const seriesOut = z.object({
  labels: z.record(z.string(), z.string()),
  points: z.number(),
  last: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  avg: z.number().nullable(),
  last_at: z.string().optional(),
});

/** A matrix as a few numbers per series, the largest last values first, bounded. */
function summarizeMatrix(series: LokiMatrixSeries[]): { shown: z.infer<typeof seriesOut>[]; total: number } {
  const rows = series.map((s) => {
    const values = s.values.map(([, v]) => Number(v)).filter((v) => Number.isFinite(v));
    const lastPoint = s.values.at(-1);
    const round = (v: number) => Math.round(v * 1000) / 1000;
    return {
      labels: Object.fromEntries(Object.entries(s.metric).slice(0, 12).map(([k, v]) => [sanitizeText(k, 64).text, sanitizeText(String(v), LABEL_CHARS).text])),
      points: s.values.length,
      last: values.length ? round(values.at(-1)!) : null,
      min: values.length ? round(Math.min(...values)) : null,
      max: values.length ? round(Math.max(...values)) : null,
      avg: values.length ? round(values.reduce((a, b) => a + b, 0) / values.length) : null,
      ...(lastPoint ? { last_at: iso(Math.round(lastPoint[0] * 1000)) } : {}),
    };
  });
  rows.sort((a, b) => (b.last ?? -Infinity) - (a.last ?? -Infinity) || (JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1));
  return { shown: rows.slice(0, MAX_SERIES_SHOWN), total: rows.length };
}

export const lokiQuery = defineTool({
  name: 'loki_query',
  title: 'Loki LogQL query, mined',
  description:
    'Runs a LogQL query on Loki and answers with findings. A log query ({app="api"} |= "timeout"): the exact total in the window, patterns of the lines read, bursts per bucket, a few sample lines, hints when empty or too wide. A metric query (sum by (level) (count_over_time({app="api"}[5m]))): a compact summary per series. The server adds the window (default last hour), line limit and step.',
  readme:
    'a LogQL query on Loki, through a guard Loki owns: window (default the last hour, at most 721 h, Loki\'s max_query_length), line limit (default 200, at most 1000) and step (at most 11,000 points) injected when missing, selectors that match every stream (`{}`, `{app=~".*"}`, `{job!="x"}`) and `#` comments refused before any request; a log query answers with the exact total (`sum(count_over_time(…))`), the patterns of the lines read, bursts over exact counts per bucket, a few sample lines and hints that say how to widen an empty answer or narrow a too-wide one; a metric query with the last, min, max and average of its 20 largest series. REST also accepts `loki.query`',
  toolset: 'loki',
  requires: [LOGQL_GUARD],
  leastRole: 'elk_viewer',
  input: z
    .object({
      query: z.string().min(1).max(MAX_LOGQL_CHARS).describe('LogQL: a log query {service_name="api"} |= "timeout", or a metric query sum by (level) (count_over_time({service_name="api"}[5m]))'),
      start: timeArg('Window start (default: end - 1h)').optional(),
      end: timeArg('Window end (default now)').optional(),
      limit: z.number().int().min(1).max(1000).optional().describe('Log queries: lines read, newest first, mined into patterns (default 200)'),
      step: z.string().min(2).max(20).optional().describe('Metric queries: resolution, such as 1m (default: the window over 250 points)'),
      sample_lines: z.number().int().min(0).max(50).default(5).describe('Raw lines included in the answer'),
      top_patterns: z.number().int().min(1).max(50).default(10),
      source: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).optional().describe('Named instance to read (LOKI_INSTANCES); default: the first configured'),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    kind: z.enum(['log', 'metric']),
    state: z.enum(['ok', 'empty', 'too_wide', 'truncated']),
    source: z.string(),
    query: z.object({
      logql: z.string().describe('The query as sent; the window, limit and step go as API parameters'),
      start: z.string(),
      end: z.string(),
      limit: z.number().optional(),
      step_seconds: z.number().optional(),
      injected: z.array(z.string()).describe('What the server added because the call left it out'),
    }),
    ...z.object(findingsShape({ labels: z.record(z.string(), z.string()).optional() })).partial().shape,
    total: z.number().optional().describe('Log queries: lines matching in the window (exact, sum(count_over_time))'),
    patterns_counted: z.enum(['exact', 'in_lines_read']).optional().describe('exact when the lines read are every match; otherwise counts are within the lines read'),
    series: z.array(seriesOut).optional().describe('Metric queries: the largest series by last value'),
    series_total: z.number().optional(),
    hints: z.array(z.string()).optional(),
    truncated: z.boolean(),
  }),
  cache: nativeQueryCache(LOGQL_GUARD),
  targets: (input) => [target(LOGQL_GUARD, logqlRequest(input), { source: input.source })],
  async handler(input, ctx) {
    const a = ctx.guarded.get(LOGQL_GUARD);
    if (!a) throw new TelemcpError('backend_unavailable', 'No Loki instance checked this query.', { hint: 'Set LOKI_URL.' });
    const source = sourceName(ctx, input.source);
    const window = { start: iso(a.start), end: iso(a.end) };
    if (a.kind === 'metric') {
      const { shown, total } = summarizeMatrix(await a.matrix(ctx.signal));
      const state: QueryState = total === 0 ? 'empty' : 'ok';
      const hints = hintsFor(state, a, 0);
      const top = shown[0];
      return {
        summary: total
          ? `${total} series between ${window.start} and ${window.end}${total > shown.length ? `; the ${shown.length} with the largest last value shown` : ''}. Largest: ${JSON.stringify(top!.labels)} last ${top!.last}, max ${top!.max}.`
          : `No series between ${window.start} and ${window.end}: see hints.`,
        kind: 'metric' as const,
        state,
        source,
        query: { logql: a.logql, ...window, step_seconds: a.stepMs / 1000, injected: a.injected },
        series: shown,
        series_total: total,
        ...(hints.length ? { hints } : {}),
        truncated: total > shown.length,
      };
    }
    const { summary, state, findings, hints, truncated } = await linesFindings(
      a,
      { topPatterns: input.top_patterns, sampleLines: input.sample_lines, noun: 'lines', lineExtra: ({ labels }) => (Object.keys(labels).length ? { labels } : {}), hints: (st, total) => hintsFor(st, a, total) },
      ctx.signal,
    );
    return {
      summary,
      kind: 'log' as const,
      state,
      source,
      query: { logql: a.logql, ...window, limit: a.limit, injected: a.injected },
      ...findings,
      ...(hints.length ? { hints } : {}),
      truncated,
    };
  },
});
