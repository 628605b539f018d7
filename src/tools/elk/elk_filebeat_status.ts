import { z } from 'zod';
import { TelemcpError, toTelemcpError } from '../../core/errors.js';
import { SearchEngine } from '../../backends/elasticsearch/search-engine.js';
import type { BeatInfo, BeatStats, BeatsStatsBackend } from '../../backends/beats/beats.js';
import { BEATS } from '../../backends/beats/module.js';
import { sanitizeText } from '../../security/sanitize.js';
import { defineTool, target, type ToolContext } from '../tool.js';
import { INDEX_GUARD, SEARCH_ENGINE } from '../../backends/elasticsearch/module.js';
import { num, searchEngine } from './common.js';

/** Fields that name the shipping host, most specific first (ECS; agent.hostname is Filebeat 7.x). */
const HOST_FIELDS = ['host.name', 'agent.hostname', 'agent.name', 'agent.id'] as const;
/** Terms buckets asked for; hosts beyond it are counted (cardinality), the stalest are kept. */
const MAX_HOSTS = 500;
const MAX_LISTED = 50;
const MAX_REPORTING_LISTED = 20;
/** Most recent events sampled for ingest lag (event.ingested − @timestamp). */
const LAG_SAMPLE = 200;
const MINUTE = 60_000;

type FieldCaps = { fields?: Record<string, Record<string, { type?: string; aggregatable?: boolean }>> };
interface HostBucket {
  key: string | number;
  doc_count: number;
  last?: { value?: number | null; value_as_string?: string };
  in_window?: { doc_count?: number };
  last_ingested?: { value?: number | null };
}
interface HostsResponse {
  hits?: { total?: number | { value: number } };
  aggregations?: {
    host_count?: { value?: number };
    no_host?: { doc_count?: number };
    in_window?: { doc_count?: number };
    hosts?: { buckets?: HostBucket[]; sum_other_doc_count?: number };
  };
}
interface LagResponse {
  hits?: { hits?: { fields?: Record<string, unknown[]> }[] };
}

