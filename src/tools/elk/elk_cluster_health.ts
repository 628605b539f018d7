import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { HEAP_HIGH_PERCENT, WATERMARK_SETTINGS_QUERY, diskStage, resolveWatermarks, type WatermarkSettings } from '../../analysis/recommend/disk.js';
import { SEVERITIES, globalBlockName, indexBlockName, recommend } from '../../analysis/recommend/index.js';
import { isVisibleConcreteIndex } from '../../backends/elasticsearch/index-guard.js';
import { evidenceOut } from '../advice/elk_recommend_fix.js';
import { SEARCH_ENGINE } from '../../backends/elasticsearch/module.js';
import { defineTool } from '../tool.js';
import { formatBytes, num, pct, searchEngine } from './common.js';

interface ClusterHealth {
  cluster_name: string;
  status: 'green' | 'yellow' | 'red';
  timed_out: boolean;
  number_of_nodes: number;
  number_of_data_nodes: number;
  active_primary_shards: number;
  active_shards: number;
  relocating_shards: number;
  initializing_shards: number;
  unassigned_shards: number;
  /** Elasticsearch 8.16+. */
  unassigned_primary_shards?: number;
  delayed_unassigned_shards: number;
  number_of_pending_tasks: number;
  task_max_waiting_in_queue_millis?: number;
  active_shards_percent_as_number: number;
}

interface CatShard {
  index: string;
  shard: string;
  prirep: 'p' | 'r';
  state: string;
  'unassigned.reason'?: string;
}

interface AllocationExplain {
  can_allocate?: string;
  allocate_explanation?: string;
  unassigned_info?: { reason?: string; details?: string; last_allocation_status?: string };
  node_allocation_decisions?: { node_name?: string; deciders?: { decider?: string; decision?: string; explanation?: string }[] }[];
}

interface NodeStats {
  name?: string;
  jvm?: { mem?: { heap_used_percent?: number } };
  fs?: { total?: { total_in_bytes?: number; available_in_bytes?: number } };
  breakers?: Record<string, { tripped?: number }>;
}

type Block = { description?: string };
interface ClusterBlocks {
  blocks?: { global?: Record<string, Block>; indices?: Record<string, Record<string, Block>> };
}

const MAX_EXPLAINED = 5;
const MAX_LISTED = 20;
const MAX_NODES = 10;
const MAX_PENDING = 5;
const MAX_BLOCKED = 20;
const MAX_DIAGNOSIS = 10;

const unassignedShard = z.object({
  index: z.string(),
  shard: z.number(),
  primary: z.boolean(),
  reason: z.string(),
  can_allocate: z.string().optional(),
  explanation: z.string().optional(),
  blocking_deciders: z.array(z.object({ decider: z.string(), explanation: z.string() })).optional(),
});
const nodeAtRisk = z.object({
  name: z.string(),
  disk_used_percent: z.number(),
  disk_free: z.string(),
  disk_free_bytes: z.number(),
  heap_used_percent: z.number(),
  breakers_tripped: z.number(),
});
const pendingTask = z.object({ source: z.string(), priority: z.string(), time_in_queue_ms: z.number() });
const diagnosis = z.object({
  rank: z.number(),
  id: z.string(),
  severity: z.enum(SEVERITIES),
  finding: z.string(),
  evidence: z.array(evidenceOut),
  check: z.string(),
  fix: z.string(),
});

type Engine = ReturnType<typeof searchEngine>;

