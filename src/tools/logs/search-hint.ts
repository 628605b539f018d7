import type { LogLabel, LogQuery, LogSource } from '../../backends/capabilities.js';
import { TelemcpError } from '../../core/errors.js';
import { noMatchHint, type SearchFilter } from '../log-search-common.js';

/** The query field each filter of the hint sets; the hint counts with each one dropped in turn. */
const FILTER_FIELDS: Record<SearchFilter, 'services' | 'traceIds' | 'levels' | 'text'> = { service: 'services', trace: 'traceIds', level: 'levels', query: 'text' };
/** Values listed for services and levels, as elk_search_logs lists them. */
const LISTED_VALUES = 8;
/**
 * How far past now the newest log is looked for when the window holds none. Bounded rather
 * than "any time" because a date_nanos field holds nothing after 2262 and an engine may refuse
 * a range past it.
 */
const FUTURE_MS = 366 * 86_400_000;

/**
 * Why a search found nothing, in the words elk_search_logs uses, from the LogSource's own
 * exact counts (histogram, countBy, sample) so every source gives the same hint for the same
 * logs: what the window holds at all, what each filter alone removes, the services and levels
 * that do exist, and the newest log in the scope when the window is empty.
 */
export async function explainNoMatch(source: LogSource, query: LogQuery, scope: string, filters: string, window: { start: string; end: string }, signal: AbortSignal): Promise<string> {
  const within: LogQuery = { from: query.from, to: query.to, ...(query.scope ? { scope: query.scope } : {}) };
  const count = async (q: LogQuery) => (await source.histogram(q, { bucketMs: q.to.getTime() - q.from.getTime() }, signal)).total;
  const without = (filter: SearchFilter): LogQuery => {
    const relaxed = { ...query };
    delete relaxed[FILTER_FIELDS[filter]];
    return relaxed;
  };
  const given = (Object.keys(FILTER_FIELDS) as SearchFilter[]).filter((f) => query[FILTER_FIELDS[f]] !== undefined);
  const [inWindow, relaxed, services, levels] = await Promise.all([
    count(within),
    Promise.all(given.map(async (filter) => ({ filter, count: await count(without(filter)) }))),
    query.services ? valuesIn(source, within, 'service', signal) : [],
    query.levels ? valuesIn(source, within, 'level', signal) : [],
  ]);
  let newest: number | undefined;
  if (inWindow === 0) {
    const allTime = { ...within, from: new Date(0), to: new Date(Math.max(Date.now(), query.to.getTime()) + FUTURE_MS) };
    newest = (await source.sample(allTime, { limit: 1, strategy: 'newest' }, signal)).records[0]?.ts;
  }
  return noMatchHint({ scope, filters, window, inWindow, ...(newest !== undefined ? { newest } : {}), relaxed, services, levels });
}

/** The most frequent values of a label in the window; none when the source cannot count by it (a text-only field). */
async function valuesIn(source: LogSource, query: LogQuery, by: LogLabel, signal: AbortSignal): Promise<string[]> {
  try {
    return (await source.countBy(query, { by, limit: LISTED_VALUES }, signal)).values.map((v) => v.value);
  } catch (err) {
    if (err instanceof TelemcpError && err.code === 'invalid_input') return [];
    throw err;
  }
}
