import { z } from 'zod';
import type { LogSource } from '../../backends/capabilities.js';
import { TelemcpError } from '../../core/errors.js';
import { describeWindow, resolveWindow, type TimeWindow } from '../../core/time.js';
import { SearchEngine } from '../../backends/elasticsearch/search-engine.js';
import { cursorCodec, fingerprint } from '../../backends/elasticsearch/cursor.js';
import { pageWindow, readPageCursor, searchLogPage, type Hit } from '../../backends/elasticsearch/log-search.js';
import {
  checkMessageQuery,
  detectLogFields,
  levelFilter,
  messageFilter,
  readSource,
  scalarText,
  timeRangeFilter,
  valuesFilter,
  type LogFields,
} from '../../backends/elasticsearch/log-fields.js';
import { sanitizeText } from '../../security/sanitize.js';
import { defineTool, type ToolContext } from '../tool.js';
import {
  HIT_MESSAGE_CHARS,
  HIT_VALUE_CHARS,
  NO_CONTROL,
  levelList,
  logFilterInput,
  logPageInput,
  noMatchHint,
  pageSummary,
  searchHitOut,
  searchPageOut,
  type SearchFilter,
} from '../log-search-common.js';
import { STORE_LOG_FIELDS, logToolTargets, searchEngine, storeLogSource } from './common.js';
import { searchSourcePage } from '../logs/search-page.js';

const NAME = 'elk_search_logs';
const fieldName = z.string().regex(/^[A-Za-z0-9@_][A-Za-z0-9@_.-]{0,127}$/, 'a field name such as host.name');

const hitOut = searchHitOut.extend({ fields: z.record(z.string(), z.unknown()).optional() });
type HitOut = z.infer<typeof hitOut>;

const ROLE_KEYS = ['service', 'level', 'message', 'trace_id'] as const;
type RoleKey = (typeof ROLE_KEYS)[number];

const searchInput = z
  .object({
    index_pattern: z.string().min(1).max(512).optional().describe('Default: LOG_INDEX_PATTERN (logs-*); embedded store: datasets, default *'),
    start_time: z.string().min(1).max(64).optional().describe('now-1h, ISO 8601 or epoch ms. Default now-15m'),
    end_time: z.string().min(1).max(64).optional().describe('Default now; window ≤ 31 days'),
    service_name: z.string().min(1).max(256).regex(NO_CONTROL).optional(),
    ...logFilterInput,
    fields: z.array(fieldName).min(1).max(20).optional().describe('Fields per hit; default service, level, message, trace_id'),
    ...logPageInput,
  })
  .strict();
type SearchInput = z.output<typeof searchInput>;