export const elkClusterHealth = defineTool({
  name: 'elk_cluster_health',
  title: 'Elasticsearch cluster health',
  description:
    'Cluster status (green/yellow/red) and why. Ranked causes (unassigned shards with allocation explain, disk watermarks, heap, breakers, pending tasks, index blocks), each with evidence, a read-only check and a safe fix.',
  readme: 'the doctor for "why is my cluster yellow/red": status, one-line summary, shard metrics, per unassigned shard its reason and blocking decider (allocation explain), disk watermarks, heap and breaker trips, pending tasks, index blocks — a ranked `diagnosis` with fix steps',
  toolset: 'elk',
  requires: [SEARCH_ENGINE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      include_shards: z.boolean().default(false).describe('List unassigned shards with their allocation explanation even when the cluster is green'),
    })
    .strict(),
  output: z.object({
    status: z.enum(['green', 'yellow', 'red']),
    summary: z.string(),
    metrics: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    unassigned_shards: z.array(unassignedShard).optional(),
    unassigned_outside_allowlist: z.number().optional(),
    watermarks: z.object({ low: z.string(), high: z.string(), flood_stage: z.string() }).optional(),
    nodes: z.array(nodeAtRisk).optional(),
    pending_tasks: z.array(pendingTask).optional(),
    index_blocks: z.array(z.object({ index: z.string(), blocks: z.array(z.string()) })).optional(),
    index_blocks_outside_allowlist: z.number().optional(),
    cluster_blocks: z.array(z.string()).optional(),
    checks_failed: z.array(z.string()).optional(),
    truncated: z.boolean().optional(),
    diagnosis: z.array(diagnosis),
    recommendation: z.array(z.string()),
  }),
  async handler(input, ctx) {
    const es = searchEngine(ctx);
    const allow = ctx.config.ALLOWED_INDEX_PATTERNS;
    const [health, info] = await Promise.all([es.get<ClusterHealth>('/_cluster/health', ctx.signal), es.info(ctx.signal)]);
    const metrics: Record<string, string | number> = {
      cluster_name: health.cluster_name,
      engine: `${info.kind} ${info.version}`,
      number_of_nodes: num(health.number_of_nodes),
      number_of_data_nodes: num(health.number_of_data_nodes),
      active_primary_shards: num(health.active_primary_shards),
      active_shards: num(health.active_shards),
      relocating_shards: num(health.relocating_shards),
      initializing_shards: num(health.initializing_shards),
      unassigned_shards: num(health.unassigned_shards),
      ...(health.unassigned_primary_shards !== undefined ? { unassigned_primary_shards: num(health.unassigned_primary_shards) } : {}),
      delayed_unassigned_shards: num(health.delayed_unassigned_shards),
      number_of_pending_tasks: num(health.number_of_pending_tasks),
      task_max_waiting_in_queue_ms: num(health.task_max_waiting_in_queue_millis),
      active_shards_percent: Math.round(num(health.active_shards_percent_as_number) * 10) / 10,
    };
    const failed: string[] = [];
    const wantShards = num(health.unassigned_shards) > 0 || input.include_shards;
    // Each check is independent: one the credentials may not run must not hide the others.
    const [shards, nodes, pending, blocks] = await Promise.all([
      wantShards ? bestEffort('unassigned shards', failed, () => unassignedShards(es, allow, ctx.signal)) : undefined,
      bestEffort('nodes', failed, () => nodesAtRisk(es, ctx.signal)),
      num(health.number_of_pending_tasks) > 0 ? bestEffort('pending tasks', failed, () => pendingTasks(es, ctx.signal)) : undefined,
      bestEffort('index blocks', failed, () => clusterBlocks(es, allow, ctx.signal)),
    ]);

    const truncated = Boolean(shards?.truncated || nodes?.truncated || pending?.truncated || blocks?.truncated);
    const base = {
      status: health.status,
      summary: `Cluster ${health.cluster_name} status=${health.status}, nodes=${metrics.number_of_nodes}, unassigned_shards=${metrics.unassigned_shards}`,
      metrics,
      ...(shards ? { unassigned_shards: shards.listed } : {}),
      ...(shards?.outside ? { unassigned_outside_allowlist: shards.outside } : {}),
      ...(nodes ? { watermarks: nodes.watermarks } : {}),
      ...(nodes?.atRisk.length ? { nodes: nodes.atRisk } : {}),
      ...(pending?.tasks.length ? { pending_tasks: pending.tasks } : {}),
      ...(blocks?.indices.length ? { index_blocks: blocks.indices } : {}),
      ...(blocks?.outside ? { index_blocks_outside_allowlist: blocks.outside } : {}),
      ...(blocks?.global.length ? { cluster_blocks: blocks.global } : {}),
      ...(failed.length ? { checks_failed: failed } : {}),
      ...(truncated ? { truncated } : {}),
    };
    // The diagnosis is the rule library run on this very output, so elk_recommend_fix given
    // the same output reaches the same findings with the same fixes.
    const advice = recommend(base, { max: MAX_DIAGNOSIS });
    const ranked = advice.recommendations.map((r, i) => ({ rank: i + 1, id: r.id, severity: r.severity, finding: r.title, evidence: r.evidence, check: r.check, fix: r.fix }));
    const recommendation = ranked.length ? [...new Set(ranked.map((d) => d.fix))] : ['Cluster is healthy; no action needed.'];
    return {
      ...base,
      summary: ranked.length ? `${base.summary}; top finding: ${ranked[0].finding}` : base.summary,
      ...(advice.truncated ? { truncated: true } : {}),
      diagnosis: ranked,
      recommendation,
    };
  },
});

