import { setMaxListeners } from 'node:events';
import { z } from 'zod';
import { METRIC_SOURCE } from '../../backends/metrics/module.js';
import type { PrometheusApi, PromQueryData, PromSeries } from '../../backends/metrics/prometheus.js';
import { defineTool } from '../tool.js';
import { clip, metricApi, sourceArg } from './common.js';
import { CHECKS, CHECK_CAP, CHECK_IDS, MAX_CERT_NAMES, MAX_JOBS, certNameMatch, certQuery, classifyCertNames, hostCountQuery, hostFactsQuery, jobsQuery, presenceQuery, splitFacts, type CheckId, type Scope } from './host-facts-queries.js';
import { NO_CERT_METRICS, certFindings, chooseHosts, evaluateChecks, hostEntries, missingCollectors, sortFindings, summarize, type Missing } from './host-facts-rules.js';

const MAX_FINDINGS = 100;
const MAX_HOSTS = 50;

/** A label value as a caller names it: printable, well-formed, bounded; it reaches PromQL only as an escaped literal. */
const labelValue = (what: string) =>
  z
    .string()
    .min(1)
    .max(200)
    .refine((v) => !/[\u0000-\u001f\u007f-\u009f]/.test(v), { message: 'must not contain control characters' })
    .refine((v) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(v), { message: 'must be well-formed text' })
    .describe(what);

const finding = z.object({
  severity: z.enum(['critical', 'warning', 'info']),
  host: z.string().describe('the instance label'),
  area: z.enum(['filesystem', 'memory', 'cpu', 'network', 'systemd', 'time', 'certificate', 'uptime', 'file_descriptors', 'conntrack']),
  fact: z.string(),
  value: z.number(),
  unit: z.string(),
  threshold: z.string().describe('the level crossed and how the value is computed'),
});

const hostRow = z.object({
  host: z.string(),
  job: z.string(),
  nodename: z.string().optional(),
  kernel: z.string().optional(),
  os: z.string().optional(),
  arch: z.string().optional(),
  cpus: z.number().optional(),
  uptime_hours: z.number().optional(),
  load1_per_core: z.number().optional(),
  cpu_busy_pct: z.number().optional().describe('5 m average'),
  iowait_pct: z.number().optional().describe('5 m average'),
  memory_used_pct: z.number().optional().describe('1 - MemAvailable / MemTotal'),
  swap_used_pct: z.number().optional(),
  oom_kills_1h: z.number().optional(),
  root_fs_used_pct: z.number().optional().describe('used / (used + available), as df'),
  fd_used_pct: z.number().optional(),
  conntrack_used_pct: z.number().optional(),
  clock_synced: z.boolean().optional(),
  clock_offset_ms: z.number().optional().describe('absolute'),
  clock_maxerror_ms: z.number().optional(),
  critical: z.number().describe('critical findings on this host'),
  warning: z.number().describe('warning findings on this host'),
});

