import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { sanitizeText } from '../../security/sanitize.js';
import { LOGSTASH } from '../../backends/logstash/module.js';
import type { FlowWindow, LogstashBackend, LogstashNodeStats, LogstashPipelineStats, LogstashPluginStats } from '../../backends/logstash/logstash.js';
import { defineTool, type ToolContext } from '../tool.js';
import { formatBytes, num } from './common.js';
import { sleep } from '../../core/sleep.js';

const MAX_PIPELINES = 20;
const MAX_FINDINGS = 20;
/** Below this an event rate is treated as zero. */
const IDLE_RATE = 0.01;
/** A stuck pipeline must be receiving at least this much (or have its inputs blocked), so a trickle awaiting its batch flush is not called stuck. */
const STUCK_MIN_INPUT_RATE = 2.5;
/** Inputs blocked pushing into the queue half of the time (queue_backpressure is "blocked input-time per wall-clock time"). */
const BACKPRESSURE = 0.5;
/** The second snapshot of Logstashes without flow metrics is taken this long after the first, at most. */
const SAMPLE_MS = 2000;

type Severity = 'critical' | 'warning';
interface Finding {
  severity: Severity;
  pipeline: string;
  finding: string;
}

const rates = z.object({
  input: z.number(),
  filter: z.number(),
  output: z.number(),
  backpressure: z.number(),
  worker_concurrency: z.number(),
});

const pipelineOut = z.object({
  id: z.string(),
  state: z.enum(['stuck', 'backpressured', 'flowing', 'idle']),
  events: z.object({ in: z.number(), filtered: z.number(), out: z.number() }),
  rates: rates.describe('events/s; backpressure and worker_concurrency as Logstash flow metrics define them').optional(),
  rate_source: z.enum(['flow_metrics', 'sampled']),
  workers: z.number().optional(),
  queue: z.object({ type: z.string(), events: z.number(), size: z.string().optional(), fill_percent: z.number().optional() }),
  reloads: z.object({ successes: z.number(), failures: z.number(), last_error: z.string().optional(), last_failure: z.string().optional() }),
  dlq: z.object({ size: z.string(), size_bytes: z.number(), growth_bytes_per_s: z.number().optional(), dropped_events: z.number().optional() }).optional(),
  bottleneck: z.object({ plugin: z.string(), id: z.string(), utilization_percent: z.number() }).optional(),
});
type PipelineOut = z.infer<typeof pipelineOut>;

function logstash(ctx: ToolContext): LogstashBackend {
  const backend = ctx.backends.first(LOGSTASH);
  if (!backend) throw new TelemcpError('backend_unavailable', 'No Logstash is configured.', { hint: 'Set LOGSTASH_URL (the monitoring API, port 9600) to enable elk_logstash_health.' });
  return backend;
}

/** A flow window's current value; "Infinity" (numerator moved, denominator did not) stays infinite. */
function flowNum(w: FlowWindow | undefined): number | undefined {
  const v = w?.current;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === 'Infinity') return Infinity;
  return undefined;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function text(value: unknown, max = 300): string | undefined {
  if (typeof value === 'string') return sanitizeText(value, max).text;
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') return sanitizeText((value as { message: string }).message, max).text;
  return undefined;
}


const hasFlow = (p: LogstashPipelineStats) => flowNum(p.flow?.output_throughput) !== undefined;
const dlqBytes = (p: LogstashPipelineStats | undefined) => num(p?.dead_letter_queue?.queue_size_in_bytes);
const pluginLabel = (p: LogstashPluginStats) => `${p.name ?? 'plugin'} (${p.id.slice(0, 40)})`;

interface Rates {
  input: number;
  filter: number;
  output: number;
  backpressure: number;
  worker_concurrency: number;
}

/** Rates from the flow metrics (8.5+), or the same quantities from two snapshots `seconds` apart. */
function ratesOf(now: LogstashPipelineStats, before: LogstashPipelineStats | undefined, seconds: number): Rates | undefined {
  if (hasFlow(now)) {
    const f = now.flow ?? {};
    return {
      input: flowNum(f.input_throughput) ?? 0,
      filter: flowNum(f.filter_throughput) ?? 0,
      output: flowNum(f.output_throughput) ?? 0,
      backpressure: flowNum(f.queue_backpressure) ?? 0,
      worker_concurrency: flowNum(f.worker_concurrency) ?? 0,
    };
  }
  if (!before || seconds <= 0) return undefined;
  const d = (key: 'in' | 'filtered' | 'out' | 'queue_push_duration_in_millis' | 'duration_in_millis') => Math.max(0, num(now.events?.[key]) - num(before.events?.[key]));
  return {
    input: d('in') / seconds,
    filter: d('filtered') / seconds,
    output: d('out') / seconds,
    backpressure: d('queue_push_duration_in_millis') / (seconds * 1000),
    worker_concurrency: d('duration_in_millis') / (seconds * 1000),
  };
}

