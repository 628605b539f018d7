import { TelemcpError } from '../../core/errors.js';
import type { LogStoreReader, StoreQuery } from '../../store/log-store.js';
import type { LogQuery, LogSearchOptions, LogSearchPage, LogSource } from '../capabilities.js';
import type { CursorCodec } from '../cursor.js';
import { checkMessageQuery } from '../log-query.js';
import { checkLogQuery, checkSearchLimit, searchFingerprint } from '../log-query.js';
import { checkAborted, toFoundRecord } from './answers.js';

/**
 * LogSource.search over the embedded store: keyset pages in (ts, id) order (searchPage), so a
 * record is returned once however many share a millisecond and whatever is written meanwhile.
 * The cursor holds the first page's window and total, the offset, and the last (ts, id): signed
 * with cursor.ts's codec and bound to the source, the query and the caller's boundTo, like the
 * Elasticsearch source's, so a cursor cannot be forged to widen the window or reused for
 * another query.
 * The codec's key is CURSOR_SECRET when set, so cursors outlive a restart; else this process's
 * own key (the store is held by one process, its DATA_DIR lock).
 */

interface StoreCursor {
  /** The first page's window, epoch ms. */
  w: [number, number];
  /** The first page's total. */
  n: number;
  /** Records on the pages before. */
  o: number;
  /** The last record returned: (ts, id). */
  k: [number, number];
}

type SearchingSource = Pick<LogSource, 'name' | 'defaultScope'> & { cursors: CursorCodec };

export async function searchLogStore(store: LogStoreReader, source: SearchingSource, query: LogQuery, opts: LogSearchOptions, signal: AbortSignal): Promise<LogSearchPage> {
  checkLogQuery(query);
  checkSearchLimit(opts.limit);
  checkAborted(signal);
  const tool = `log-source:${source.name}`;
  const fp = searchFingerprint(query, source.defaultScope, opts);
  const state = opts.cursor ? readCursor(source.cursors.decode(opts.cursor, tool, fp)) : undefined;
  const storeQuery: StoreQuery = {
    from: state ? state.w[0] : query.from.getTime(),
    to: state ? state.w[1] : query.to.getTime(),
    scope: query.scope ?? source.defaultScope,
    services: query.services,
    levels: query.levels,
    traceIds: query.traceIds,
    text: query.text === undefined ? undefined : checkMessageQuery(query.text),
  };
  // Counted once, on the first page, as the Elasticsearch source does: later pages report the search's total.
  const total = state ? state.n : store.count(store.filter(storeQuery));
  const page = store.searchPage(storeQuery, { limit: opts.limit, order: opts.order ?? 'desc', ...(state ? { after: { ts: state.k[0], id: state.k[1] } } : {}) });
  const offset = state?.o ?? 0;
  const following: StoreCursor | undefined = page.next && { w: [storeQuery.from, storeQuery.to], n: total, o: offset + page.records.length, k: [page.next.ts, page.next.id] };
  return {
    records: page.records.map(toFoundRecord),
    total,
    totalExact: true,
    offset,
    window: { from: new Date(storeQuery.from), to: new Date(storeQuery.to) },
    ...(following ? { next: source.cursors.encode(tool, fp, following as unknown as Record<string, unknown>) } : {}),
    scope: page.scope,
    partial: false,
    notes: page.notes,
  };
}

function readCursor(s: Record<string, unknown>): StoreCursor {
  const c = s as unknown as StoreCursor;
  const pair = (v: unknown) => Array.isArray(v) && v.length === 2 && v.every((x) => Number.isSafeInteger(x));
  if (!pair(c.w) || !pair(c.k) || !Number.isSafeInteger(c.n) || !Number.isSafeInteger(c.o)) {
    throw new TelemcpError('invalid_input', 'cursor is not a cursor this server issued.', { hint: 'Omit cursor to start over.' });
  }
  return c;
}