export const hostFacts = defineTool({
  name: 'host_facts',
  title: 'Host facts from node exporter',
  description:
    'Linux host health from node exporter metrics in Prometheus: filesystems (full, inodes, read-only, filling within 24 h), memory/swap/OOM kills, load/CPU/iowait, NIC errors and links down, failed systemd units, clock sync, certificate expiry, reboots, kernel/OS, fd and conntrack use; problems first, each with its threshold.',
  readme:
    'host facts read from node exporter metrics through Prometheus (no agent): filesystems (usage as df, inodes, read-only mounts, will fill within 24 h at the 6 h trend), memory, swap and OOM kills, load per core, CPU busy and iowait, NIC errors/drops and links down, failed systemd units (or how to enable the collector), clock sync and offset, certificate expiry (blackbox, x509-certificate-exporter, `*cert*expir*` metrics, textfile collector), reboots, kernel/OS, file descriptors and conntrack; findings sorted by severity, each with the threshold it crossed, key facts per host, missing collectors with how to turn them on',
  toolset: 'metrics',
  requires: [METRIC_SOURCE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      instance: labelValue('One node exporter, by its instance label value (e.g. 10.0.0.5:9100); default: every host').optional(),
      job: labelValue('The scrape job of the node exporters; default: every job exporting node_uname_info / node_exporter_build_info').optional(),
      limit: z.number().int().min(1).max(MAX_HOSTS).default(10).describe('Most hosts listed in per_host (problem hosts first)'),
      source: sourceArg,
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    source: z.string(),
    jobs: z.array(z.string()).describe('node exporter jobs read'),
    hosts: z.number().describe('node exporter instances matched (exact)'),
    findings: z.array(finding).describe('critical first, then warning, then info'),
    per_host: z.array(hostRow).describe('key facts, problem hosts first'),
    missing: z.array(z.object({ collector: z.string(), metric: z.string(), hosts_without: z.number(), enable: z.string() })).describe('collectors or metrics not reported, with how to turn them on'),
    certificates_checked: z.number().describe('certificate expiry series read'),
    warnings: z.array(z.string()).optional(),
    truncated: z.boolean(),
  }),
  async handler(input, ctx) {
    const { name, api } = metricApi(ctx, input.source);
    // A dozen requests run at once, each listening for the call's end: their own signal, following the call's.
    const fanout = new AbortController();
    setMaxListeners(4 * (CHECK_IDS.length + 8), fanout.signal);
    const follow = () => fanout.abort(ctx.signal.reason);
    if (ctx.signal.aborted) follow();
    else ctx.signal.addEventListener('abort', follow, { once: true });
    try {
      return await answer(input, ctx.config.BACKEND_TIMEOUT_MS, name, api, fanout.signal);
    } finally {
      ctx.signal.removeEventListener('abort', follow);
    }
  },
});

