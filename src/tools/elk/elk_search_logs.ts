import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { describeWindow, resolveWindow, type TimeWindow } from '../../core/time.js';
import { SearchEngine } from '../../backends/elasticsearch/search-engine.js';
import { cursorCodec, fingerprint } from '../../backends/elasticsearch/cursor.js';
import {
  checkMessageQuery,
  detectLogFields,
  levelFilter,
  messageFilter,
  readSource,
  scalarText,
  timeRangeFilter,
  timeSort,
  valuesFilter,
  type LogFields,
} from '../../backends/elasticsearch/log-fields.js';
import { sanitizeText } from '../../security/sanitize.js';
import { defineTool, type ToolContext } from '../tool.js';
import { num, searchEngine } from './common.js';

const NAME = 'elk_search_logs';
const MESSAGE_CHARS = 500;
const VALUE_CHARS = 200;
const PIT_KEEP_ALIVE = '1m';
/** Documents sharing the last timestamp of a page that a cursor remembers (see below). */
const MAX_SEEN = 300;
const MAX_CURSOR_CHARS = 32_768;

const NO_CONTROL = /^[^\u0000-\u001f\u007f]+$/;
const levelName = z.string().regex(/^[A-Za-z]{1,20}$/, 'a level name such as error, warn or info');
const fieldName = z.string().regex(/^[A-Za-z0-9@_][A-Za-z0-9@_.-]{0,127}$/, 'a field name such as host.name');

type Hit = { _index: string; _id: string; _source?: unknown; sort?: unknown[] };
interface SearchResponse {
  pit_id?: string;
  timed_out?: boolean;
  _shards?: { failed?: number; failures?: { reason?: { type?: string } }[] };
  hits?: { total?: number | { value: number; relation: string }; hits?: Hit[] };
}

/**
 * Cursor state. Pages after the first continue either inside a point in time (`p`: its id and
 * the last sort values [time, _shard_doc]) or, without one, from the boundary `b`: the last
 * page's time and the (index, id) of the documents already returned at exactly that time. The
 * next page then asks for time ≤ t (desc) minus those documents, which returns every document
 * once without sorting on _id (that needs fielddata, off by default since Elasticsearch 8).
 * The boundary also lets a walk continue on live data when its point in time expired.
 */
interface CursorState {
  w: [number, number, number];
  n: number;
  r: 'eq' | 'gte';
  o: number;
  tf: string;
  b: { t: number; s: [string, string][] } | null;
  p?: { id: string; a: unknown[] };
}

const hitOut = z.object({
  time: z.string(),
  index: z.string(),
  service: z.string().optional(),
  level: z.string().optional(),
  message: z.string().optional(),
  message_truncated: z.boolean().optional(),
  trace_id: z.string().optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
});
type HitOut = z.infer<typeof hitOut>;

const ROLE_KEYS = ['service', 'level', 'message', 'trace_id'] as const;
type RoleKey = (typeof ROLE_KEYS)[number];

