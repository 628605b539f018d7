import { z } from 'zod';
import { defineTool, target } from '../tool.js';
import { INDEX_GUARD, QUERY_DSL_GUARD, SEARCH_ENGINE } from '../../backends/elasticsearch/module.js';
import { SearchEngine } from '../../backends/elasticsearch/search-engine.js';
import { num, searchEngine } from './common.js';
import { describeBackendError } from '../../backends/error-summary.js';

interface SearchResponse {
  took?: number;
  timed_out?: boolean;
  _shards?: { total?: number; successful?: number; skipped?: number; failed?: number; failures?: { index?: string; reason?: unknown }[] };
  _clusters?: { skipped?: number };
  hits?: { total?: number | { value: number; relation: string }; hits?: { _index: string; _id: string; _score?: number | null; _source?: unknown; fields?: unknown; sort?: unknown[] }[] };
  aggregations?: Record<string, unknown>;
}

const MAX_STRING = 1000;

/** Long field values are cut so one huge document cannot take over the model's context. */
function trimStrings(value: unknown, depth = 0): { value: unknown; cut: boolean } {
  if (typeof value === 'string') return value.length > MAX_STRING ? { value: `${value.slice(0, MAX_STRING)}…`, cut: true } : { value, cut: false };
  if (value === null || typeof value !== 'object' || depth > 32) return { value, cut: false };
  let cut = false;
  if (Array.isArray(value)) {
    const arr = value.map((v) => {
      const r = trimStrings(v, depth + 1);
      cut ||= r.cut;
      return r.value;
    });
    return { value: arr, cut };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = trimStrings(v, depth + 1);
    cut ||= r.cut;
    out[k] = r.value;
  }
  return { value: out, cut };
}

export const elkQuery = defineTool({
  name: 'elk_query',
  title: 'Elasticsearch query DSL (operator)',
  description:
    'Raw query DSL search (query, aggs) on allowed indices; prefer the structured tools. Scripts, cross-index lookups, scroll/PIT and oversized aggregations are refused; size ≤ 100.',
  readme: 'raw query DSL and aggregations for power users, through the query guard; `size` ≤ 100',
  toolset: 'elk',
  requires: [SEARCH_ENGINE],
  leastRole: 'elk_operator',
  input: z
    .object({
      index_pattern: z.string().min(1).max(512).describe('Index name or pattern within ALLOWED_INDEX_PATTERNS, e.g. logs-*'),
      body: z.record(z.string(), z.unknown()).describe('Search request body: query, aggs, size (≤100), sort, _source, …'),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    total: z.number(),
    total_relation: z.string(),
    took_ms: z.number(),
    timed_out: z.boolean(),
    partial: z.boolean(),
    shards: z.object({ total: z.number(), successful: z.number(), skipped: z.number(), failed: z.number() }),
    shard_failures: z.array(z.object({ index: z.string(), reason: z.string() })).optional(),
    aggregations: z.record(z.string(), z.unknown()).optional(),
    hits: z.array(z.object({ index: z.string(), id: z.string(), score: z.number().nullable().optional(), source: z.unknown().optional(), fields: z.unknown().optional(), sort: z.array(z.unknown()).optional() })),
    truncated: z.boolean(),
  }),
  // The body is checked first: a refused query must not cost the cluster an index resolution.
  targets: (input) => [target(QUERY_DSL_GUARD, input.body), target(INDEX_GUARD, input.index_pattern)],
  async handler(_input, ctx) {
    const es = searchEngine(ctx);
    const body = { size: 10, ...ctx.guarded.get(QUERY_DSL_GUARD) };
    const res = await es.post<SearchResponse>(`/${SearchEngine.encodeIndices(ctx.guarded.get(INDEX_GUARD) ?? '')}/_search`, body, ctx.signal, {
      expand_wildcards: 'open',
      allow_partial_search_results: true,
    });
    const total = res.hits?.total;
    const totalValue = typeof total === 'number' ? total : num(total?.value);
    const relation = typeof total === 'number' ? 'eq' : (total?.relation ?? 'eq');
    const shards = { total: num(res._shards?.total), successful: num(res._shards?.successful), skipped: num(res._shards?.skipped), failed: num(res._shards?.failed) };
    let cut = false;
    const hits = (res.hits?.hits ?? []).map((h) => {
      const source = trimStrings(h._source);
      const fields = trimStrings(h.fields);
      cut ||= source.cut || fields.cut;
      return {
        index: h._index,
        id: h._id,
        score: h._score ?? null,
        ...(h._source !== undefined ? { source: source.value } : {}),
        ...(h.fields !== undefined ? { fields: fields.value } : {}),
        ...(h.sort ? { sort: h.sort } : {}),
      };
    });
    const partial = shards.failed > 0 || res.timed_out === true || num(res._clusters?.skipped) > 0;
    return {
      summary: `${totalValue}${relation === 'gte' ? '+' : ''} match(es) in ${num(res.took)} ms; ${hits.length} hit(s) returned${partial ? `; PARTIAL: ${shards.failed} shard(s) failed${res.timed_out ? ', timed out' : ''}` : ''}`,
      total: totalValue,
      total_relation: relation,
      took_ms: num(res.took),
      timed_out: res.timed_out === true,
      partial,
      shards,
      ...(res._shards?.failures?.length
        ? { shard_failures: res._shards.failures.slice(0, 3).map((f) => ({ index: f.index ?? 'unknown', reason: describeBackendError(f.reason) })) }
        : {}),
      ...(res.aggregations ? { aggregations: res.aggregations } : {}),
      hits,
      truncated: cut || totalValue > hits.length,
    };
  },
});