export const elkSearchLogs = defineTool({
  name: NAME,
  title: 'Search logs',
  description:
    'Log lines in a time window, filtered by service, level and message words; newest first, compact (time, service, level, message, trace_id). ECS or flat field names are detected. Paginate with next_cursor; an empty result says which filter to relax.',
  toolset: 'elk',
  leastRole: 'elk_viewer',
  input: searchInput,
  output: searchPageOut(hitOut).extend({ fields_used: z.record(z.string(), z.string()) }),
  targets: (input, config) => logToolTargets(input.index_pattern, config),
  async handler(input, ctx) {
    const store = storeLogSource(ctx);
    if (store) return searchStore(store, input, ctx.signal);
    const es = searchEngine(ctx);
    const indices = ctx.guarded.indices ?? '';
    const levels = levelList(input.log_level);
    const query = input.query === undefined ? undefined : checkMessageQuery(input.query);
    const filters = { service: input.service_name, trace: input.trace_id, levels, query };
    const fp = fingerprint({ indices, start: input.start_time, end: input.end_time, ...filters, sort: input.sort, fields: input.fields });
    const signer = { codec: cursorCodec(ctx.config.CURSOR_SECRET), tool: NAME, fingerprint: fp };
    const state = input.cursor ? readPageCursor(signer, input.cursor) : undefined;
    const window: TimeWindow = state ? pageWindow(state) : resolveWindow(input.start_time, input.end_time, { defaultStart: 'now-15m', maxDays: 31 });

    const fields = await detectLogFields(es, indices, ctx.config.LOG_FIELDS, ctx.signal);
    const fieldsUsed = describeFields(fields);
    const notes = [...fields.notes];
    const empty = (hint: string) => ({
      summary: `No logs: ${hint}`,
      window: describeWindow(window),
      total: 0,
      total_relation: 'eq' as const,
      hits: [],
      truncated: false,
      hint,
      fields_used: fieldsUsed,
      ...(notes.length ? { notes } : {}),
    });
    if (fields.indexCount === 0) return empty(`index_pattern ${indices} matches no open index; list indices with elk_indices_summary.`);
    const ts = fields.timestamp;
    if (!ts) {
      throw new TelemcpError('invalid_input', `No date field (@timestamp, timestamp, …) in ${indices}.`, { hint: 'Name the time field with LOG_FIELDS=timestamp=<field>, or choose another index_pattern.' });
    }
    const clauses = filterClauses(fields, filters);
    const range = timeRangeFilter(ts.name, window.from, window.to);
    const wanted = selectFields(input.fields, fields);
    const page = await searchLogPage(
      es,
      {
        indices,
        timestamp: ts,
        query: { bool: { filter: [range, ...Object.values(clauses)] } },
        sourceFields: wanted.source,
        order: input.sort,
        limit: input.limit,
        timeout: `${Math.max(1, Math.floor(ctx.config.BACKEND_TIMEOUT_MS / 1000) - 1)}s`,
        window,
        state,
        signer,
      },
      ctx.signal,
      ctx.log,
    );
    notes.push(...page.notes);
    const { total, relation, offset, partial } = page;
    const nextCursor = page.next;
    const hits = page.hits.map((h) => compactHit(h, fields, wanted));
    const filtersText = describeFilters(fields, filters);
    const win = describeWindow(window);
    let hint: string | undefined;
    if (!state && total === 0) hint = await explainEmpty(es, indices, fields, range, clauses, filters, win, ctx);
    return {
      summary: pageSummary({ shown: hits.length, offset, total, relation, scope: indices, filters: filtersText, window: win, more: nextCursor !== undefined }),
      window: win,
      total,
      total_relation: relation,
      hits,
      truncated: nextCursor !== undefined,
      ...(nextCursor ? { next_cursor: nextCursor } : {}),
      ...(hint ? { hint } : {}),
      fields_used: fieldsUsed,
      ...(partial ? { partial } : {}),
      ...(notes.length ? { notes } : {}),
    };
  },
});

const STORE_ALIASES: Record<string, RoleKey> = { 'service.name': 'service', service_name: 'service', 'log.level': 'level', log_level: 'level', 'trace.id': 'trace_id', traceId: 'trace_id' };

/**
 * elk_search_logs on the embedded store (no cluster configured): the same page, totals,
 * cursors and hint as logs_search, with index_pattern as the dataset pattern. A record there
 * has fixed fields, so `fields` selects among them; other names are reported, not guessed at.
 */
async function searchStore(source: LogSource, input: SearchInput, signal: AbortSignal) {
  const { scope: _scope, ...page } = await searchSourcePage(source, input.index_pattern, input, { tool: NAME, defaultStart: 'now-15m' }, signal);
  const notes = [...(page.notes ?? [])];
  if (input.fields) {
    const roles = new Set<RoleKey>();
    const unknown: string[] = [];
    for (const name of input.fields) {
      const role = (ROLE_KEYS as readonly string[]).includes(name) ? (name as RoleKey) : STORE_ALIASES[name];
      if (role) roles.add(role);
      else if (name !== 'time' && name !== 'timestamp' && name !== '@timestamp') unknown.push(name);
    }
    if (unknown.length) notes.push(`The embedded store keeps service, level, message and trace_id for each log; no field ${unknown.join(', ')}.`);
    for (const hit of page.hits) {
      for (const role of ROLE_KEYS) if (!roles.has(role)) delete hit[role];
      if (!roles.has('message')) delete hit.message_truncated;
    }
  }
  return { ...page, fields_used: { ...STORE_LOG_FIELDS }, ...(notes.length ? { notes } : {}) };
}