/** The filter or output using the most worker time: where a slow or blocked pipeline spends it. */
function bottleneckOf(now: LogstashPipelineStats, before: LogstashPipelineStats | undefined, seconds: number): PipelineOut['bottleneck'] {
  const workers = Math.max(1, num(now.pipeline?.workers));
  const previous = new Map([...(before?.plugins?.filters ?? []), ...(before?.plugins?.outputs ?? [])].map((p) => [p.id, p]));
  let best: PipelineOut['bottleneck'];
  for (const plugin of [...(now.plugins?.filters ?? []), ...(now.plugins?.outputs ?? [])]) {
    let utilization = flowNum(plugin.flow?.worker_utilization);
    // Worker time spent with no event completing: the plugin is blocked (documented meaning of "Infinity").
    if (flowNum(plugin.flow?.worker_millis_per_event) === Infinity) utilization = 100;
    if (utilization === undefined && before && seconds > 0) {
      const spent = num(plugin.events?.duration_in_millis) - num(previous.get(plugin.id)?.events?.duration_in_millis);
      utilization = (Math.max(0, spent) / (seconds * 1000 * workers)) * 100;
    }
    if (utilization === undefined || !Number.isFinite(utilization)) continue;
    if (!best || utilization > best.utilization_percent) best = { plugin: plugin.name ?? 'plugin', id: plugin.id.slice(0, 40), utilization_percent: round(Math.min(100, utilization), 1) };
  }
  return best && best.utilization_percent >= 1 ? best : undefined;
}

