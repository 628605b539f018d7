import type { z } from 'zod';
import type { FoundLogRecord, LogFieldRoles, LogQuery, LogRoleField, LogSource } from '../../backends/capabilities.js';
import { describeWindow, resolveWindow } from '../../core/time.js';
import { sanitizeText } from '../../security/sanitize.js';
import { HIT_MESSAGE_CHARS, HIT_VALUE_CHARS, levelList, pageSummary, type searchHitOut } from '../log-search-common.js';
import { explainNoMatch } from './search-hint.js';

type SearchHit = z.infer<typeof searchHitOut> & { fields?: Record<string, unknown> };

/** The roles a hit shows, each under its role's name. */
const HIT_ROLES = ['service', 'level', 'message', 'trace_id'] as const;
type HitRole = (typeof HIT_ROLES)[number];
/** Names of the time, which every hit shows as `time`. */
const TIME_NAMES = ['time', 'timestamp'];

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
  /**
   * What each hit shows (default: every role): roles by their name or by the name of the field
   * playing them (`service.name`), and other fields by name, under the hit's `fields`.
   */
  fields?: string[];
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

/** One page of a log search on any LogSource: searchSource's answer. */
export async function searchSourcePage(
  source: LogSource,
  scope: string | undefined,
  input: SearchPageInput,
  opts: { tool: string; defaultStart: string },
  signal: AbortSignal,
): Promise<SearchPageAnswer> {
  return (await searchSource(source, scope, input, opts, signal)).answer;
}

/**
 * One page of a log search on any LogSource, in elk_search_logs's words: pages, totals,
 * cursors and the no-match hint all come through the LogSource interface, so the same logs
 * give the same answer on every backend. `tool` binds cursors to the tool that issued them.
 * `roles` is which field played which role, as the source said.
 */
export async function searchSource(
  source: LogSource,
  scope: string | undefined,
  input: SearchPageInput,
  opts: { tool: string; defaultStart: string },
  signal: AbortSignal,
): Promise<{ answer: SearchPageAnswer; roles: LogFieldRoles }> {
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
  // The window as written binds the cursor, and the fields shown; the source keeps the first page's resolved window.
  const boundTo = { tool: opts.tool, start: input.start_time, end: input.end_time, ...(input.fields ? { fields: input.fields } : {}) };
  // Role names need no field; any other name may be a role's field name, which only the source knows.
  const others = input.fields?.filter((name) => !TIME_NAMES.includes(name) && !(HIT_ROLES as readonly string[]).includes(name));
  const page = await source.search(
    query,
    { limit: input.limit, order: input.sort, ...(input.cursor ? { cursor: input.cursor } : {}), ...(others?.length ? { fields: others } : {}), boundTo },
    signal,
  );
  const roles = page.fields ?? {};
  const shown = input.fields ? selectFields(input.fields, roles) : undefined;
  const win = describeWindow({ ...page.window, now: window.now });
  const filters = describeFilters(input, levels);
  const hint = !input.cursor && page.total === 0 ? await explainNoMatch(source, { ...query, ...page.window }, page.scope, filters, win, signal) : undefined;
  const relation = page.totalExact ? ('eq' as const) : ('gte' as const);
  const hits = page.records.map((r) => toHit(r, shown));
  const answer: SearchPageAnswer = {
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
  return { answer, roles };
}

interface Shown {
  roles: Set<HitRole>;
  /** Names that are no role's field, shown under the hit's `fields`. */
  extra: string[];
}

const knownAs = (field: LogRoleField | undefined, name: string) => field !== undefined && (field.name === name || field.exact === name || (field.aliases ?? []).includes(name));

function selectFields(names: string[], roles: LogFieldRoles): Shown {
  const shown: Shown = { roles: new Set(), extra: [] };
  for (const name of names) {
    const role = HIT_ROLES.find((r) => r === name || knownAs(roles[r], name));
    if (role) shown.roles.add(role);
    else if (!TIME_NAMES.includes(name) && !knownAs(roles.timestamp, name) && !shown.extra.includes(name)) shown.extra.push(name);
  }
  return shown;
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
function toHit(r: FoundLogRecord, shown: Shown | undefined): SearchHit {
  const hit: SearchHit = { time: new Date(r.ts).toISOString(), index: r.index };
  const show = (role: HitRole) => !shown || shown.roles.has(role);
  const short = (value: string) => sanitizeText(value, HIT_VALUE_CHARS).text;
  if (r.service !== undefined && show('service')) hit.service = short(r.service);
  if (r.level !== undefined && show('level')) hit.level = short(r.level);
  if (r.message !== '' && show('message')) {
    const cut = sanitizeText(r.message, HIT_MESSAGE_CHARS);
    hit.message = cut.text;
    if (cut.truncated) hit.message_truncated = true;
  }
  if (r.traceId !== undefined && show('trace_id')) hit.trace_id = short(r.traceId);
  const extra = shown?.extra.filter((name) => r.fields?.[name] !== undefined) ?? [];
  if (extra.length) hit.fields = Object.fromEntries(extra.map((name) => [name, r.fields![name]]));
  return hit;
}
