import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { sanitizeText } from '../../security/sanitize.js';
import { KIBANA } from '../../backends/kibana/module.js';
import type { KibanaBackend, KibanaLevel, KibanaServiceStatus, KibanaStatusBody } from '../../backends/kibana/kibana.js';
import { defineTool, type ToolContext } from '../tool.js';
import { num } from './common.js';

const LEVELS = ['available', 'degraded', 'unavailable', 'critical'] as const;
const LEVEL_RANK: Record<KibanaLevel, number> = { available: 0, degraded: 1, unavailable: 2, critical: 3 };
/** Kibana 7.x reports colours; it maps critical and unavailable both to red. */
const LEGACY_LEVEL: Record<string, KibanaLevel> = { green: 'available', yellow: 'degraded', red: 'unavailable' };
const MAX_PLUGINS = 30;
const MAX_TEXT = 300;

const ES_CONNECTIVITY =
  'Check Kibana → Elasticsearch connectivity: elasticsearch.hosts and the kibana_system credentials in kibana.yml, TLS (elasticsearch.ssl.certificateAuthorities) and the network path; from the Kibana host: curl -u kibana_system https://<es>:9200/_cluster/health. Then elk_cluster_health for the cluster itself.';
const SAVED_OBJECTS =
  'Saved objects are not available: Kibana is waiting for Elasticsearch or its .kibana migrations failed; read the Kibana log for "migration" errors and check the cluster (elk_cluster_health) — a red cluster or a read-only index block stops migrations.';

const service = z.object({ service: z.string(), level: z.enum(LEVELS), summary: z.string() });
const plugin = z.object({ plugin: z.string(), level: z.enum(LEVELS), summary: z.string() });
type Finding = { severity: 'critical' | 'warning'; service: string; finding: string };

function text(value: unknown): string {
  return typeof value === 'string' ? sanitizeText(value, MAX_TEXT).text : '';
}

function level(value: unknown): KibanaLevel {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value) ? (value as KibanaLevel) : 'unavailable';
}

function kibana(ctx: ToolContext): KibanaBackend {
  const backend = ctx.backends.first(KIBANA);
  if (!backend) throw new TelemcpError('backend_unavailable', 'No Kibana is configured.', { hint: 'Set KIBANA_URL (and read-only credentials) to enable elk_kibana_status.' });
  return backend;
}

export const elkKibanaStatus = defineTool({
  name: 'elk_kibana_status',
  title: 'Kibana status',
  description:
    "Kibana health from /api/status: overall level, core services (elasticsearch, savedObjects), version, load, unavailable plugins with include_plugins; with fix steps.",
  readme: 'Kibana `/api/status`: overall and per-service levels, version, plugins that are not available (`include_plugins`) — with `KIBANA_URL`',
  toolset: 'kibana',
  requires: [KIBANA],
  leastRole: 'elk_viewer',
  input: z
    .object({
      include_plugins: z.boolean().default(false).describe('List plugin statuses (those not available, worst first)'),
      all_plugins: z.boolean().default(false).describe('With include_plugins: list available plugins too'),
    })
    .strict(),
  output: z.object({
    status: z.enum(LEVELS),
    summary: z.string(),
    metrics: z.object({
      format: z.enum(['v8', 'legacy', 'redacted']),
      name: z.string().optional(),
      version: z.string().optional(),
      plugins_total: z.number().optional(),
      plugins_not_available: z.number().optional(),
      response_time_avg_ms: z.number().optional(),
      response_time_max_ms: z.number().optional(),
      event_loop_delay_ms: z.number().optional(),
      heap_used_percent: z.number().optional(),
      concurrent_connections: z.number().optional(),
      es_client_active_sockets: z.number().optional(),
      es_client_queued_requests: z.number().optional(),
    }),
    core: z.array(service),
    plugins: z.array(plugin).optional(),
    findings: z.array(z.object({ severity: z.enum(['critical', 'warning']), service: z.string(), finding: z.string() })),
    truncated: z.boolean().optional(),
    recommendation: z.array(z.string()),
  }),
  async handler(input, ctx) {
    return report(await kibana(ctx).status(ctx.signal), input);
  },
});

