import { z } from 'zod';
import { SEARCH_ENGINE } from '../../backends/elasticsearch/module.js';
import { defineTool } from '../tool.js';
import { formatBytes, num, pct, searchEngine } from './common.js';
import { WATERMARK_SETTINGS_QUERY, pastWatermark, resolveWatermarks, type WatermarkSettings } from '../../analysis/recommend/disk.js';

// The watermark logic is shared with elk_cluster_health and the rule library; tests import it from here too.
export { pastWatermark };

interface NodeStats {
  name: string;
  roles?: string[];
  jvm?: { mem?: { heap_used_percent?: number; heap_max_in_bytes?: number }; gc?: { collectors?: Record<string, { collection_count?: number; collection_time_in_millis?: number }> } };
  os?: { cpu?: { percent?: number; load_average?: { '1m'?: number } } };
  process?: { cpu?: { percent?: number } };
  fs?: { total?: { total_in_bytes?: number; available_in_bytes?: number } };
  breakers?: Record<string, { tripped?: number }>;
  thread_pool?: Record<string, { threads?: number; queue?: number; active?: number; rejected?: number }>;
}

const MAX_NODES = 50;
const WATCHED_POOLS = ['search', 'write', 'get', 'analyze', 'management', 'snapshot', 'force_merge', 'search_throttled'];

const nodeOut = z.object({
  name: z.string(),
  roles: z.string(),
  heap_used_percent: z.number(),
  heap_max: z.string(),
  disk_used_percent: z.number(),
  disk_total: z.string(),
  disk_free: z.string(),
  cpu_percent: z.number(),
  load_1m: z.number(),
  gc_young: z.object({ count: z.number(), time_ms: z.number() }),
  gc_old: z.object({ count: z.number(), time_ms: z.number() }),
  breakers_tripped: z.number(),
  thread_pool: z.record(z.string(), z.object({ active: z.number(), queue: z.number(), rejected: z.number() })).optional(),
});