export const elkLogstashHealth = defineTool({
  name: 'elk_logstash_health',
  title: 'Logstash health',
  description:
    'Logstash pipelines: events in/filtered/out, rates, queue and backpressure, reload failures, dead-letter queue, output errors, JVM heap. Flags stuck pipelines and the busiest plugin.',
  readme: 'Logstash monitoring API: per pipeline events in/filtered/out, flow rates, queue and backpressure, reload failures, DLQ, JVM heap; stuck pipelines — with `LOGSTASH_URL`',
  toolset: 'logstash',
  requires: [LOGSTASH],
  leastRole: 'elk_operator',
  input: z
    .object({
      pipeline_id: z
        .string()
        .min(1)
        .max(128)
        .regex(/^[^\s\u0000-\u001f]+$/, 'a pipeline id has no whitespace or control characters')
        .optional()
        .describe('Only this pipeline, e.g. main. Default: all'),
    })
    .strict(),
  output: z.object({
    status: z.enum(['green', 'yellow', 'red']),
    summary: z.string(),
    metrics: z.object({
      version: z.string(),
      health: z.string().optional(),
      pipelines: z.number(),
      heap_used_percent: z.number(),
      heap_max: z.string(),
      uptime_minutes: z.number(),
      flow_metrics: z.boolean(),
      sampled_ms: z.number().optional(),
    }),
    findings: z.array(z.object({ severity: z.enum(['critical', 'warning']), pipeline: z.string(), finding: z.string() })),
    pipelines: z.array(pipelineOut),
    truncated: z.boolean().optional(),
    recommendation: z.array(z.string()),
  }),
  async handler(input, ctx) {
    const ls = logstash(ctx);
    const first = await ls.nodeStats(ctx.signal);
    const all = first.pipelines ?? {};
    const ids = input.pipeline_id ? [input.pipeline_id] : Object.keys(all).sort();
    if (input.pipeline_id && !all[input.pipeline_id]) {
      const known = Object.keys(all).sort();
      throw new TelemcpError('invalid_input', `Logstash has no pipeline ${JSON.stringify(input.pipeline_id)}.`, {
        hint: known.length ? `Use one of: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''}; or omit pipeline_id.` : 'This Logstash runs no pipeline; omit pipeline_id.',
      });
    }

    // Without flow metrics (before 8.5) rates need two snapshots; a non-empty DLQ needs them to tell growth from an old backlog.
    let second: LogstashNodeStats | undefined;
    let seconds = 0;
    const needSample = ids.some((id) => !hasFlow(all[id]) || dlqBytes(all[id]) > 0);
    if (needSample) {
      const interval = Math.min(SAMPLE_MS, Math.max(200, Math.floor(ctx.config.BACKEND_TIMEOUT_MS / 4)));
      const started = Date.now();
      await sleep(interval, ctx.signal);
      second = await ls.nodeStats(ctx.signal);
      seconds = (Date.now() - started) / 1000;
    }
    const latest = second ?? first;
    const before = second ? first : undefined;

    const findings: Finding[] = [];
    const advice = new Set<string>();
    const pipelines: PipelineOut[] = [];
    for (const id of ids) {
      const now = latest.pipelines?.[id] ?? all[id];
      pipelines.push(analysePipeline(id, now, before?.pipelines?.[id], seconds, findings, advice));
    }
    analyseNode(latest, findings, advice);

    findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
    const rank = (p: PipelineOut) => ({ stuck: 0, backpressured: 1, flowing: 2, idle: 3 })[p.state] - (findings.some((f) => f.pipeline === p.id) ? 0.5 : 0);
    pipelines.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
    const status: 'green' | 'yellow' | 'red' = findings.some((f) => f.severity === 'critical') ? 'red' : findings.length ? 'yellow' : 'green';
    const stuck = pipelines.filter((p) => p.state === 'stuck').length;
    const idle = pipelines.filter((p) => p.state === 'idle').length;
    const heap = num(latest.jvm?.mem?.heap_used_percent);
    if (!findings.length) advice.add(idle === pipelines.length && pipelines.length ? 'No events are flowing: every pipeline is idle. If data is expected, check the inputs (Beats clients connected to the beats input, upstream sources).' : 'Logstash pipelines are flowing; no action needed.');

    return {
      status,
      summary: `Logstash ${latest.host ?? latest.name ?? ''} ${latest.version ?? ''}: ${ids.length} pipeline(s)${stuck ? `, ${stuck} STUCK` : ''}${idle ? `, ${idle} idle` : ''}; heap ${heap}%; ${findings.length} finding(s)`.replace(/\s+/g, ' '),
      metrics: {
        version: latest.version ?? 'unknown',
        ...(latest.status ? { health: latest.status } : {}),
        pipelines: ids.length,
        heap_used_percent: heap,
        heap_max: formatBytes(num(latest.jvm?.mem?.heap_max_in_bytes)),
        uptime_minutes: Math.round(num(latest.jvm?.uptime_in_millis) / 60_000),
        flow_metrics: ids.some((id) => hasFlow(latest.pipelines?.[id] ?? {})),
        ...(second ? { sampled_ms: Math.round(seconds * 1000) } : {}),
      },
      findings: findings.slice(0, MAX_FINDINGS),
      pipelines: pipelines.slice(0, MAX_PIPELINES),
      ...(pipelines.length > MAX_PIPELINES || findings.length > MAX_FINDINGS ? { truncated: true } : {}),
      recommendation: [...advice],
    };
  },
});

