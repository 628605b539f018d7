import type { z } from 'zod';
import type { FoundLogRecord, LogQuery, LogSource } from '../../backends/capabilities.js';
import { describeWindow, resolveWindow } from '../../core/time.js';
import { sanitizeText } from '../../security/sanitize.js';
import { HIT_MESSAGE_CHARS, HIT_VALUE_CHARS, levelList, pageSummary, type searchHitOut } from '../log-search-common.js';
import { explainNoMatch } from './search-hint.js';

type SearchHit = z.infer<typeof searchHitOut>;

/** The arguments elk_search_logs and logs_search share (logs_search's `scope` is elk's `index_pattern`). */
export interface SearchPageInput {
  start_time?: string;
  end_time?: string;
  service_name?: string;
  trace_id?: string;
  log_level?: string | string[];
  query?: string;
  limit: number;
  sort: 'desc' | 'asc';
  cursor?: string;
}

export interface SearchPageAnswer {
  summary: string;
  window: { start: string; end: string; server_now: string };
  total: number;
  total_relation: 'eq' | 'gte';
  hits: SearchHit[];
  truncated: boolean;
  next_cursor?: string;
  hint?: string;
  partial?: boolean;
  notes?: string[];
  /** The scope as the source resolved it. */
  scope: string;
}

/**
 * One page of a log search on any LogSource, in elk_search_logs's words: pages, totals,
 * cursors and the no-match hint all come through the LogSource interface, so the same logs
 * give the same answer on every backend. `tool` binds cursors to the tool that issued them.
 */
export async function searchSourcePage(
  source: LogSource,
  scope: string | undefined,
  input: SearchPageInput,
  opts: { tool: string; defaultStart: string },
  signal: AbortSignal,
): Promise<SearchPageAnswer> {
  const levels = levelList(input.log_level);
  const window = resolveWindow(input.start_time, input.end_time, { defaultStart: opts.defaultStart, maxDays: 31 });
  const query: LogQuery = {
    from: window.from,
    to: window.to,
    ...(scope ? { scope } : {}),
    ...(input.service_name ? { services: [input.service_name] } : {}),
    ...(levels ? { levels } : {}),
    ...(input.trace_id ? { traceIds: [input.trace_id] } : {}),
    ...(input.query ? { text: input.query } : {}),
  };
  // The window as written binds the cursor; the source keeps the first page's resolved window.
  const boundTo = { tool: opts.tool, start: input.start_time, end: input.end_time };
  const page = await source.search(query, { limit: input.limit, order: input.sort, ...(input.cursor ? { cursor: input.cursor } : {}), boundTo }, signal);
  const win = describeWindow({ ...page.window, now: window.now });
  const filters = describeFilters(input, levels);
  const hint = !input.cursor && page.total === 0 ? await explainNoMatch(source, { ...query, ...page.window }, page.scope, filters, win, signal) : undefined;
  const relation = page.totalExact ? ('eq' as const) : ('gte' as const);
  const hits = page.records.map(toHit);
  return {
    summary: pageSummary({ shown: hits.length, offset: page.offset, total: page.total, relation, scope: page.scope, filters, window: win, more: page.next !== undefined }),
    window: win,
    total: page.total,
    total_relation: relation,
    hits,
    truncated: page.next !== undefined,
    ...(page.next ? { next_cursor: page.next } : {}),
    ...(hint ? { hint } : {}),
    ...(page.partial ? { partial: true } : {}),
    ...(page.notes.length ? { notes: page.notes } : {}),
    scope: page.scope,
  };
}

/** The filters in the caller's own argument names: they are what the caller can change. */
function describeFilters(input: SearchPageInput, levels: string[] | undefined): string {
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
