import { z } from 'zod';
import type { FoundLogRecord } from '../../backends/capabilities.js';
import { sanitizeText } from '../../security/sanitize.js';
import { HIT_MESSAGE_CHARS, HIT_VALUE_CHARS, levelList, logFilterInput, logPageInput, pageSummary, searchHitOut } from '../log-search-common.js';
import { defineTool } from '../tool.js';
import { describeSource, describeWindow, logScopeInput, scopedRequest, sourceOut, windowOut } from './common.js';
import { explainNoMatch } from './search-hint.js';

const NAME = 'logs_search';

type SearchHit = z.infer<typeof searchHitOut>;

/**
 * elk_search_logs on any log source: the same arguments (`source` and `scope` for
 * `index_pattern`) and the same answer, plus which source answered. Pages, totals, cursors and
 * the no-match hint all come through the LogSource interface, so the same logs give the same
 * answer on every backend.
 */
export const logsSearch = defineTool({
  name: NAME,
  title: 'Search logs on any source',
  description:
    'elk_search_logs on any log source: log lines in a window by service, level, trace id and message words; newest first, compact. Paginate with next_cursor; an empty result says which filter to relax.',
  toolset: 'logs',
  leastRole: 'elk_viewer',
  input: z
    .object({
      ...logScopeInput,
      ...logFilterInput,
      ...logPageInput,
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    source: sourceOut,
    window: windowOut,
    total: z.number(),
    total_relation: z.enum(['eq', 'gte']),
    hits: z.array(searchHitOut),
    truncated: z.boolean(),
    next_cursor: z.string().optional(),
    hint: z.string().optional(),
    partial: z.boolean().optional(),
    notes: z.array(z.string()).optional(),
  }),
  async handler(input, ctx) {
    const levels = levelList(input.log_level);
    const { source, window, query } = scopedRequest(ctx, input, {
      ...(levels ? { levels } : {}),
      ...(input.trace_id ? { traceIds: [input.trace_id] } : {}),
      ...(input.query ? { text: input.query } : {}),
    });
    // The window as written binds the cursor; the source keeps the first page's resolved window.
    const boundTo = { tool: NAME, start: input.start_time, end: input.end_time };
    const page = await source.search(query, { limit: input.limit, order: input.sort, ...(input.cursor ? { cursor: input.cursor } : {}), boundTo }, ctx.signal);
    const win = describeWindow({ ...page.window, now: window.now });
    const filters = describeFilters(input, levels);
    const hint = !input.cursor && page.total === 0 ? await explainNoMatch(source, { ...query, ...page.window }, page.scope, filters, win, ctx.signal) : undefined;
    const relation = page.totalExact ? ('eq' as const) : ('gte' as const);
    const hits = page.records.map(toHit);
    return {
      summary: pageSummary({ shown: hits.length, offset: page.offset, total: page.total, relation, scope: page.scope, filters, window: win, more: page.next !== undefined }),
      source: describeSource(ctx, source, page.scope),
      window: win,
      total: page.total,
      total_relation: relation,
      hits,
      truncated: page.next !== undefined,
      ...(page.next ? { next_cursor: page.next } : {}),
      ...(hint ? { hint } : {}),
      ...(page.partial ? { partial: true } : {}),
      ...(page.notes.length ? { notes: page.notes } : {}),
    };
  },
});

/** The filters in the caller's own argument names: they are what the caller can change. */
function describeFilters(input: { service_name?: string; trace_id?: string; query?: string }, levels: string[] | undefined): string {
  const parts: string[] = [];
  if (input.service_name !== undefined) parts.push(`service_name=${JSON.stringify(input.service_name)}`);
  if (input.trace_id !== undefined) parts.push(`trace_id=${JSON.stringify(input.trace_id)}`);
  if (levels !== undefined) parts.push(`log_level in [${levels.join(', ')}]`);
  if (input.query !== undefined) parts.push(`message matches ${JSON.stringify(input.query)}`);
  return parts.join(' and ');
}

/** Records come bounded from their source; hits are bounded again to elk_search_logs's sizes. */
function toHit(r: FoundLogRecord): SearchHit {
  const hit: SearchHit = { time: new Date(r.ts).toISOString(), index: r.index };
  const short = (value: string) => sanitizeText(value, HIT_VALUE_CHARS).text;
  if (r.service !== undefined) hit.service = short(r.service);
  if (r.level !== undefined) hit.level = short(r.level);
  if (r.message !== '') {
    const cut = sanitizeText(r.message, HIT_MESSAGE_CHARS);
    hit.message = cut.text;
    if (cut.truncated) hit.message_truncated = true;
  }
  if (r.traceId !== undefined) hit.trace_id = short(r.traceId);
  return hit;
}