function analysePipeline(id: string, now: LogstashPipelineStats, before: LogstashPipelineStats | undefined, seconds: number, findings: Finding[], advice: Set<string>): PipelineOut {
  const add = (severity: Severity, finding: string) => findings.push({ severity, pipeline: id, finding });
  const r = ratesOf(now, before, seconds);
  const bottleneck = bottleneckOf(now, before, seconds);
  const queue = now.queue ?? {};
  const queueEvents = num(queue.events_count ?? queue.events);
  const queueBytes = num(queue.queue_size_in_bytes ?? queue.capacity?.queue_size_in_bytes);
  const queueMax = num(queue.max_queue_size_in_bytes ?? queue.capacity?.max_queue_size_in_bytes);
  const persisted = queue.type === 'persisted';
  const pqGrowing = num(flowNum(now.flow?.queue_persisted_growth_events)) > 0;
  const where = bottleneck ? ` The busiest plugin is ${bottleneck.plugin} (${bottleneck.id}) at ${bottleneck.utilization_percent}% of worker time.` : '';

  let state: PipelineOut['state'] = 'flowing';
  if (r) {
    const outputStopped = r.output <= IDLE_RATE;
    if (outputStopped && (r.input >= STUCK_MIN_INPUT_RATE || r.backpressure >= BACKPRESSURE || (persisted && pqGrowing))) state = 'stuck';
    else if (r.backpressure >= BACKPRESSURE) state = 'backpressured';
    else if (r.input <= IDLE_RATE && outputStopped) state = 'idle';
  }
  if (state === 'stuck') {
    add('critical', `pipeline stuck: ${round(r?.input ?? 0)} events/s in, ${round(r?.output ?? 0)} out, backpressure ${round(r?.backpressure ?? 0)}; ${num(now.events?.in) - num(now.events?.out)} events in flight.${where}`);
    advice.add(
      `Pipeline ${id} is stuck (events in, none out): check its output${bottleneck ? ` ${bottleneck.plugin}` : ''} — is the destination reachable and accepting (Elasticsearch 429s, disk watermark, read-only block: elk_cluster_health, elk_nodes_stats)? Read the Logstash log for output retry errors. After the output drains, raise pipeline.workers or use a persisted queue (queue.type: persisted) in pipelines.yml to absorb bursts.`,
    );
  } else if (state === 'backpressured') {
    add('warning', `inputs blocked ${Math.round((r?.backpressure ?? 0) * 100)}% of the time pushing into the queue (backpressure ${round(r?.backpressure ?? 0)}); filters/outputs are the limit.${where}`);
    advice.add(`Pipeline ${id} is backpressured: its filters/outputs cannot keep up${bottleneck ? ` (busiest: ${bottleneck.plugin})` : ''}. Scale the destination or raise pipeline.workers / pipeline.batch.size step by step; for pulling inputs (kafka, jdbc) some backpressure is normal.`);
  }

  if (persisted && queueMax > 0) {
    const fill = queueBytes / queueMax;
    if (fill >= 0.9) add('critical', `persistent queue ${Math.round(fill * 100)}% full (${formatBytes(queueBytes)} of ${formatBytes(queueMax)}): inputs block when it is full`);
    else if (fill >= 0.7) add('warning', `persistent queue ${Math.round(fill * 100)}% full (${formatBytes(queueBytes)} of ${formatBytes(queueMax)})`);
    if (fill >= 0.7) advice.add('A persistent queue is filling: drain it by fixing the slow output first; raise queue.max_bytes only with disk to spare.');
  }

  const reloads = now.reloads ?? {};
  const lastError = text(reloads.last_error);
  const lastFailure = typeof reloads.last_failure_timestamp === 'string' ? reloads.last_failure_timestamp : undefined;
  const lastSuccess = typeof reloads.last_success_timestamp === 'string' ? reloads.last_success_timestamp : undefined;
  if (num(reloads.failures) > 0 && (!lastSuccess || !lastFailure || Date.parse(lastFailure) >= Date.parse(lastSuccess))) {
    add('warning', `latest config reload failed (${num(reloads.failures)} failure(s)${lastFailure ? `, last at ${lastFailure}` : ''})${lastError ? `: ${lastError}` : ''}; the previous config is still running`);
    advice.add(`Fix the configuration error of pipeline ${id} (see last_error) and validate it with bin/logstash --config.test_and_exit -f <file> before the next reload; until a reload succeeds the old config keeps running.`);
  }

  let dlq: PipelineOut['dlq'];
  if (now.dead_letter_queue) {
    const size = dlqBytes(now);
    const growth = before ? (size - dlqBytes(before)) / Math.max(seconds, 0.001) : undefined;
    const dropped = now.dead_letter_queue.dropped_events;
    dlq = { size: formatBytes(size), size_bytes: size, ...(growth !== undefined ? { growth_bytes_per_s: round(growth, 1) } : {}), ...(dropped !== undefined ? { dropped_events: num(dropped) } : {}) };
    if (num(dropped) > 0) {
      add('critical', `dead-letter queue full: ${num(dropped)} event(s) dropped (${now.dead_letter_queue.storage_policy ?? 'drop_newer'})${text(now.dead_letter_queue.last_error) ? `: ${text(now.dead_letter_queue.last_error)}` : ''}`);
      advice.add('The DLQ is full and drops events: process it (dead_letter_queue input with clean_consumed => true) or raise dead_letter_queue.max_bytes.');
    }
    if (growth !== undefined && growth > 0) add('warning', `dead-letter queue growing ${round(growth, 1)} bytes/s (now ${formatBytes(size)}): events are being rejected by the output right now`);
    else if (size > 0) add('warning', `dead-letter queue holds ${formatBytes(size)} of events the output could not index`);
    if (size > 0) {
      advice.add(
        `Read the DLQ of ${id} with a dead_letter_queue input pipeline: each event's reason names the rejection (usually a mapping conflict, status 400). Fix the mapping or the event, reprocess, then clear the DLQ (stop the pipeline, delete path.data/dead_letter_queue/${id}) — telemcp never does that.`,
      );
    }
  }

  for (const output of now.plugins?.outputs ?? []) {
    const prev = before?.plugins?.outputs?.find((p) => p.id === output.id);
    const rejected = num(output.documents?.non_retryable_failures);
    const failedRequests = num(output.bulk_requests?.failures);
    const failingNow = prev !== undefined && failedRequests > num(prev.bulk_requests?.failures);
    const throttled = num(output.bulk_requests?.responses?.['429']);
    if (rejected > 0) {
      add('warning', `output ${pluginLabel(output)} rejected ${rejected} document(s) permanently (non-retryable, e.g. mapping errors)`);
      advice.add('Documents were rejected permanently by Elasticsearch: look for mapper_parsing_exception in the Logstash log or the DLQ reason, and fix the index mapping or the event fields.');
    }
    if (failedRequests > 0) add(failingNow ? 'critical' : 'warning', `output ${pluginLabel(output)}: ${failedRequests} bulk request(s) failed to reach the destination${failingNow ? ', still failing' : ' since start'}`);
    if (throttled > 0) {
      add('warning', `output ${pluginLabel(output)}: ${throttled} bulk request(s) answered 429 (destination overloaded)`);
      advice.add('Elasticsearch answered 429 to bulk requests: indexing pressure; check write thread-pool rejections with elk_nodes_stats include_thread_pool, and lower pipeline.workers × batch size or add data nodes.');
    }
    if (failedRequests > 0) advice.add('Bulk requests to the output failed: check that the destination is reachable from Logstash (hosts, credentials, TLS) and read the Logstash log for the connection error.');
  }
  for (const filter of now.plugins?.filters ?? []) {
    if (num(filter.failures) > 0) {
      add('warning', `filter ${pluginLabel(filter)} failed on ${num(filter.failures)} event(s) (tagged, e.g. _grokparsefailure)`);
      advice.add('A filter fails on events (e.g. grok patterns that do not match): test the pattern against sample lines and search the output for the failure tag.');
    }
  }

  return {
    id,
    state,
    events: { in: num(now.events?.in), filtered: num(now.events?.filtered), out: num(now.events?.out) },
    ...(r ? { rates: { input: round(r.input), filter: round(r.filter), output: round(r.output), backpressure: round(r.backpressure, 3), worker_concurrency: round(r.worker_concurrency, 3) } } : {}),
    rate_source: hasFlow(now) ? 'flow_metrics' : 'sampled',
    ...(now.pipeline?.workers !== undefined ? { workers: num(now.pipeline.workers) } : {}),
    queue: { type: queue.type ?? 'memory', events: queueEvents, ...(persisted ? { size: formatBytes(queueBytes) } : {}), ...(persisted && queueMax > 0 ? { fill_percent: round((queueBytes / queueMax) * 100, 1) } : {}) },
    reloads: { successes: num(reloads.successes), failures: num(reloads.failures), ...(lastError ? { last_error: lastError } : {}), ...(lastFailure ? { last_failure: lastFailure } : {}) },
    ...(dlq ? { dlq } : {}),
    // The busiest plugin matters when the pipeline struggles; on a healthy one it is noise.
    ...(bottleneck && (state === 'stuck' || state === 'backpressured' || bottleneck.utilization_percent >= 50) ? { bottleneck } : {}),
  };
}