interface Filters {
  service?: string;
  trace?: string;
  levels?: string[];
  query?: string;
}
type Clauses = Partial<Record<SearchFilter, Record<string, unknown>>>;

function filterClauses(fields: LogFields, { service, trace, levels, query }: Filters): Clauses {
  const out: Clauses = {};
  if (service !== undefined) {
    if (!fields.service) throw new TelemcpError('invalid_input', 'No service field (service.name, service_name, …) in this index pattern.', { hint: 'Drop service_name, or name the field with LOG_FIELDS=service=<field>.' });
    out.service = valuesFilter(fields.service, [service]);
  }
  if (trace !== undefined) {
    if (!fields.trace_id) throw new TelemcpError('invalid_input', 'No trace id field (trace.id, trace_id, …) in this index pattern.', { hint: 'Drop trace_id, or name the field with LOG_FIELDS=trace_id=<field>.' });
    out.trace = valuesFilter(fields.trace_id, [trace]);
  }
  if (levels !== undefined) {
    if (!fields.level) throw new TelemcpError('invalid_input', 'No level field (log.level, log_level, level, …) in this index pattern.', { hint: 'Drop log_level, or name the field with LOG_FIELDS=level=<field>.' });
    out.level = levelFilter(fields.level, levels);
  }
  if (query !== undefined) out.query = messageFilter(fields, query);
  return out;
}

interface Wanted {
  roles: Set<RoleKey>;
  extra: string[];
  source: string[];
}

/** Maps requested names onto the compact keys (service, level, …, or their real field names); the rest are extra fields. */
function selectFields(requested: string[] | undefined, fields: LogFields): Wanted {
  const roles = new Set<RoleKey>(requested ? [] : ROLE_KEYS);
  const extra: string[] = [];
  for (const name of requested ?? []) {
    const role = ROLE_KEYS.find((r) => r === name || fields[r]?.name === name || fields[r]?.keyword === name);
    if (role) roles.add(role);
    else if (!['time', 'timestamp', fields.timestamp?.name].includes(name) && !extra.includes(name)) extra.push(name);
  }
  const source = [...[...roles].map((r) => fields[r]?.name).filter((n): n is string => Boolean(n)), ...extra];
  if (fields.timestamp) source.push(fields.timestamp.name);
  return { roles, extra, source };
}

function short(value: unknown, max = HIT_VALUE_CHARS): string | undefined {
  const text = scalarText(value);
  return text === undefined ? undefined : sanitizeText(text, max).text;
}

/** Extra field values: strings capped, arrays and objects bounded, so one odd document cannot flood the result. */
function compactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return sanitizeText(value, HIT_MESSAGE_CHARS).text;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 3) return sanitizeText(JSON.stringify(value), HIT_VALUE_CHARS).text;
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => compactValue(v, depth + 1));
  return Object.fromEntries(Object.entries(value).slice(0, 30).map(([k, v]) => [k, compactValue(v, depth + 1)]));
}

function compactHit(h: Hit, fields: LogFields, wanted: Wanted): HitOut {
  const src = h._source;
  const t = Number(h.sort?.[0]);
  const out: HitOut = { time: Number.isFinite(t) ? new Date(t).toISOString() : (short(readSource(src, fields.timestamp?.name ?? '@timestamp')) ?? ''), index: h._index };
  for (const role of ROLE_KEYS) {
    const field = fields[role];
    if (!wanted.roles.has(role) || !field) continue;
    const value = readSource(src, field.name);
    if (role === 'message') {
      const text = scalarText(value);
      if (text === undefined) continue;
      const cut = sanitizeText(text, HIT_MESSAGE_CHARS);
      out.message = cut.text;
      if (cut.truncated) out.message_truncated = true;
    } else {
      const text = short(value);
      if (text !== undefined) out[role] = text;
    }
  }
  if (wanted.extra.length) {
    const extra: Record<string, unknown> = {};
    for (const name of wanted.extra) {
      const value = readSource(src, name);
      if (value !== undefined) extra[name] = compactValue(value);
    }
    if (Object.keys(extra).length) out.fields = extra;
  }
  return out;
}