export const elkNodesStats = defineTool({
  name: 'elk_nodes_stats',
  title: 'Elasticsearch node resources',
  description:
    'Node resources, nodes at risk first: heap %, disk vs the watermarks, CPU, load, GC, breaker trips; thread pools with include_thread_pool.',
  readme: 'per node heap %, disk used vs the disk watermarks, CPU, load, GC, breaker trips; thread-pool queues and rejections with `include_thread_pool`',
  toolset: 'elk',
  requires: [SEARCH_ENGINE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      include_thread_pool: z.boolean().default(false).describe('Add search/write/get thread-pool active, queue and rejected counts per node'),
    })
    .strict(),
  output: z.object({
    status: z.enum(['green', 'yellow', 'red']),
    summary: z.string(),
    metrics: z.object({
      node_count: z.number(),
      max_heap_used_percent: z.number(),
      max_disk_used_percent: z.number(),
      watermarks: z.object({ low: z.string(), high: z.string(), flood_stage: z.string() }),
    }),
    findings: z.array(z.object({ severity: z.enum(['critical', 'warning']), node: z.string(), finding: z.string() })),
    nodes: z.array(nodeOut),
    truncated: z.boolean().optional(),
    recommendation: z.array(z.string()),
  }),
  async handler(input, ctx) {
    const es = searchEngine(ctx);
    const metricsPath = `/_nodes/stats/jvm,os,process,fs,breaker${input.include_thread_pool ? ',thread_pool' : ''}`;
    const [stats, settings] = await Promise.all([
      es.get<{ nodes: Record<string, NodeStats> }>(metricsPath, ctx.signal),
      es.get<WatermarkSettings>('/_cluster/settings', ctx.signal, WATERMARK_SETTINGS_QUERY),
    ]);
    const watermarks = resolveWatermarks(settings);

    const findings: { severity: 'critical' | 'warning'; node: string; finding: string }[] = [];
    const nodes = Object.values(stats.nodes).map((n) => {
      const total = num(n.fs?.total?.total_in_bytes);
      const free = num(n.fs?.total?.available_in_bytes);
      const diskUsed = pct(total - free, total);
      const heap = num(n.jvm?.mem?.heap_used_percent);
      const collectors = n.jvm?.gc?.collectors ?? {};
      const tripped = Object.values(n.breakers ?? {}).reduce((sum, b) => sum + num(b.tripped), 0);
      if (pastWatermark(watermarks.flood_stage, diskUsed, free)) findings.push({ severity: 'critical', node: n.name, finding: `disk ${diskUsed}% used (${formatBytes(free)} free) past flood_stage ${watermarks.flood_stage}: indices on this node are made read-only` });
      else if (pastWatermark(watermarks.high, diskUsed, free)) findings.push({ severity: 'critical', node: n.name, finding: `disk ${diskUsed}% used (${formatBytes(free)} free) past high watermark ${watermarks.high}: shards are moved away` });
      else if (pastWatermark(watermarks.low, diskUsed, free)) findings.push({ severity: 'warning', node: n.name, finding: `disk ${diskUsed}% used (${formatBytes(free)} free) past low watermark ${watermarks.low}: no new shards allocated here` });
      if (heap >= 85) findings.push({ severity: heap >= 95 ? 'critical' : 'warning', node: n.name, finding: `JVM heap ${heap}% used` });
      if (tripped > 0) findings.push({ severity: 'warning', node: n.name, finding: `${tripped} circuit-breaker trip(s) since start` });
      const pools = input.include_thread_pool
        ? Object.fromEntries(
            Object.entries(n.thread_pool ?? {})
              .filter(([pool, p]) => WATCHED_POOLS.includes(pool) || num(p.rejected) > 0)
              .map(([pool, p]) => [pool, { active: num(p.active), queue: num(p.queue), rejected: num(p.rejected) }]),
          )
        : undefined;
      for (const [pool, p] of Object.entries(pools ?? {})) {
        if (p.rejected > 0) findings.push({ severity: 'warning', node: n.name, finding: `${p.rejected} rejection(s) in thread pool ${pool}` });
      }
      return {
        name: n.name,
        roles: (n.roles ?? []).join(','),
        heap_used_percent: heap,
        heap_max: formatBytes(num(n.jvm?.mem?.heap_max_in_bytes)),
        disk_used_percent: diskUsed,
        disk_total: formatBytes(total),
        disk_free: formatBytes(free),
        cpu_percent: num(n.os?.cpu?.percent ?? n.process?.cpu?.percent),
        load_1m: Math.round(num(n.os?.cpu?.load_average?.['1m']) * 100) / 100,
        gc_young: { count: num(collectors.young?.collection_count), time_ms: num(collectors.young?.collection_time_in_millis) },
        gc_old: { count: num(collectors.old?.collection_count), time_ms: num(collectors.old?.collection_time_in_millis) },
        breakers_tripped: tripped,
        ...(pools ? { thread_pool: pools } : {}),
      };
    });
    // Nodes at risk first, so a bounded list never hides the one that matters.
    const risk = (n: (typeof nodes)[number]) => Math.max(n.heap_used_percent, n.disk_used_percent);
    nodes.sort((a, b) => risk(b) - risk(a) || a.name.localeCompare(b.name));
    findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));

    const status: 'green' | 'yellow' | 'red' = findings.some((f) => f.severity === 'critical') ? 'red' : findings.length ? 'yellow' : 'green';
    const maxHeap = Math.max(0, ...nodes.map((n) => n.heap_used_percent));
    const maxDisk = Math.max(0, ...nodes.map((n) => n.disk_used_percent));
    const recommendation: string[] = [];
    if (findings.some((f) => f.finding.includes('watermark') || f.finding.includes('flood_stage'))) {
      recommendation.push('Free disk or add capacity: delete/shrink old indices via ILM, add data nodes; check GET /_cat/allocation?v. After flood_stage, remove the index.blocks.read_only_allow_delete block once disk is freed (a write: run it yourself).');
    }
    if (findings.some((f) => f.finding.startsWith('JVM heap'))) {
      recommendation.push('High heap: look for heavy aggregations or too many shards per node (GET /_cat/shards?v, GET /_nodes/stats/jvm); reduce shard count or query cost before raising heap (max ~50% of RAM, < 31gb).');
    }
    if (findings.some((f) => f.finding.includes('circuit-breaker'))) recommendation.push('Breaker trips mean requests were refused to protect memory: find the expensive queries (GET /_tasks?detailed=true&actions=*search).');
    if (findings.some((f) => f.finding.includes('rejection'))) recommendation.push('Thread-pool rejections: the node is saturated; spread load (more replicas/nodes) or reduce concurrent heavy requests.');
    if (!findings.length) recommendation.push('All nodes within heap and disk limits; no action needed.');

    return {
      status,
      summary: `${nodes.length} node(s); max heap ${maxHeap}%, max disk ${maxDisk}% (watermarks ${watermarks.low}/${watermarks.high}/${watermarks.flood_stage}); ${findings.length} finding(s)`,
      metrics: { node_count: nodes.length, max_heap_used_percent: maxHeap, max_disk_used_percent: maxDisk, watermarks },
      findings: findings.slice(0, 20),
      nodes: nodes.slice(0, MAX_NODES),
      ...(nodes.length > MAX_NODES ? { truncated: true } : {}),
      recommendation,
    };
  },
});