function analyseNode(stats: LogstashNodeStats, findings: Finding[], advice: Set<string>): void {
  const heap = num(stats.jvm?.mem?.heap_used_percent);
  if (heap >= 85) {
    findings.push({ severity: heap >= 95 ? 'critical' : 'warning', pipeline: '(node)', finding: `JVM heap ${heap}% used of ${formatBytes(num(stats.jvm?.mem?.heap_max_in_bytes))}` });
    advice.add('Logstash heap pressure: raise -Xms/-Xmx in jvm.options (at most half the RAM), lower pipeline.batch.size × pipeline.workers, and review memory-heavy filters (aggregate, translate, large lookups).');
  }
  const fds = num(stats.process?.open_file_descriptors);
  const maxFds = num(stats.process?.max_file_descriptors);
  if (maxFds > 0 && fds / maxFds >= 0.9) {
    findings.push({ severity: 'warning', pipeline: '(node)', finding: `${fds} of ${maxFds} file descriptors open` });
    advice.add('Logstash is near its file-descriptor limit: raise LimitNOFILE / ulimit -n for the Logstash service.');
  }
  if (stats.status === 'yellow' || stats.status === 'red') {
    findings.push({ severity: stats.status === 'red' ? 'critical' : 'warning', pipeline: '(node)', finding: `Logstash reports its own health as ${stats.status}` });
    advice.add("Logstash's health report explains its status: GET http://logstash:9600/_health_report (read-only) lists the diagnosis per pipeline.");
  }
}
