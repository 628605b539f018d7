import { z } from 'zod';
import { defineTool, target } from '../tool.js';
import { INDEX_GUARD, SEARCH_ENGINE } from '../../backends/elasticsearch/module.js';
import { SearchEngine } from '../../backends/elasticsearch/search-engine.js';
import { HEALTH_RANK, decodeOffsetCursor, encodeOffsetCursor, formatBytes, num, searchEngine } from './common.js';

interface CatIndex {
  health?: string;
  status?: string;
  index: string;
  pri?: string;
  rep?: string;
  'docs.count'?: string;
  'store.size'?: string;
  'pri.store.size'?: string;
  'creation.date.string'?: string;
}

const indexOut = z.object({
  index: z.string(),
  health: z.string(),
  status: z.string(),
  docs: z.number(),
  store: z.string(),
  store_bytes: z.number(),
  primary_shards: z.number(),
  replicas: z.number(),
  created: z.string().optional(),
});

export const elkIndicesSummary = defineTool({
  name: 'elk_indices_summary',
  title: 'Elasticsearch indices summary',
  description:
    'Indices matching a pattern, with health, docs, store size and shards, sorted by size, docs or name; unhealthy ones counted.',
  readme: 'indices matching `index_pattern` (default: the allowed patterns) with health, docs, size, shards; `sort_by` size/docs/name, `limit` ≤ 100, `cursor`',
  toolset: 'elk',
  requires: [SEARCH_ENGINE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      index_pattern: z.string().min(1).max(512).optional().describe('Index name or pattern, e.g. logs-*; comma lists allowed. Default: all allowed patterns'),
      sort_by: z.enum(['size', 'docs', 'name']).default('size'),
      limit: z.number().int().min(1).max(100).default(20).describe('Indices to return (1-100)'),
      cursor: z.string().max(200).optional().describe('next_cursor from a previous call'),
    })
    .strict(),
  output: z.object({
    status: z.enum(['green', 'yellow', 'red', 'empty']),
    summary: z.string(),
    metrics: z.object({
      index_count: z.number(),
      total_docs: z.number(),
      total_store: z.string(),
      total_store_bytes: z.number(),
      health: z.object({ green: z.number(), yellow: z.number(), red: z.number() }),
    }),
    indices: z.array(indexOut),
    truncated: z.boolean(),
    next_cursor: z.string().optional(),
    recommendation: z.array(z.string()),
  }),
  targets: (input, config) => [target(INDEX_GUARD, input.index_pattern ?? config.ALLOWED_INDEX_PATTERNS.join(','))],
  async handler(input, ctx) {
    const es = searchEngine(ctx);
    const offset = decodeOffsetCursor(input.cursor);
    const rows = await es.get<CatIndex[]>(`/_cat/indices/${SearchEngine.encodeIndices(ctx.guarded.get(INDEX_GUARD) ?? '')}`, ctx.signal, {
      format: 'json',
      bytes: 'b',
      expand_wildcards: 'open',
      h: 'health,status,index,pri,rep,docs.count,store.size,pri.store.size,creation.date.string',
    });
    const indices = rows.map((r) => ({
      index: r.index,
      health: r.health ?? 'unknown',
      status: r.status ?? 'unknown',
      docs: num(r['docs.count']),
      store: formatBytes(num(r['store.size'])),
      store_bytes: num(r['store.size']),
      primary_shards: num(r.pri),
      replicas: num(r.rep),
      ...(r['creation.date.string'] ? { created: r['creation.date.string'] } : {}),
    }));
    const order = {
      size: (a: (typeof indices)[number], b: (typeof indices)[number]) => b.store_bytes - a.store_bytes,
      docs: (a: (typeof indices)[number], b: (typeof indices)[number]) => b.docs - a.docs,
      name: (a: (typeof indices)[number], b: (typeof indices)[number]) => a.index.localeCompare(b.index),
    }[input.sort_by];
    indices.sort((a, b) => order(a, b) || a.index.localeCompare(b.index));

    const health = { green: 0, yellow: 0, red: 0 };
    for (const i of indices) if (i.health in health) health[i.health as keyof typeof health] += 1;
    const totalDocs = indices.reduce((s, i) => s + i.docs, 0);
    const totalBytes = indices.reduce((s, i) => s + i.store_bytes, 0);
    const worst = indices.reduce<string | undefined>((w, i) => (w === undefined || (HEALTH_RANK[i.health] ?? 3) < (HEALTH_RANK[w] ?? 3) ? i.health : w), undefined);
    const page = indices.slice(offset, offset + input.limit);
    const more = offset + input.limit < indices.length;

    const recommendation: string[] = [];
    if (health.red) recommendation.push(`${health.red} red index(es): primary shards missing; run elk_cluster_health with include_shards=true for the allocation explanation.`);
    if (health.yellow) recommendation.push(`${health.yellow} yellow index(es): replicas unassigned; on a single-node cluster set index.number_of_replicas to 0, otherwise see elk_cluster_health.`);
    const tiny = indices.filter((i) => i.primary_shards > 1 && i.store_bytes < 1024 ** 3).length;
    if (tiny > 10) recommendation.push(`${tiny} indices have several primary shards but under 1gb of data: oversharding wastes heap; use 1 primary for small indices (index template / ILM rollover).`);
    if (!indices.length) recommendation.push(`No open index matches ${input.index_pattern ?? 'the allowed patterns'}; check the pattern with elk_indices_summary and no index_pattern.`);

    return {
      status: (indices.length ? (worst === 'red' || worst === 'yellow' ? worst : 'green') : 'empty') as 'green' | 'yellow' | 'red' | 'empty',
      summary: `${indices.length} index(es) match, ${totalDocs} docs, ${formatBytes(totalBytes)}; green=${health.green} yellow=${health.yellow} red=${health.red}`,
      metrics: { index_count: indices.length, total_docs: totalDocs, total_store: formatBytes(totalBytes), total_store_bytes: totalBytes, health },
      indices: page,
      truncated: more,
      ...(more ? { next_cursor: encodeOffsetCursor(offset + input.limit) } : {}),
      recommendation,
    };
  },
});