function describeFields(fields: LogFields): Record<string, string> {
  const out: Record<string, string> = {};
  if (fields.timestamp) out.timestamp = fields.timestamp.name;
  for (const role of ROLE_KEYS) {
    const f = fields[role];
    if (f) out[role] = f.keyword && f.keyword !== f.name ? `${f.name} (${f.keyword})` : f.name;
  }
  return out;
}

function describeFilters(fields: LogFields, { service, trace, levels, query }: Filters): string {
  const parts: string[] = [];
  if (service !== undefined) parts.push(`${fields.service?.name ?? 'service'}=${JSON.stringify(service)}`);
  if (trace !== undefined) parts.push(`${fields.trace_id?.name ?? 'trace_id'}=${JSON.stringify(trace)}`);
  if (levels !== undefined) parts.push(`${fields.level?.name ?? 'level'} in [${levels.join(', ')}]`);
  if (query !== undefined) parts.push(`${fields.message?.name ?? 'message'} matches ${JSON.stringify(query)}`);
  return parts.join(' and ');
}

interface HintAggs {
  newest?: { value?: number | null; value_as_string?: string };
  window?: {
    doc_count: number;
    relaxed?: { buckets: Record<string, { doc_count: number }> };
    services?: { buckets: { key: string }[] };
    levels?: { buckets: { key: string }[] };
  };
}

/**
 * Why nothing matched, in one extra request: how many logs each filter alone removes
 * (counts with that one filter dropped), what the window holds at all, the newest log in the
 * pattern when the window is empty, and the services/levels that do exist.
 */
async function explainEmpty(
  es: SearchEngine,
  indices: string,
  fields: LogFields,
  range: Record<string, unknown>,
  clauses: Clauses,
  args: Filters,
  win: { start: string; end: string },
  ctx: ToolContext,
): Promise<string> {
  const ts = fields.timestamp!.name;
  const names = Object.keys(clauses) as (keyof Clauses)[];
  const relaxed = Object.fromEntries(names.map((k) => [k, { bool: { filter: names.filter((o) => o !== k).map((o) => clauses[o]) } }]));
  const windowAggs: Record<string, unknown> = {};
  if (names.length) windowAggs.relaxed = { filters: { filters: relaxed } };
  if (clauses.service && fields.service?.keyword) windowAggs.services = { terms: { field: fields.service.keyword, size: 8 } };
  if (clauses.level && fields.level?.keyword) windowAggs.levels = { terms: { field: fields.level.keyword, size: 8 } };
  const res = await es.post<{ aggregations?: HintAggs }>(
    `/${SearchEngine.encodeIndices(indices)}/_search`,
    { size: 0, track_total_hits: false, query: { match_all: {} }, aggs: { newest: { max: { field: ts } }, window: { filter: range, aggs: windowAggs } } },
    ctx.signal,
    { expand_wildcards: 'open', ignore_unavailable: true, allow_partial_search_results: true },
  );
  const aggs = res.aggregations ?? {};
  const newest = aggs.newest?.value;
  return noMatchHint({
    scope: indices,
    filters: describeFilters(fields, args),
    window: win,
    inWindow: aggs.window?.doc_count ?? 0,
    ...(typeof newest === 'number' ? { newest } : {}),
    relaxed: names.map((k) => ({ filter: k, count: aggs.window?.relaxed?.buckets[k]?.doc_count ?? 0 })),
    services: aggs.window?.services?.buckets.map((b) => b.key) ?? [],
    levels: aggs.window?.levels?.buckets.map((b) => b.key) ?? [],
  });
}