export const elkSearchLogs = defineTool({
  name: NAME,
  title: 'Search logs',
  description:
    'Log lines in a time window, filtered by service, level and message words; newest first, compact (time, service, level, message, trace_id). ECS or flat field names are detected. Paginate with next_cursor; an empty result says which filter to relax.',
  toolset: 'elk',
  leastRole: 'elk_viewer',
  input: z
    .object({
      index_pattern: z.string().min(1).max(512).optional().describe('Default: LOG_INDEX_PATTERN (logs-*)'),
      start_time: z.string().min(1).max(64).optional().describe('now-1h, ISO 8601 or epoch ms. Default now-15m'),
      end_time: z.string().min(1).max(64).optional().describe('Default now; window ≤ 31 days'),
      service_name: z.string().min(1).max(256).regex(NO_CONTROL).optional(),
      trace_id: z.string().min(1).max(128).regex(NO_CONTROL).optional().describe('Follow one request across services'),
      log_level: z.union([levelName, z.array(levelName).min(1).max(10)]).optional().describe('e.g. error or [error, warn]; any case'),
      query: z.string().min(1).max(512).regex(NO_CONTROL).optional().describe('Message words, all required; "phrase", -not, a|b, prefix*'),
      fields: z.array(fieldName).min(1).max(20).optional().describe('Fields per hit; default service, level, message, trace_id'),
      limit: z.number().int().min(1).max(100).default(20),
      sort: z.enum(['desc', 'asc']).default('desc'),
      cursor: z.string().min(1).max(MAX_CURSOR_CHARS).optional().describe('next_cursor of the previous call, same arguments'),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    window: z.object({ start: z.string(), end: z.string(), server_now: z.string() }),
    total: z.number(),
    total_relation: z.enum(['eq', 'gte']),
    hits: z.array(hitOut),
    truncated: z.boolean(),
    next_cursor: z.string().optional(),
    hint: z.string().optional(),
    fields_used: z.record(z.string(), z.string()),
    partial: z.boolean().optional(),
    notes: z.array(z.string()).optional(),
  }),
  targets: (input, config) => ({ indices: input.index_pattern ?? config.LOG_INDEX_PATTERN }),
  async handler(input, ctx) {
    const es = searchEngine(ctx);
    const indices = ctx.guarded.indices ?? '';
    const levels = input.log_level === undefined ? undefined : [...new Set([input.log_level].flat().map((l) => l.toLowerCase()))].sort();
    const query = input.query === undefined ? undefined : checkMessageQuery(input.query);
    const filters = { service: input.service_name, trace: input.trace_id, levels, query };
    const fp = fingerprint({ indices, start: input.start_time, end: input.end_time, ...filters, sort: input.sort, fields: input.fields });
    const codec = cursorCodec(ctx.config.CURSOR_SECRET);
    const state = input.cursor ? readState(codec.decode(input.cursor, NAME, fp)) : undefined;
    const window: TimeWindow = state
      ? { from: new Date(state.w[0]), to: new Date(state.w[1]), now: new Date(state.w[2]) }
      : resolveWindow(input.start_time, input.end_time, { defaultStart: 'now-15m', maxDays: 31 });

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
    if (state && state.tf !== ts.name) throw new TelemcpError('invalid_input', 'The index mapping changed since this cursor was issued.', { hint: 'Repeat the call without cursor.' });

    const clauses = filterClauses(fields, filters);
    const range = timeRangeFilter(ts.name, window.from, window.to);
    const wanted = selectFields(input.fields, fields);
    const common = {
      _source: { includes: wanted.source },
      timeout: `${Math.max(1, Math.floor(ctx.config.BACKEND_TIMEOUT_MS / 1000) - 1)}s`,
    };
    const baseQuery = { bool: { filter: [range, ...Object.values(clauses)] } };
    const pitSort = [timeSort(ts, input.sort), { _shard_doc: { order: input.sort } }];
    const size = input.limit + 1;

    const liveSearch = (extra: Record<string, unknown>) =>
      es.post<SearchResponse>(`/${SearchEngine.encodeIndices(indices)}/_search`, { ...common, size, sort: [timeSort(ts, input.sort)], ...extra }, ctx.signal, {
        expand_wildcards: 'open',
        ignore_unavailable: true,
        allow_partial_search_results: true,
      });
    const pitSearch = (id: string, searchAfter?: unknown[]) =>
      es.searchPointInTime<SearchResponse>(
        { ...common, size, pit: { id, keep_alive: PIT_KEEP_ALIVE }, query: baseQuery, sort: pitSort, track_total_hits: false, ...(searchAfter ? { search_after: searchAfter } : {}) },
        ctx.signal,
      );
    const fromBoundary = () => liveSearch({ query: boundaryQuery(baseQuery, ts.name, input.sort, state?.b ?? null), track_total_hits: false });

    let res: SearchResponse;
    let total: number;
    let relation: 'eq' | 'gte';
    let pitId: string | undefined;
    if (!state) {
      res = await liveSearch({ query: baseQuery });
      ({ total, relation } = totalOf(res));
      // A point in time only when there is a second page: most searches fit one, and every
      // open point in time holds resources until it expires (telemcp never deletes anything).
      if ((res.hits?.hits?.length ?? 0) > input.limit && (await pitAvailable(es, ctx))) {
        try {
          const id = await es.openPointInTime(indices, PIT_KEEP_ALIVE, ctx.signal);
          const inPit = await pitSearch(id);
          res = inPit;
          pitId = inPit.pit_id ?? id;
        } catch (err) {
          if (!(err instanceof TelemcpError) || err.code !== 'backend_error') throw err;
          const status = (err.details as { backend_status?: number } | undefined)?.backend_status;
          if (status !== undefined && status >= 400 && status < 500) pitUnsupported.add(es);
          ctx.log.debug({ err: err.message }, 'point in time unavailable; paginating on live data');
        }
      }
    } else {
      ({ n: total, r: relation } = state);
      if (state.p) {
        try {
          res = await pitSearch(state.p.id, state.p.a);
          if (res._shards?.failures?.some((f) => f.reason?.type === 'search_context_missing_exception')) throw new PitExpired();
          pitId = res.pit_id ?? state.p.id;
        } catch (err) {
          const expired = err instanceof PitExpired || (err instanceof TelemcpError && (err.details as { backend_status?: number } | undefined)?.backend_status === 404);
          if (!expired) throw err;
          if (!state.b) throw new TelemcpError('invalid_input', 'This cursor has expired (its point in time was idle for over a minute).', { hint: 'Repeat the call without cursor.' });
          notes.push('The point in time behind the cursor expired (idle over 1 minute); this page continues on live data, so logs indexed meanwhile can appear.');
          res = await fromBoundary();
        }
      } else {
        res = await fromBoundary();
      }
    }

    const raw = res.hits?.hits ?? [];
    const page = raw.slice(0, input.limit);
    const offset = state?.o ?? 0;
    let nextCursor: string | undefined;
    if (raw.length > input.limit) {
      const last = page[page.length - 1];
      const t = Number(last.sort?.[0]);
      const seen: [string, string][] = [...(state?.b && state.b.t === t ? state.b.s : []), ...page.filter((h) => Number(h.sort?.[0]) === t).map((h): [string, string] => [h._index, h._id])];
      const boundary = Number.isFinite(t) && seen.length <= MAX_SEEN ? { t, s: seen } : null;
      const next: CursorState = { w: [window.from.getTime(), window.to.getTime(), window.now.getTime()], n: total, r: relation, o: offset + page.length, tf: ts.name, b: boundary };
      if (pitId && last.sort) next.p = { id: pitId, a: last.sort };
      nextCursor = codec.encode(NAME, fp, next as unknown as Record<string, unknown>);
      if (nextCursor.length > MAX_CURSOR_CHARS && next.p && boundary) {
        // A point in time over very many shards has a long id; the boundary alone still pages exactly.
        delete next.p;
        nextCursor = codec.encode(NAME, fp, next as unknown as Record<string, unknown>);
      }
      if (nextCursor.length > MAX_CURSOR_CHARS || (!next.p && !boundary)) {
        nextCursor = undefined;
        notes.push(`More than ${MAX_SEEN} logs share the timestamp ${new Date(t).toISOString()}: narrow the window or add filters to page past it.`);
      }
    }

    const hits = page.map((h) => compactHit(h, fields, wanted));
    const failed = num(res._shards?.failed);
    const partial = failed > 0 || res.timed_out === true;
    if (partial) notes.push(`Partial result: ${failed} shard(s) failed${res.timed_out ? ', search timed out' : ''}.`);
    const filtersText = describeFilters(fields, filters);
    const win = describeWindow(window);
    let hint: string | undefined;
    if (!state && total === 0) hint = await explainEmpty(es, indices, fields, range, clauses, filters, win, ctx);
    const shown = hits.length ? `logs ${offset + 1}-${offset + hits.length} of ${total}${relation === 'gte' ? '+' : ''}` : `no logs (total ${total})`;
    return {
      summary: `${shown} in ${indices}${filtersText ? ` where ${filtersText}` : ''}, ${win.start} to ${win.end}${nextCursor ? '; more with next_cursor' : ''}`,
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

class PitExpired extends Error {}

const pitUnsupported = new WeakSet<SearchEngine>();

/** Point in time with the _shard_doc tiebreaker: Elasticsearch 7.12+. OpenSearch's PIT is a different API; it pages from the boundary. */
async function pitAvailable(es: SearchEngine, ctx: ToolContext): Promise<boolean> {
  if (es.kind !== 'elasticsearch' || pitUnsupported.has(es)) return false;
  const [major, minor] = (await es.info(ctx.signal)).version.split('.').map(Number);
  return major > 7 || (major === 7 && minor >= 12);
}

interface Filters {
  service?: string;
  trace?: string;
  levels?: string[];
  query?: string;
}
type Clauses = Partial<Record<'service' | 'trace' | 'level' | 'query', Record<string, unknown>>>;

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

function boundaryQuery(base: { bool: { filter: unknown[] } }, time: string, order: 'asc' | 'desc', boundary: CursorState['b']): Record<string, unknown> {
  if (!boundary) return base;
  const byIndex = new Map<string, string[]>();
  for (const [index, id] of boundary.s) byIndex.set(index, [...(byIndex.get(index) ?? []), id]);
  // date_nanos times sort as milliseconds: "≤ t" must take the whole millisecond.
  const edge = order === 'desc' ? { lt: boundary.t + 1 } : { gte: boundary.t };
  return {
    bool: {
      filter: [...base.bool.filter, { range: { [time]: { ...edge, format: 'epoch_millis' } } }],
      must_not: [...byIndex].map(([index, ids]) => ({ bool: { filter: [{ term: { _index: index } }, { ids: { values: ids } }] } })),
    },
  };
}

function totalOf(res: SearchResponse): { total: number; relation: 'eq' | 'gte' } {
  const t = res.hits?.total;
  if (typeof t === 'number') return { total: t, relation: 'eq' };
  return { total: num(t?.value), relation: t?.relation === 'gte' ? 'gte' : 'eq' };
}

function readState(s: Record<string, unknown>): CursorState {
  const st = s as unknown as CursorState;
  const ok =
    Array.isArray(st.w) && st.w.length === 3 && st.w.every((x) => Number.isFinite(x)) &&
    Number.isFinite(st.n) && (st.r === 'eq' || st.r === 'gte') && Number.isInteger(st.o) && typeof st.tf === 'string' &&
    (st.b === null || (typeof st.b === 'object' && Number.isFinite(st.b.t) && Array.isArray(st.b.s))) &&
    (st.p === undefined || (typeof st.p.id === 'string' && Array.isArray(st.p.a)));
  if (!ok) throw new TelemcpError('invalid_input', 'cursor is not a cursor this server issued.', { hint: 'Omit cursor to start over.' });
  return st;
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

function short(value: unknown, max = VALUE_CHARS): string | undefined {
  const text = scalarText(value);
  return text === undefined ? undefined : sanitizeText(text, max).text;
}

/** Extra field values: strings capped, arrays and objects bounded, so one odd document cannot flood the result. */
function compactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return sanitizeText(value, MESSAGE_CHARS).text;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 3) return sanitizeText(JSON.stringify(value), VALUE_CHARS).text;
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
      const cut = sanitizeText(text, MESSAGE_CHARS);
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

const fmt = (n: number) => n.toLocaleString('en-US');

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
  const desc = describeFilters(fields, args);
  const head = `No log in ${indices} has ${desc || 'a time'} between ${win.start} and ${win.end}.`;
  const inWindow = aggs.window?.doc_count ?? 0;
  if (inWindow === 0) {
    const newest = aggs.newest?.value;
    return `${head} The window holds no logs at all${typeof newest === 'number' ? `; the newest log in ${indices} is from ${new Date(newest).toISOString()}` : ''}: widen start_time/end_time.`;
  }
  const label: Record<keyof Clauses, string> = { service: 'the service_name filter', trace: 'the trace_id filter', level: 'the log_level filter', query: 'the query' };
  const counts = names.map((k) => ({ k, n: aggs.window?.relaxed?.buckets[k]?.doc_count ?? 0 }));
  const parts = counts.map(({ k, n }) => `${fmt(n)} without ${label[k]}`);
  const best = counts.filter((c) => c.n > 0).sort((a, b) => b.n - a.n)[0];
  const services = aggs.window?.services?.buckets.map((b) => b.key) ?? [];
  const levels = aggs.window?.levels?.buckets.map((b) => b.key) ?? [];
  return [
    head,
    `The window holds ${fmt(inWindow)} logs; ${parts.join('; ')}.`,
    best ? `Relax ${label[best.k]} first.` : 'Only dropping several filters together finds logs.',
    services.length ? `Services in this window: ${services.join(', ')}.` : '',
    levels.length ? `Levels in this window: ${levels.join(', ')}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