/** The three steps of a call: discovery, the checks, the listed hosts' facts. */
async function answer(input: { instance?: string; job?: string; limit: number }, timeoutMs: number, name: string, api: PrometheusApi, signal: AbortSignal) {
  const now = Date.now();
  // The query's own deadline, one second inside telemcp's, so Prometheus stops evaluating first.
  const params = { time: (now / 1000).toFixed(3), timeout: `${Math.max(1, Math.floor(timeoutMs / 1000) - 1)}s` };
  const serverWarnings: string[] = [];
  const query = async (expr: string): Promise<PromSeries[]> => {
    const { data, warnings } = await api.get<PromQueryData>('/api/v1/query', { query: expr, ...params }, signal);
    serverWarnings.push(...warnings);
    return data.resultType === 'vector' ? data.result : [];
  };
  const certNames = async (s: Scope): Promise<{ names: string[]; more: boolean }> => {
    const { data, warnings } = await api.get<unknown>('/api/v1/label/__name__/values', { 'match[]': [certNameMatch(s)], start: String(Math.floor(now / 1000) - 900), end: params.time, limit: String(MAX_CERT_NAMES + 1) }, signal);
    serverWarnings.push(...warnings);
    const names = Array.isArray(data) ? data.filter((n): n is string => typeof n === 'string') : [];
    return { names: names.slice(0, MAX_CERT_NAMES), more: names.length > MAX_CERT_NAMES };
  };

  // 1. Which jobs export node exporter metrics, how many hosts, which certificate metrics exist.
  const asked: Scope = { ...(input.job !== undefined ? { jobs: [input.job] } : {}), ...(input.instance !== undefined ? { instance: input.instance } : {}) };
  const [jobRows, countRows, certs] = await Promise.all([query(jobsQuery(asked)), query(hostCountQuery(asked)), certNames(asked)]);
  const jobs = jobRows.map((s) => s.metric.job).filter((j): j is string => typeof j === 'string' && j !== '');
  const hostCount = jobs.length ? Math.round(Number(countRows[0]?.value?.[1] ?? 0)) : 0;
  const scope: Scope = { jobs, ...(input.instance !== undefined ? { instance: input.instance } : {}) };
  const certKinds = classifyCertNames(certs.names);

  // 2. Every check, in parallel: bounded, worst first.
  const node = hostCount > 0;
  const [factRows, checkRows, presence, certTs, certLeft] = await Promise.all([
    node ? query(hostFactsQuery(scope, CHECK_CAP)) : Promise.resolve([]),
    Promise.all(CHECK_IDS.map(async (id) => [id, node ? await query(CHECKS[id](scope)) : []] as const)),
    node ? query(presenceQuery(scope)) : Promise.resolve([]),
    query(certQuery(certKinds.timestamps, asked)),
    certKinds.secondsLeft.length ? query(certQuery(certKinds.secondsLeft, asked)) : Promise.resolve([]),
  ]);
  let facts = splitFacts(factRows);
  const checks = Object.fromEntries(checkRows) as Partial<Record<CheckId, PromSeries[]>>;
  const nodeOutcome = evaluateChecks(checks, facts);
  const certOutcome = certFindings(certTs, certLeft);
  const findings = sortFindings([...nodeOutcome.findings, ...certOutcome.findings]);

  // 3. The hosts listed; past the checks' cap, their facts are read again for exactly those hosts.
  let entries = hostEntries(facts);
  const nodeHosts = new Set([...entries.keys(), ...nodeOutcome.findings.map((f) => f.host)]);
  const chosen = chooseHosts(nodeHosts, findings, input.limit);
  if (hostCount > CHECK_CAP && chosen.hosts.length) {
    facts = splitFacts(await query(hostFactsQuery({ jobs, instances: chosen.hosts }, chosen.hosts.length)));
    entries = hostEntries(facts);
  }
  const perHost = chosen.hosts.map((host) => {
    const { critical: _c, warning: _w, ...known } = entries.get(host) ?? { host, job: '', critical: 0, warning: 0 };
    const mine = findings.filter((f) => f.host === host);
    return { ...known, critical: mine.filter((f) => f.severity === 'critical').length, warning: mine.filter((f) => f.severity === 'warning').length };
  });

  const missing: Missing[] = node ? missingCollectors(presence, hostCount) : [];
  if (certOutcome.checked === 0) missing.push({ ...NO_CERT_METRICS, hosts_without: hostCount });
  if (!node) missing.unshift(noNodeExporter(input.instance));
  const shown = findings.slice(0, MAX_FINDINGS);
  // node exporter exposes node_vmstat_oom_kill untyped, without _total: Prometheus notes that about our own increase(), not about anything the caller asked.
  const warnings = [...new Set(serverWarnings)]
    .filter((w) => !/^PromQL info: metric might not be a counter, .*"node_vmstat_oom_kill"/.test(w))
    .slice(0, 10)
    .map((w) => clip(w));
  return {
    summary: summarize({ hosts: hostCount, jobs, instance: input.instance, findings, missing, certsChecked: certOutcome.checked }),
    source: name,
    jobs,
    hosts: hostCount,
    findings: shown.map(({ subject: _subject, ...f }) => f),
    per_host: perHost,
    missing,
    certificates_checked: certOutcome.checked,
    ...(warnings.length ? { warnings } : {}),
    truncated: chosen.more || perHost.length < hostCount || findings.length > shown.length || nodeOutcome.capped.length > 0 || certOutcome.capped.length > 0 || jobRows.length >= MAX_JOBS || certs.more,
  };
}

function noNodeExporter(instance: string | undefined): Missing {
  return {
    collector: 'node exporter',
    metric: 'node_uname_info | node_exporter_build_info',
    hosts_without: 0,
    enable:
      instance !== undefined
        ? 'no node exporter has this instance label; list them with prom_discover (what: "label_values", label: "instance", match: "node_exporter_build_info")'
        : 'run prometheus-node-exporter on each host and add a scrape job for it (port 9100); pass job when it is not the one exporting node_uname_info',
  };
}
