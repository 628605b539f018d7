import { TelemcpError } from '../../core/errors.js';
import type { MessageCount } from '../capabilities.js';
import { MessageTally, cappedNote } from '../message-counts.js';
import type { LogFields } from './log-fields.js';
import { SearchEngine } from './search-engine.js';

/**
 * Exact counts per distinct (message, service, level) on Elasticsearch/OpenSearch: a composite
 * aggregation paged with after_key over every group, where a terms aggregation would return only
 * its top buckets and leave a pattern whose lines carry their own numbers counted in part (806 of
 * 4,569 at 1M documents with the 1,000 buckets elk_detect_errors used to read). Each bucket also
 * carries its first and last time. Paging stops at the caller's group cap, at the text bound
 * (MAX_MESSAGE_CHARS_HELD) or at the call's signal; the answer then says it is not exhaustive.
 * Messages the keyword field does not hold (longer than its ignore_above, or a text-only field)
 * cannot be grouped: they are counted as `uncountable`, for the caller to estimate.
 */

/**
 * Groups per page. Every page scans the window's matching documents again, so fewer, larger pages
 * are cheaper: at 1M documents (10,763 groups) one page of 20,000 took ~115 ms where pages of
 * 1,000 then 10,000 took ~160-300 ms. It stays well under search.max_buckets (65,536 by default
 * on Elasticsearch 7.9+ and OpenSearch), and a page whose messages are too long for
 * BACKEND_MAX_RESPONSE_BYTES is retried smaller.
 */
const PAGE = 20_000;
/** A page whose messages overflow BACKEND_MAX_RESPONSE_BYTES is retried at a tenth of its size, not below this. */
const MIN_PAGE = 100;
const SEARCH_PARAMS = { expand_wildcards: 'open', ignore_unavailable: true, allow_partial_search_results: true } as const;
const FILTER_PATH =
  'timed_out,_shards.failed,hits.total,aggregations.groups.after_key,aggregations.groups.buckets.key,aggregations.groups.buckets.doc_count,aggregations.groups.buckets.first.value,aggregations.groups.buckets.last.value,aggregations.unkeyed.doc_count';

export interface MessageCountSearch {
  /** An index expression that passed the engine's index guard. */
  indices: string;
  fields: LogFields;
  timestamp: { name: string; nanos: boolean };
  /** The filter every page shares. */
  query: Record<string, unknown>;
  /** Server-side timeout of each page. */
  timeout: string;
}

/** What a source says about records whose message the keyword field does not hold: all of them without one. */
export function uncountableNote(uncountable: number, fields: LogFields): string {
  if (!fields.message) return 'No message field (message, msg, …) in this index pattern, so messages cannot be counted.';
  if (!fields.message.keyword) return `${fields.message.name} is text-only (no keyword sub-field), so messages cannot be counted exactly.`;
  return `${uncountable} record(s) have a message longer than ${fields.message.keyword} holds (its ignore_above), or none: they are not counted per message.`;
}

export interface EngineMessageCounts {
  groups: MessageCount[];
  total: number;
  counted: number;
  uncountable: number;
  exhaustive: boolean;
  partial: boolean;
  notes: string[];
}

type Key = Record<string, string | number | null>;
interface CompositeResponse {
  timed_out?: boolean;
  _shards?: { failed?: number };
  hits?: { total?: number | { value: number; relation: string } };
  aggregations?: {
    groups?: { after_key?: Key; buckets?: { key: Key; doc_count: number; first?: { value?: number | null }; last?: { value?: number | null } }[] };
    unkeyed?: { doc_count?: number };
  };
}

export async function countMessages(es: SearchEngine, search: MessageCountSearch, maxGroups: number, signal: AbortSignal): Promise<EngineMessageCounts> {
  const { fields } = search;
  const notes: string[] = [];
  let partial = false;
  const post = async (body: Record<string, unknown>) => {
    const res = await es.post<CompositeResponse>(`/${SearchEngine.encodeIndices(search.indices)}/_search`, { timeout: search.timeout, size: 0, query: search.query, ...body }, signal, {
      ...SEARCH_PARAMS,
      filter_path: FILTER_PATH,
    });
    if ((res._shards?.failed ?? 0) > 0 || res.timed_out === true) partial = true;
    return res;
  };
  const totalOf = (res: CompositeResponse) => {
    const raw = res.hits?.total;
    return typeof raw === 'number' ? raw : (raw?.value ?? 0);
  };

  const messageKeyword = fields.message?.keyword;
  if (!messageKeyword) {
    const total = totalOf(await post({ track_total_hits: true }));
    return { groups: [], total, counted: 0, uncountable: total, exhaustive: true, partial, notes };
  }

  // A missing label is a group of its own (missing_bucket), so every keyed record is counted once.
  const sources: Record<string, unknown>[] = [{ message: { terms: { field: messageKeyword } } }];
  if (fields.service?.keyword) sources.push({ service: { terms: { field: fields.service.keyword, missing_bucket: true } } });
  if (fields.level?.keyword) sources.push({ level: { terms: { field: fields.level.keyword, missing_bucket: true } } });
  const times = { first: { min: { field: search.timestamp.name } }, last: { max: { field: search.timestamp.name } } };

  const tally = new MessageTally();
  let total = 0;
  let uncountable = 0;
  let fetched = 0;
  let after: Key | undefined;
  let pageSize = PAGE;
  let done = false;
  let first = true;
  while (!done) {
    const size = Math.min(pageSize, maxGroups - fetched);
    if (size <= 0 || tally.full) break;
    const composite = { size, sources, ...(after ? { after } : {}) };
    const body: Record<string, unknown> = {
      track_total_hits: first,
      aggs: { groups: { composite, aggs: times }, ...(first ? { unkeyed: { missing: { field: messageKeyword } } } : {}) },
    };
    let res: CompositeResponse;
    try {
      res = await post(body);
    } catch (err) {
      // Page sizes are ours, not the caller's: very long messages shrink the page instead of failing the call.
      if (!(err instanceof TelemcpError) || err.code !== 'response_too_large' || size <= MIN_PAGE) throw err;
      pageSize = Math.max(MIN_PAGE, Math.floor(size / 10));
      continue;
    }
    if (first) {
      total = totalOf(res);
      uncountable = res.aggregations?.unkeyed?.doc_count ?? 0;
    }
    const buckets = res.aggregations?.groups?.buckets ?? [];
    for (const b of buckets) {
      const key = b.key;
      tally.add({
        message: String(key.message),
        service: key.service === undefined || key.service === null ? undefined : String(key.service),
        level: key.level === undefined || key.level === null ? undefined : String(key.level),
        count: b.doc_count,
        firstMs: Math.floor(b.first?.value ?? 0),
        lastMs: Math.floor(b.last?.value ?? 0),
      });
    }
    fetched += buckets.length;
    after = res.aggregations?.groups?.after_key;
    done = buckets.length < size || after === undefined;
    first = false;
  }

  const groups = tally.groups();
  // Records arriving in the window between pages can make the pages count more than the first did.
  total = Math.max(total, tally.counted + uncountable);
  const exhaustive = done || tally.counted + uncountable >= total;
  if (!exhaustive) notes.push(cappedNote(tally.counted, total, groups.length));
  return { groups, total, counted: tally.counted, uncountable, exhaustive, partial, notes };
}