/** Runs one diagnostic check; a backend refusal (privileges, an engine without the API) is noted, not fatal. */
async function bestEffort<T>(name: string, failed: string[], run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof TelemcpError) || err.code !== 'backend_error') throw err;
    failed.push(`${name}: ${err.message.slice(0, 160)}`);
    return undefined;
  }
}

async function unassignedShards(es: Engine, allow: readonly string[], signal: AbortSignal) {
  const shards = await es.get<CatShard[]>('/_cat/shards', signal, { format: 'json', h: 'index,shard,prirep,state,unassigned.reason' });
  const unassigned = shards.filter((s) => s.state === 'UNASSIGNED');
  // Names of indices outside the allowlist are metadata too: count them, never name them.
  const visible = unassigned.filter((s) => isVisibleConcreteIndex(s.index, allow));
  visible.sort((a, b) => (a.prirep === b.prirep ? a.index.localeCompare(b.index) : a.prirep === 'p' ? -1 : 1));
  const listed: z.infer<typeof unassignedShard>[] = [];
  for (const [i, s] of visible.slice(0, MAX_LISTED).entries()) {
    const entry: z.infer<typeof unassignedShard> = { index: s.index, shard: Number(s.shard), primary: s.prirep === 'p', reason: s['unassigned.reason'] ?? 'unknown' };
    if (i < MAX_EXPLAINED) Object.assign(entry, await explain(es, s, signal));
    listed.push(entry);
  }
  return { listed, outside: unassigned.length - visible.length, truncated: visible.length > MAX_LISTED };
}

async function explain(es: Engine, shard: CatShard, signal: AbortSignal): Promise<Partial<z.infer<typeof unassignedShard>>> {
  let res: AllocationExplain;
  try {
    res = await es.post<AllocationExplain>('/_cluster/allocation/explain', { index: shard.index, shard: Number(shard.shard), primary: shard.prirep === 'p' }, signal);
  } catch (err) {
    // The index can be deleted (ILM, a cleanup job) between _cat/shards and this call: one
    // vanished shard must not fail the whole health report.
    const status = err instanceof TelemcpError ? (err.details as { backend_status?: number } | undefined)?.backend_status : undefined;
    if (status === 404 || status === 400) return { explanation: 'The shard changed while it was being explained (index deleted or shard allocated); run the tool again for a fresh view.' };
    throw err;
  }
  const blocking = new Map<string, string>();
  for (const node of res.node_allocation_decisions ?? []) {
    for (const d of node.deciders ?? []) {
      if (d.decision === 'NO' && d.decider && !blocking.has(d.decider)) blocking.set(d.decider, (d.explanation ?? '').slice(0, 300));
    }
  }
  // The generic allocate_explanation only matters when no decider says why.
  return {
    reason: res.unassigned_info?.reason ?? shard['unassigned.reason'] ?? 'unknown',
    can_allocate: res.can_allocate,
    ...(blocking.size ? { blocking_deciders: [...blocking].slice(0, 3).map(([decider, explanation]) => ({ decider, explanation })) } : { explanation: res.allocate_explanation?.slice(0, 300) }),
  };
}