interface Report {
  status: KibanaLevel;
  summary: string;
  metrics: { format: 'v8' | 'legacy' | 'redacted' } & Record<string, string | number | undefined>;
  core: z.infer<typeof service>[];
  plugins?: z.infer<typeof plugin>[];
  findings: Finding[];
  truncated?: boolean;
  recommendation: string[];
}

/** The v8 body, the 7.x legacy body and the redacted body, read into one report. */
function report(body: KibanaStatusBody, input: { include_plugins: boolean; all_plugins: boolean }): Report {
  const overall = body.status?.overall;
  const legacy = body.status?.statuses !== undefined || (overall?.state !== undefined && overall.level === undefined);
  const redacted = !legacy && body.status?.core === undefined && body.version === undefined;
  const status: KibanaLevel = legacy ? (LEGACY_LEVEL[overall?.state ?? 'red'] ?? 'unavailable') : level(overall?.level);

  let core: z.infer<typeof service>[];
  let allPlugins: z.infer<typeof plugin>[];
  if (legacy) {
    const components = (body.status?.statuses ?? []).map((c) => {
      const [kind, rest = ''] = c.id.split(':', 2);
      return { kind, name: rest.replace(/@[^@]*$/, ''), level: LEGACY_LEVEL[c.state] ?? 'unavailable', summary: text(c.message) };
    });
    core = components.filter((c) => c.kind === 'core').map((c) => ({ service: c.name, level: c.level, summary: c.summary }));
    allPlugins = components.filter((c) => c.kind === 'plugin').map((c) => ({ plugin: c.name, level: c.level, summary: c.summary }));
  } else {
    core = Object.entries(body.status?.core ?? {})
      .filter((entry): entry is [string, KibanaServiceStatus] => entry[1] !== undefined)
      .map(([name, s]) => ({ service: name, level: level(s.level), summary: text([s.summary, s.detail].filter(Boolean).join(' ')) }));
    allPlugins = Object.entries(body.status?.plugins ?? {}).map(([name, s]) => ({ plugin: name, level: level(s.level), summary: text(s.summary) }));
  }
  allPlugins.sort((a, b) => LEVEL_RANK[b.level] - LEVEL_RANK[a.level] || a.plugin.localeCompare(b.plugin));
  const notAvailable = allPlugins.filter((p) => p.level !== 'available');

  const m = body.metrics;
  const heapLimit = num(m?.process?.memory?.heap?.size_limit);
  const metrics: Report['metrics'] = {
    format: legacy ? 'legacy' : redacted ? 'redacted' : 'v8',
    name: body.name,
    version: body.version?.number,
    ...(redacted ? {} : { plugins_total: allPlugins.length, plugins_not_available: notAvailable.length }),
    response_time_avg_ms: m?.response_times?.avg_in_millis,
    response_time_max_ms: m?.response_times?.max_in_millis,
    event_loop_delay_ms: m?.process?.event_loop_delay === undefined ? undefined : Math.round(num(m.process.event_loop_delay)),
    heap_used_percent: heapLimit > 0 ? Math.round((num(m?.process?.memory?.heap?.used_in_bytes) / heapLimit) * 1000) / 10 : undefined,
    concurrent_connections: m?.concurrent_connections,
    es_client_active_sockets: m?.elasticsearch_client?.totalActiveSockets,
    es_client_queued_requests: m?.elasticsearch_client?.totalQueuedRequests,
  };
  for (const key of Object.keys(metrics)) if (metrics[key] === undefined) delete metrics[key];

  const findings: Finding[] = [];
  const recommendation: string[] = [];
  const severityOf = (l: KibanaLevel) => (LEVEL_RANK[l] >= LEVEL_RANK.unavailable ? 'critical' : 'warning');
  for (const c of core) if (c.level !== 'available') findings.push({ severity: severityOf(c.level), service: c.service, finding: `core service ${c.service} is ${c.level}${c.summary ? `: ${c.summary}` : ''}` });
  if (notAvailable.length) {
    const worst = notAvailable.slice(0, 5).map((p) => `${p.plugin} (${p.level})`).join(', ');
    findings.push({ severity: notAvailable.some((p) => LEVEL_RANK[p.level] >= LEVEL_RANK.unavailable) ? 'critical' : 'warning', service: 'plugins', finding: `${notAvailable.length} plugin(s) not available: ${worst}${notAvailable.length > 5 ? ', …' : ''}` });
  }
  if (num(metrics.event_loop_delay_ms) >= 1000) findings.push({ severity: 'warning', service: 'kibana', finding: `event loop delayed ${metrics.event_loop_delay_ms} ms: the Kibana process is overloaded` });
  if (num(metrics.heap_used_percent) >= 90) findings.push({ severity: 'warning', service: 'kibana', finding: `Node.js heap ${metrics.heap_used_percent}% of its limit` });
  if (num(metrics.es_client_queued_requests) > 0) findings.push({ severity: 'warning', service: 'elasticsearch', finding: `${metrics.es_client_queued_requests} request(s) to Elasticsearch queued waiting for a socket` });

  const esDown = core.some((c) => c.service === 'elasticsearch' && c.level !== 'available');
  if (redacted) {
    recommendation.push('Kibana answered with the overall level only, because the request was not authenticated: set KIBANA_API_KEY or KIBANA_USERNAME/KIBANA_PASSWORD (a read-only Kibana user) to see which service is affected.');
    if (status !== 'available') recommendation.push(ES_CONNECTIVITY);
  }
  if (esDown || (legacy && status !== 'available' && !core.length)) recommendation.push(ES_CONNECTIVITY);
  if (core.some((c) => c.service === 'savedObjects' && c.level !== 'available')) recommendation.push(SAVED_OBJECTS);
  if (notAvailable.length && !esDown) {
    recommendation.push(`Plugins not available (${notAvailable.slice(0, 3).map((p) => p.plugin).join(', ')}): their summaries say what they wait for; a plugin depending on an unavailable service recovers with it. Check the Kibana log for those plugin names.`);
  }
  if (findings.some((f) => f.finding.startsWith('event loop') || f.finding.startsWith('Node.js heap'))) {
    recommendation.push('Kibana is overloaded: look for heavy dashboards or reporting jobs, add Kibana instances behind the load balancer, or raise the Node.js heap (--max-old-space-size) within the host memory.');
  }
  if (status === 'available' && !findings.length) recommendation.push('Kibana is available; no action needed.');

  const listed = input.include_plugins ? (input.all_plugins ? allPlugins : notAvailable) : undefined;
  const truncated = listed !== undefined && listed.length > MAX_PLUGINS;
  const coreText = core.map((c) => `${c.service} ${c.level}`).join(', ');
  const who = [body.name ? `Kibana ${body.name}` : 'Kibana', body.version?.number].filter(Boolean).join(' ');
  const summary = redacted
    ? `Kibana overall level ${status} (redacted answer: telemcp is not authenticated to Kibana)`
    : `${who} is ${status}${coreText ? `; ${coreText}` : ''}; ${notAvailable.length} of ${allPlugins.length} plugin(s) not available`;

  findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
  return {
    status,
    summary,
    metrics,
    core,
    ...(listed ? { plugins: listed.slice(0, MAX_PLUGINS) } : {}),
    findings: findings.slice(0, 20),
    ...(truncated ? { truncated } : {}),
    recommendation: [...new Set(recommendation)],
  };
}
