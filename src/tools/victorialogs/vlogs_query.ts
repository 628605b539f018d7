import { z } from 'zod';
import { jsonFilterSchema } from '../../backends/victorialogs/json-filter.js';
import { LOGSQL_GUARD, MAX_LOGSQL_CHARS, type ApprovedLogsql, type LogsqlRequest } from '../../backends/victorialogs/logsql-guard.js';
import { TelemcpError } from '../../core/errors.js';
import { parseTime } from '../../core/time.js';
import { findingsShape, iso, linesFindings, type QueryState } from '../native-query-findings.js';
import { defineTool, target, type ToolContext } from '../tool.js';
import { nativeQueryCache } from '../cache-windows.js';

const timeArg = (what: string) => z.string().min(1).max(40).describe(`${what}: now-1h, 2026-12-07T14:00:00Z, or epoch seconds/ms`);

type QueryInput = { query?: string; filter?: unknown; start?: string; end?: string; limit?: number };

/** The call as the guard checks it: times resolved once to unix ms; what is missing stays missing, for the guard to inject. */
export function logsqlRequest(input: QueryInput, now = new Date()): LogsqlRequest {
  return {
    ...(input.query !== undefined ? { query: input.query } : {}),
    ...(input.filter !== undefined ? { filter: input.filter as LogsqlRequest['filter'] } : {}),
    ...(input.start !== undefined ? { start: parseTime(input.start, now, false, 'start').getTime() } : {}),
    ...(input.end !== undefined ? { end: parseTime(input.end, now, true, 'end').getTime() } : {}),
    ...(input.limit !== undefined ? { limit: input.limit } : {}),
  };
}

function sourceName(ctx: Pick<ToolContext, 'backends'>, source: string | undefined): string {
  return source ?? ctx.backends.all(LOGSQL_GUARD).keys().next().value ?? 'victorialogs';
}

function hintsFor(state: QueryState, a: ApprovedLogsql, total: number, form: 'query' | 'filter'): string[] {
  const minutes = Math.round((a.end - a.start) / 60_000);
  if (state === 'empty') {
    return [
      `Nothing matched between ${iso(a.start)} and ${iso(a.end)} (${minutes} min). Widen the window (start now-24h)${a.injected.includes('window') ? '; the server used the last hour because start was missing' : ''}.`,
      form === 'filter'
        ? 'Loosen the filter: drop a condition, use _contains or _starts_with instead of an exact value, _in for several spellings ("error", "ERROR"); _search is word-aligned. Field names are case-sensitive: list them with the discovery tools.'
        : 'Loosen the filter: drop a condition, use a prefix word* or "field":*substring* instead of an exact value, i("…") for any case. Field names are case-sensitive.',
    ];
  }
  if (state === 'too_wide') {
    return [
      `${total} records match, ${Math.round(total / a.limit)}× the ${a.limit} lines read: the patterns cover only the newest lines. Narrow it: add a service or level condition (${form === 'filter' ? '{"service.name": "api", "log.level": {"_in": ["error", "warn"]}}' : '"service.name":="api" "log.level":in("error","warn")'}), words of the message, or a shorter window (start now-15m). The bursts and total cover the whole window.`,
    ];
  }
  if (state === 'truncated') return [`${total} records match; the patterns are mined from the newest ${a.limit}. Raise limit (at most 1000) or narrow the window to cover them all.`];
  return [];
}

export const vlogsQuery = defineTool({
  name: 'vlogs_query',
  title: 'VictoriaLogs LogsQL query, mined',
  description:
    'Runs a LogsQL filter (query) or the JSON filter form (filter, every value quoted) on VictoriaLogs and answers with findings: the exact total in the window, patterns of the lines read, bursts per bucket, a few sample lines, and hints when empty or too wide. Filters only: the server adds the window (default last hour), limit and pipes.',
  readme:
    'a LogsQL filter (`query`, no pipes: refused with `|`, `#` or `options(…)`) or seed 002\'s JSON filter form (`filter`: `_eq`, `_neq`, `_contains`, `_starts_with`, `_ends_with`, `_regex`, `_gt`/`_gte`/`_lt`/`_lte`, `_in`/`_nin`, `_and`/`_or`/`_not`, `_exists`/`_missing`, `_search`, compiled with every value quoted) on VictoriaLogs, through a guard VictoriaLogs owns: window (default the last hour, at most 31 days) and line limit (default 200, at most 1000) injected when missing, filters that match everything refused; answers with the exact total (`stats count()`), the patterns of the lines read, bursts over exact counts per bucket, a few sample lines, and hints that say how to widen an empty answer or narrow a too-wide one',
  toolset: 'victorialogs',
  requires: [LOGSQL_GUARD],
  leastRole: 'elk_viewer',
  input: z
    .object({
      query: z.string().min(1).max(MAX_LOGSQL_CHARS).optional().describe('A LogsQL filter, e.g. "service.name":="api" error; no pipes (the server adds them)'),
      filter: jsonFilterSchema.optional(),
      start: timeArg('Window start (default: end - 1h)').optional(),
      end: timeArg('Window end (default now)').optional(),
      limit: z.number().int().min(1).max(1000).optional().describe('Lines read, newest first, mined into patterns (default 200)'),
      sample_lines: z.number().int().min(0).max(50).default(5).describe('Raw lines included in the answer'),
      top_patterns: z.number().int().min(1).max(50).default(10),
      source: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).optional().describe('Named instance to read (VICTORIALOGS_INSTANCES); default: the first configured'),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    state: z.enum(['ok', 'empty', 'too_wide', 'truncated']),
    source: z.string(),
    query: z.object({
      logsql: z.string().describe('The query of the lines read, as sent: the filter and the server\'s pipes'),
      start: z.string(),
      end: z.string(),
      limit: z.number(),
      injected: z.array(z.string()).describe('What the server added because the call left it out'),
    }),
    ...findingsShape({ fields: z.record(z.string(), z.string()).optional() }),
    total: z.number().describe('Records matching in the window (exact, stats count())'),
    patterns_counted: z.enum(['exact', 'in_lines_read']).describe('exact when the lines read are every match; otherwise counts are within the lines read'),
    hints: z.array(z.string()).optional(),
    truncated: z.boolean(),
  }),
  targets: (input) => [target(LOGSQL_GUARD, logsqlRequest(input), { source: input.source })],
  cache: nativeQueryCache(LOGSQL_GUARD),
  async handler(input, ctx) {
    const a = ctx.guarded.get(LOGSQL_GUARD);
    if (!a) throw new TelemcpError('backend_unavailable', 'No VictoriaLogs instance checked this query.', { hint: 'Set VICTORIALOGS_URL.' });
    const { summary, state, findings, hints, truncated } = await linesFindings(
      a,
      { topPatterns: input.top_patterns, sampleLines: input.sample_lines, noun: 'records', lineExtra: ({ fields }) => (Object.keys(fields).length ? { fields } : {}), hints: (st, total) => hintsFor(st, a, total, input.filter !== undefined ? 'filter' : 'query') },
      ctx.signal,
    );
    return {
      summary,
      state,
      source: sourceName(ctx, input.source),
      query: { logsql: a.logsql, start: iso(a.start), end: iso(a.end), limit: a.limit, injected: a.injected },
      ...findings,
      ...(hints.length ? { hints } : {}),
      truncated,
    };
  },
});