/** Nodes past a disk watermark, with heap above HEAP_HIGH_PERCENT, or with breaker trips; worst first. */
async function nodesAtRisk(es: Engine, signal: AbortSignal) {
  const [stats, settings] = await Promise.all([
    es.get<{ nodes?: Record<string, NodeStats> }>('/_nodes/stats/jvm,fs,breaker', signal, {
      filter_path: 'nodes.*.name,nodes.*.jvm.mem.heap_used_percent,nodes.*.fs.total,nodes.*.breakers.*.tripped',
    }),
    es.get<WatermarkSettings>('/_cluster/settings', signal, WATERMARK_SETTINGS_QUERY),
  ]);
  const watermarks = resolveWatermarks(settings);
  const all = Object.values(stats.nodes ?? {}).map((n) => {
    const total = num(n.fs?.total?.total_in_bytes);
    const free = num(n.fs?.total?.available_in_bytes);
    return {
      name: n.name ?? 'unknown',
      disk_used_percent: pct(total - free, total),
      disk_free: formatBytes(free),
      disk_free_bytes: free,
      heap_used_percent: num(n.jvm?.mem?.heap_used_percent),
      breakers_tripped: Object.values(n.breakers ?? {}).reduce((sum, b) => sum + num(b.tripped), 0),
    };
  });
  const hasDisk = (n: (typeof all)[number]) => n.disk_free_bytes > 0 || n.disk_used_percent > 0;
  const atRisk = all.filter((n) => (hasDisk(n) && diskStage(watermarks, n.disk_used_percent, n.disk_free_bytes)) || n.heap_used_percent > HEAP_HIGH_PERCENT || n.breakers_tripped > 0);
  atRisk.sort((a, b) => Math.max(b.disk_used_percent, b.heap_used_percent) - Math.max(a.disk_used_percent, a.heap_used_percent) || a.name.localeCompare(b.name));
  return { watermarks, atRisk: atRisk.slice(0, MAX_NODES), truncated: atRisk.length > MAX_NODES };
}

/** The longest-waiting cluster tasks. Sources are cut to their action, since they can name any index. */
async function pendingTasks(es: Engine, signal: AbortSignal) {
  const res = await es.get<{ tasks?: { priority?: string; source?: string; time_in_queue_millis?: number }[] }>('/_cluster/pending_tasks', signal, {
    filter_path: 'tasks.priority,tasks.source,tasks.time_in_queue_millis',
  });
  const tasks = (res.tasks ?? [])
    .map((t) => ({ source: actionOf(t.source ?? ''), priority: t.priority ?? 'unknown', time_in_queue_ms: num(t.time_in_queue_millis) }))
    .sort((a, b) => b.time_in_queue_ms - a.time_in_queue_ms);
  return { tasks: tasks.slice(0, MAX_PENDING), truncated: tasks.length > MAX_PENDING };
}

function actionOf(source: string): string {
  return (/^[^[{"'/:,]*/.exec(source)?.[0] ?? '').trim().slice(0, 60) || 'unknown';
}

/** Index and cluster-wide blocks; closed indices are a state, not a problem, and are left out. */
async function clusterBlocks(es: Engine, allow: readonly string[], signal: AbortSignal) {
  const res = await es.get<ClusterBlocks>('/_cluster/state/blocks', signal, { filter_path: 'blocks' });
  const global = [...new Set(Object.values(res.blocks?.global ?? {}).map((b) => (b.description ?? '').slice(0, 80)).filter(Boolean))];
  const visible: { index: string; blocks: string[] }[] = [];
  let outside = 0;
  for (const [index, byId] of Object.entries(res.blocks?.indices ?? {})) {
    const names = [...new Set(Object.entries(byId).map(([id, b]) => indexBlockName(id, b.description ?? '')))].filter((b) => b !== 'closed');
    if (!names.length) continue;
    if (isVisibleConcreteIndex(index, allow)) visible.push({ index, blocks: names.sort() });
    else outside += 1;
  }
  visible.sort((a, b) => a.index.localeCompare(b.index));
  return { global: global.map((d) => globalBlockDescription(d)), indices: visible.slice(0, MAX_BLOCKED), outside, truncated: visible.length > MAX_BLOCKED };
}

/** Global blocks are listed by name and description ("no_master: no master"), which the rules read back. */
function globalBlockDescription(description: string): string {
  return `${globalBlockName(description)}: ${description}`;
}