const hostOut = z.object({
  host: z.string(),
  last_event: z.string(),
  minutes_ago: z.number(),
  docs_in_window: z.number(),
  last_ingested_minutes_ago: z.number().optional(),
});
/** One Beat's publisher counters since it started (flat: the model reads them as one line). */
const beatStatsOut = z.object({
  name: z.string().optional(),
  version: z.string().optional(),
  uptime_minutes: z.number().optional(),
  output_type: z.string().optional(),
  acked: z.number().optional(),
  failed: z.number().optional(),
  dropped: z.number().optional(),
  pending: z.number().optional(),
  queue_filled_percent: z.number().optional(),
  harvesters_running: z.number().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
type BeatStatsOut = z.infer<typeof beatStatsOut>;
type Finding = { severity: 'critical' | 'warning'; host: string; finding: string };

/** The field to group by: the caller's, else the first host field every matching index can aggregate. */
function pickHostField(caps: FieldCaps, wanted: string | undefined): string | undefined {
  const aggregatable = (field: string) => {
    const types = caps.fields?.[field];
    return types !== undefined && Object.values(types).every((t) => t.aggregatable === true);
  };
  for (const field of wanted ? [wanted] : HOST_FIELDS) {
    if (aggregatable(field)) return field;
    if (aggregatable(`${field}.keyword`)) return `${field}.keyword`;
  }
  return undefined;
}

function isDateField(caps: FieldCaps, field: string): boolean {
  const types = caps.fields?.[field];
  return types !== undefined && Object.keys(types).every((t) => t === 'date' || t === 'date_nanos');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const minutesAgo = (now: number, at: number) => Math.max(0, Math.round(((now - at) / MINUTE) * 10) / 10);
const hostName = (key: string | number) => sanitizeText(String(key), 200).text;

export const elkFilebeatStatus = defineTool({
  name: 'elk_filebeat_status',
  title: 'Filebeat shipping status',
  description:
    "Is Filebeat shipping? Per host: last event, events in the window, delayed and silent hosts, ingest lag; the Beat's publisher stats when BEATS_STATS_URL is set.",
  readme: 'last event per host/agent, `delayed_hosts`, `silent_hosts`, ingest lag; the Beat\'s publisher stats with `BEATS_STATS_URL`',
  toolset: 'elk',
  requires: [SEARCH_ENGINE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      index_pattern: z.string().min(1).max(512).optional().describe('Filebeat indices. Default: FILEBEAT_INDEX_PATTERN (filebeat-*)'),
      max_delay_minutes: z.number().int().min(1).max(1440).default(5).describe('A host whose last event is older than this is delayed'),
      window_minutes: z.number().int().min(2).max(1440).default(60).describe('Hosts with no event in this window are silent; must exceed max_delay_minutes'),
      lookback_hours: z.number().int().min(1).max(168).default(24).describe('How far back a host counts as known'),
      host_field: z.enum(HOST_FIELDS).optional().describe('Field naming the host. Default: the first present of host.name, agent.hostname, agent.name, agent.id'),
    })
    .strict(),
  output: z.object({
    status: z.enum(['green', 'yellow', 'red', 'empty']),
    summary: z.string(),
    window: z.object({ lookback_start: z.string(), window_start: z.string(), delay_cutoff: z.string(), server_now: z.string() }),
    metrics: z.object({
      index_pattern: z.string(),
      host_field: z.string().optional(),
      hosts_known: z.number(),
      hosts_reporting: z.number(),
      hosts_delayed: z.number(),
      hosts_silent: z.number(),
      docs_in_window: z.number(),
      docs_without_host: z.number().optional(),
      ingest_lag_seconds: z.object({ p50: z.number(), p95: z.number(), max: z.number(), sampled_events: z.number() }).optional(),
    }),
    delayed_hosts: z.array(hostOut),
    silent_hosts: z.array(hostOut),
    reporting_hosts: z.array(hostOut),
    beat_stats: beatStatsOut.optional(),
    findings: z.array(z.object({ severity: z.enum(['critical', 'warning']), host: z.string(), finding: z.string() })),
    truncated: z.boolean().optional(),
    recommendation: z.array(z.string()),
  }),
  targets: (input, config) => [target(INDEX_GUARD, input.index_pattern ?? config.FILEBEAT_INDEX_PATTERN)],
  async handler(input, ctx) {
    if (input.window_minutes <= input.max_delay_minutes) {
      throw new TelemcpError('invalid_input', `window_minutes (${input.window_minutes}) must be greater than max_delay_minutes (${input.max_delay_minutes}).`, {
        hint: 'A silent host has nothing in the window, a delayed one has events in it but none in the last max_delay_minutes: e.g. max_delay_minutes 5, window_minutes 60.',
      });
    }
    if (input.lookback_hours * 60 <= input.window_minutes) {
      throw new TelemcpError('invalid_input', `lookback_hours (${input.lookback_hours}) must reach further back than window_minutes (${input.window_minutes}).`, {
        hint: 'Known hosts come from the lookback; e.g. window_minutes 60 with lookback_hours 24.',
      });
    }
    const es = searchEngine(ctx);
    const path = SearchEngine.encodeIndices(ctx.guarded.get(INDEX_GUARD) ?? '');
    const now = Date.now();
    const lookbackStart = now - input.lookback_hours * 60 * MINUTE;
    const windowStart = now - input.window_minutes * MINUTE;
    const delayCutoff = now - input.max_delay_minutes * MINUTE;
    const window = {
      lookback_start: new Date(lookbackStart).toISOString(),
      window_start: new Date(windowStart).toISOString(),
      delay_cutoff: new Date(delayCutoff).toISOString(),
      server_now: new Date(now).toISOString(),
    };

    // The Beat is asked in parallel and under a shorter deadline: it adds detail, it must not cost the whole answer.
    const beats = ctx.backends.first(BEATS);
    const beatPromise = beats ? beatSnapshot(beats, ctx) : undefined;

    const candidates = HOST_FIELDS.flatMap((f) => [f, `${f}.keyword`]);
    const caps = await es.get<FieldCaps>(`/${path}/_field_caps`, ctx.signal, {
      fields: [...candidates, '@timestamp', 'event.ingested'].join(','),
      expand_wildcards: 'open',
      ignore_unavailable: true,
    });
    const hostField = pickHostField(caps, input.host_field);
    const hasTimestamp = isDateField(caps, '@timestamp');
    if (hasTimestamp && !hostField) {
      throw new TelemcpError('invalid_input', `No aggregatable host field in ${ctx.guarded.get(INDEX_GUARD)}${input.host_field ? ` (${input.host_field} is missing or not a keyword)` : ''}.`, {
        hint: `Pass host_field as one of ${HOST_FIELDS.join(', ')} that these indices map as keyword, or point index_pattern at Filebeat indices.`,
      });
    }
    const hasIngested = isDateField(caps, 'event.ingested');
    const range = (gte: number) => ({ range: { '@timestamp': { gte: new Date(gte).toISOString(), format: 'strict_date_optional_time' } } });

    const hostsRes: HostsResponse = hasTimestamp && hostField
      ? await es.post<HostsResponse>(
          `/${path}/_search`,
          {
            size: 0,
            track_total_hits: true,
            query: range(lookbackStart),
            aggs: {
              host_count: { cardinality: { field: hostField } },
              no_host: { missing: { field: hostField } },
              in_window: { filter: range(windowStart) },
              hosts: {
                // Stalest first, so that beyond MAX_HOSTS it is healthy hosts that go uncounted, not silent ones.
                terms: { field: hostField, size: MAX_HOSTS, shard_size: MAX_HOSTS * 2, order: { last: 'asc' } },
                aggs: {
                  last: { max: { field: '@timestamp' } },
                  in_window: { filter: range(windowStart) },
                  ...(hasIngested ? { last_ingested: { max: { field: 'event.ingested' } } } : {}),
                },
              },
            },
          },
          ctx.signal,
          { expand_wildcards: 'open', ignore_unavailable: true },
        )
      : {};
    const lag = hasTimestamp && hostField && hasIngested ? await ingestLag(es, path, windowStart, hostField, ctx.signal) : undefined;
    const beat = beatPromise ? await beatPromise : undefined;

    const buckets = hostsRes.aggregations?.hosts?.buckets ?? [];
    const toHost = (b: HostBucket) => {
      const last = num(b.last?.value);
      return {
        host: hostName(b.key),
        last_event: new Date(last).toISOString(),
        minutes_ago: minutesAgo(now, last),
        docs_in_window: num(b.in_window?.doc_count),
        ...(b.last_ingested?.value != null ? { last_ingested_minutes_ago: minutesAgo(now, num(b.last_ingested.value)) } : {}),
      };
    };
    const silent = buckets.filter((b) => num(b.in_window?.doc_count) === 0).map(toHost);
    const delayed = buckets.filter((b) => num(b.in_window?.doc_count) > 0 && num(b.last?.value) < delayCutoff).map(toHost);
    const reporting = buckets.filter((b) => num(b.last?.value) >= delayCutoff).map(toHost);
    const byAge = (a: { minutes_ago: number }, b: { minutes_ago: number }) => b.minutes_ago - a.minutes_ago;
    silent.sort(byAge);
    delayed.sort(byAge);
    reporting.sort((a, b) => a.host.localeCompare(b.host));
    const hostsKnown = Math.max(buckets.length, num(hostsRes.aggregations?.host_count?.value));
    const unlisted = Math.max(0, hostsKnown - buckets.length);
    const totalHits = hostsRes.hits?.total;
    const docsInLookback = typeof totalHits === 'number' ? totalHits : num(totalHits?.value);
    const noHost = num(hostsRes.aggregations?.no_host?.doc_count);

    const findings: Finding[] = [];
    const advice = new Set<string>();
    for (const h of silent.slice(0, 10)) findings.push({ severity: 'critical', host: h.host, finding: `silent: no event for ${h.minutes_ago} min (nothing since ${h.last_event})` });
    for (const h of delayed.slice(0, 10)) {
      const shipping = h.last_ingested_minutes_ago !== undefined && h.last_ingested_minutes_ago <= input.max_delay_minutes;
      findings.push({
        severity: 'warning',
        host: h.host,
        finding: shipping
          ? `delayed: newest event is ${h.minutes_ago} min old but events are still arriving (last ingested ${h.last_ingested_minutes_ago} min ago): the host ships a backlog`
          : `delayed: last event ${h.minutes_ago} min ago (threshold ${input.max_delay_minutes} min)`,
      });
    }
    if (silent.length || delayed.length) {
      advice.add(
        `On the affected hosts (${[...silent, ...delayed].slice(0, 5).map((h) => h.host).join(', ')}): check the Filebeat service (systemctl status filebeat) and its log for output errors, the network path to its output (Logstash 5044 or Elasticsearch 9200), and whether Logstash is backpressured (elk_logstash_health). Check the data: GET ${ctx.guarded.get(INDEX_GUARD)}/_search sorted by @timestamp for that host.`,
      );
    }
    if (delayed.some((h) => h.last_ingested_minutes_ago !== undefined && h.last_ingested_minutes_ago <= input.max_delay_minutes)) {
      advice.add('Hosts shipping a backlog are behind, not down: the output (Logstash/Elasticsearch) is slower than the log rate, or Filebeat restarted and re-reads old files; give it output workers (output.*.worker) or find the slow stage.');
    }
    if (lag && lag.p95 > input.max_delay_minutes * 60) {
      findings.push({ severity: 'warning', host: '(all)', finding: `ingest lag p95 ${lag.p95} s (max ${lag.max} s) over the last ${lag.sampled_events} events: events reach Elasticsearch late` });
      advice.add('Ingest lag is high: the pipeline between Filebeat and Elasticsearch is the bottleneck (Logstash queue, ingest pipelines, Elasticsearch write rejections: elk_nodes_stats include_thread_pool).');
    }
    if (beat) analyseBeat(beat, findings, advice);
    if (noHost > 0 && hostField) advice.add(`${noHost} event(s) in the lookback have no ${hostField}; they are not attributed to any host.`);

    findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
    const status: 'green' | 'yellow' | 'red' | 'empty' = docsInLookback === 0 ? 'empty' : findings.some((f) => f.severity === 'critical') ? 'red' : findings.length ? 'yellow' : 'green';
    if (status === 'empty') advice.add(`No Filebeat events in ${ctx.guarded.get(INDEX_GUARD)} for the last ${input.lookback_hours} h: check index_pattern (FILEBEAT_INDEX_PATTERN), that Filebeat ships to this cluster, and the index names (elk_indices_summary).`);
    if (status === 'green') advice.add('Every known host reported within the delay threshold; no action needed.');
    const truncated = unlisted > 0 || silent.length > MAX_LISTED || delayed.length > MAX_LISTED || reporting.length > MAX_REPORTING_LISTED;

    return {
      status,
      summary:
        status === 'empty'
          ? `No events in ${ctx.guarded.get(INDEX_GUARD)} in the last ${input.lookback_hours} h`
          : `${hostsKnown} host(s) seen in ${input.lookback_hours} h: ${reporting.length + unlisted} reporting, ${delayed.length} delayed (> ${input.max_delay_minutes} min), ${silent.length} silent (nothing in ${input.window_minutes} min)${lag ? `; ingest lag p95 ${lag.p95} s` : ''}`,
      window,
      metrics: {
        index_pattern: ctx.guarded.get(INDEX_GUARD) ?? '',
        ...(hostField ? { host_field: hostField } : {}),
        hosts_known: hostsKnown,
        hosts_reporting: reporting.length + unlisted,
        hosts_delayed: delayed.length,
        hosts_silent: silent.length,
        docs_in_window: num(hostsRes.aggregations?.in_window?.doc_count),
        ...(noHost ? { docs_without_host: noHost } : {}),
        ...(lag ? { ingest_lag_seconds: lag } : {}),
      },
      delayed_hosts: delayed.slice(0, MAX_LISTED),
      silent_hosts: silent.slice(0, MAX_LISTED),
      reporting_hosts: reporting.slice(0, MAX_REPORTING_LISTED),
      ...(beat ? { beat_stats: beat } : {}),
      findings: findings.slice(0, 20),
      ...(truncated ? { truncated } : {}),
      recommendation: [...advice],
    };
  },
});

/** event.ingested − @timestamp over the most recently ingested events of the window, in seconds. */
async function ingestLag(es: SearchEngine, path: string, windowStart: number, hostField: string, signal: AbortSignal) {
  const res = await es.post<LagResponse>(
    `/${path}/_search`,
    {
      size: LAG_SAMPLE,
      _source: false,
      query: { bool: { filter: [{ range: { '@timestamp': { gte: new Date(windowStart).toISOString(), format: 'strict_date_optional_time' } } }, { exists: { field: 'event.ingested' } }] } },
      sort: [{ 'event.ingested': { order: 'desc' } }],
      docvalue_fields: [
        { field: '@timestamp', format: 'epoch_millis' },
        { field: 'event.ingested', format: 'epoch_millis' },
        { field: hostField },
      ],
    },
    signal,
    { expand_wildcards: 'open', ignore_unavailable: true },
  );
  const lags = (res.hits?.hits ?? [])
    .map((h) => (Number(h.fields?.['event.ingested']?.[0]) - Number(h.fields?.['@timestamp']?.[0])) / 1000)
    .filter((v) => Number.isFinite(v))
    .map((v) => Math.max(0, v))
    .sort((a, b) => a - b);
  if (!lags.length) return undefined;
  const r = (v: number) => Math.round(v * 10) / 10;
  return { p50: r(percentile(lags, 50)), p95: r(percentile(lags, 95)), max: r(lags[lags.length - 1]), sampled_events: lags.length };
}

async function beatSnapshot(beats: BeatsStatsBackend, ctx: ToolContext): Promise<BeatStatsOut> {
  const budget = Math.min(5000, Math.max(500, Math.floor(ctx.config.BACKEND_TIMEOUT_MS / 2)));
  try {
    const { info, stats } = await beats.snapshot(AbortSignal.any([ctx.signal, AbortSignal.timeout(budget)]));
    return beatSummary(info, stats);
  } catch (err) {
    const e = toTelemcpError(err);
    return { error: { code: e.code, message: e.message } };
  }
}

function beatSummary(info: BeatInfo, stats: BeatStats): BeatStatsOut {
  const out = stats.libbeat?.output;
  const pipe = stats.libbeat?.pipeline;
  const pct = pipe?.queue?.filled?.pct;
  const name = info.name ?? info.hostname;
  const version = info.version ?? stats.beat?.info?.version;
  return {
    ...(name ? { name: hostName(name) } : {}),
    ...(version ? { version } : {}),
    ...(stats.beat?.info?.uptime?.ms !== undefined ? { uptime_minutes: Math.round(num(stats.beat.info.uptime.ms) / MINUTE) } : {}),
    ...(out?.type ? { output_type: out.type } : {}),
    acked: num(out?.events?.acked),
    failed: num(out?.events?.failed),
    dropped: num(out?.events?.dropped) + num(pipe?.events?.dropped),
    pending: num(pipe?.events?.active),
    ...(pct !== undefined ? { queue_filled_percent: Math.round(num(pct) * 1000) / 10 } : {}),
    ...(stats.filebeat?.harvester ? { harvesters_running: num(stats.filebeat.harvester.running) } : {}),
  };
}

function analyseBeat(beat: BeatStatsOut, findings: Finding[], advice: Set<string>): void {
  const who = beat.name ?? 'beat';
  if (beat.error) {
    findings.push({ severity: 'warning', host: who, finding: `Beat stats endpoint failed: ${beat.error.code}: ${beat.error.message}` });
    advice.add("The Beat's stats endpoint did not answer: check BEATS_STATS_URL and http.enabled/http.host/http.port (5066) in the Beat's config.");
    return;
  }
  const dropped = num(beat.dropped);
  if (dropped > 0) {
    findings.push({ severity: 'critical', host: who, finding: `${dropped} event(s) dropped permanently by the Beat (non-retryable output errors) since start` });
    advice.add('The Beat drops events: its log names the non-retryable output error (mapping conflicts, 4xx from Elasticsearch); fix the mapping or the output settings.');
  }
  if (num(beat.failed) > 0) {
    findings.push({ severity: 'warning', host: who, finding: `${beat.failed} event(s) failed at the output since start (retried: connectivity to the output)` });
    advice.add("Output failures on the Beat: check the network path and TLS to its output (Logstash 5044 / Elasticsearch 9200) and the Beat's log around the failures.");
  }
  if (num(beat.queue_filled_percent) >= 90) {
    findings.push({ severity: 'warning', host: who, finding: `publisher queue ${beat.queue_filled_percent}% full: the output cannot keep up (backpressure)` });
    advice.add('The Beat queue is full: the output is the bottleneck; check Logstash (elk_logstash_health) or Elasticsearch write load, or add output workers.');
  }
  if (beat.harvesters_running === 0) {
    findings.push({ severity: 'warning', host: who, finding: 'no harvester running: the Beat is reading no file' });
    advice.add("No Filebeat harvester runs: check the inputs' paths and permissions in filebeat.yml.");
  }
}
