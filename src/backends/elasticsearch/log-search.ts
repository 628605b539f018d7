import { TelemcpError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { TimeWindow } from '../../core/time.js';
import type { CursorCodec } from '../cursor.js';
import { timeSort } from './log-fields.js';
import { SearchEngine } from './search-engine.js';

/**
 * Paging through the logs of an index expression on Elasticsearch/OpenSearch, for the
 * LogSource's search (elk_search_logs, logs_search): one page per call, every matching
 * document exactly once, resumable from a signed cursor.
 */

const PIT_KEEP_ALIVE = '1m';
/** Documents sharing the last timestamp of a page that a cursor remembers (see PageState). */
const MAX_SEEN = 300;
/** The longest cursor issued; a tool's cursor argument accepts this much. */
export const MAX_CURSOR_CHARS = 32_768;
/** Fields beyond the normalised ones a search may return per record (LogSearchOptions.fields). */
const SEARCH_PARAMS = { expand_wildcards: 'open', ignore_unavailable: true, allow_partial_search_results: true } as const;

export type Hit = { _index: string; _id: string; _source?: unknown; sort?: unknown[] };
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
export interface PageState {
  /** The window [from, to, now] of the first page, epoch ms. */
  w: [number, number, number];
  /** The first page's total and its relation. */
  n: number;
  r: 'eq' | 'gte';
  /** Documents on the pages before. */
  o: number;
  /** The time field the search sorted on: a mapping change invalidates the cursor. */
  tf: string;
  b: { t: number; s: [string, string][] } | null;
  p?: { id: string; a: unknown[] };
}

/** How next cursors are made and checked: the codec, and the tool and arguments they are bound to. */
export interface PageSigner {
  codec: CursorCodec;
  tool: string;
  fingerprint: string;
}

/** The state a cursor carries, once its signature, tool and arguments check out. */
export function readPageCursor(signer: PageSigner, cursor: string): PageState {
  const st = signer.codec.decode(cursor, signer.tool, signer.fingerprint) as unknown as PageState;
  const ok =
    Array.isArray(st.w) && st.w.length === 3 && st.w.every((x) => Number.isFinite(x)) &&
    Number.isFinite(st.n) && (st.r === 'eq' || st.r === 'gte') && Number.isInteger(st.o) && typeof st.tf === 'string' &&
    (st.b === null || (typeof st.b === 'object' && Number.isFinite(st.b.t) && Array.isArray(st.b.s))) &&
    (st.p === undefined || (typeof st.p.id === 'string' && Array.isArray(st.p.a)));
  if (!ok) throw new TelemcpError('invalid_input', 'cursor is not a cursor this server issued.', { hint: 'Omit cursor to start over.' });
  return st;
}

export function pageWindow(state: PageState): TimeWindow {
  return { from: new Date(state.w[0]), to: new Date(state.w[1]), now: new Date(state.w[2]) };
}

export interface PageRequest {
  /** An index expression that passed the index guard. */
  indices: string;
  timestamp: { name: string; nanos: boolean };
  /** The window's range and the caller's filters: every page's query. */
  query: { bool: { filter: unknown[] } };
  /** What each hit's _source holds. */
  sourceFields: string[];
  order: 'asc' | 'desc';
  limit: number;
  /** Server-side search timeout, just under the backend deadline, so shards answer partially rather than not at all. */
  timeout: string;
  /** The search's window: resolved on the first page, pageWindow(state) after. */
  window: TimeWindow;
  /** The cursor this page continues, from readPageCursor. */
  state?: PageState;
  signer: PageSigner;
}

export interface LogPage {
  /** At most `limit`, in the order asked for; `sort[0]` is the time in epoch ms. */
  hits: Hit[];
  total: number;
  relation: 'eq' | 'gte';
  /** Documents on the pages before this one. */
  offset: number;
  next?: string;
  /** Shards failed or the search timed out. */
  partial: boolean;
  notes: string[];
}

class PitExpired extends Error {}

const pitUnsupported = new WeakSet<SearchEngine>();

/** Point in time with the _shard_doc tiebreaker: Elasticsearch 7.12+. OpenSearch's PIT is a different API; it pages from the boundary. */
async function pitAvailable(es: SearchEngine, signal: AbortSignal): Promise<boolean> {
  if (es.kind !== 'elasticsearch' || pitUnsupported.has(es)) return false;
  const [major, minor] = (await es.info(signal)).version.split('.').map(Number);
  return major > 7 || (major === 7 && minor >= 12);
}

export async function searchLogPage(es: SearchEngine, req: PageRequest, signal: AbortSignal, log?: Pick<Logger, 'debug'>): Promise<LogPage> {
  const { state, timestamp: ts, order } = req;
  if (state && state.tf !== ts.name) throw new TelemcpError('invalid_input', 'The index mapping changed since this cursor was issued.', { hint: 'Repeat the call without cursor.' });
  const notes: string[] = [];
  const common = { _source: { includes: req.sourceFields }, timeout: req.timeout };
  const pitSort = [timeSort(ts, order), { _shard_doc: { order } }];
  const size = req.limit + 1;

  const liveSearch = (extra: Record<string, unknown>) =>
    es.post<SearchResponse>(`/${SearchEngine.encodeIndices(req.indices)}/_search`, { ...common, size, sort: [timeSort(ts, order)], ...extra }, signal, SEARCH_PARAMS);
  const pitSearch = (id: string, searchAfter?: unknown[]) =>
    es.searchPointInTime<SearchResponse>(
      { ...common, size, pit: { id, keep_alive: PIT_KEEP_ALIVE }, query: req.query, sort: pitSort, track_total_hits: false, ...(searchAfter ? { search_after: searchAfter } : {}) },
      signal,
    );
  const fromBoundary = () => liveSearch({ query: boundaryQuery(req.query, ts.name, order, state?.b ?? null), track_total_hits: false });

  let res: SearchResponse;
  let total: number;
  let relation: 'eq' | 'gte';
  let pitId: string | undefined;
  if (!state) {
    res = await liveSearch({ query: req.query });
    ({ total, relation } = totalOf(res));
    // A point in time only when there is a second page: most searches fit one, and every
    // open point in time holds resources until it expires (telemcp never deletes anything).
    if ((res.hits?.hits?.length ?? 0) > req.limit && (await pitAvailable(es, signal))) {
      try {
        const id = await es.openPointInTime(req.indices, PIT_KEEP_ALIVE, signal);
        const inPit = await pitSearch(id);
        res = inPit;
        pitId = inPit.pit_id ?? id;
      } catch (err) {
        if (!(err instanceof TelemcpError) || err.code !== 'backend_error') throw err;
        const status = (err.details as { backend_status?: number } | undefined)?.backend_status;
        if (status !== undefined && status >= 400 && status < 500) pitUnsupported.add(es);
        log?.debug({ err: err.message }, 'point in time unavailable; paginating on live data');
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
  const hits = raw.slice(0, req.limit);
  const offset = state?.o ?? 0;
  let next: string | undefined;
  if (raw.length > req.limit) {
    const { codec, tool, fingerprint } = req.signer;
    const last = hits[hits.length - 1];
    const t = Number(last.sort?.[0]);
    const seen: [string, string][] = [...(state?.b && state.b.t === t ? state.b.s : []), ...hits.filter((h) => Number(h.sort?.[0]) === t).map((h): [string, string] => [h._index, h._id])];
    const boundary = Number.isFinite(t) && seen.length <= MAX_SEEN ? { t, s: seen } : null;
    const { window } = req;
    const following: PageState = { w: [window.from.getTime(), window.to.getTime(), window.now.getTime()], n: total, r: relation, o: offset + hits.length, tf: ts.name, b: boundary };
    if (pitId && last.sort) following.p = { id: pitId, a: last.sort };
    next = codec.encode(tool, fingerprint, following as unknown as Record<string, unknown>);
    if (next.length > MAX_CURSOR_CHARS && following.p && boundary) {
      // A point in time over very many shards has a long id; the boundary alone still pages exactly.
      delete following.p;
      next = codec.encode(tool, fingerprint, following as unknown as Record<string, unknown>);
    }
    if (next.length > MAX_CURSOR_CHARS || (!following.p && !boundary)) {
      next = undefined;
      notes.push(`More than ${MAX_SEEN} logs share the timestamp ${new Date(t).toISOString()}: narrow the window or add filters to page past it.`);
    }
  }

  const failed = finite(res._shards?.failed);
  const partial = failed > 0 || res.timed_out === true;
  if (partial) notes.push(`Partial result: ${failed} shard(s) failed${res.timed_out ? ', search timed out' : ''}.`);
  return { hits, total, relation, offset, ...(next ? { next } : {}), partial, notes };
}

function boundaryQuery(base: { bool: { filter: unknown[] } }, time: string, order: 'asc' | 'desc', boundary: PageState['b']): Record<string, unknown> {
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
  return { total: finite(t?.value), relation: t?.relation === 'gte' ? 'gte' : 'eq' };
}

function finite(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}
