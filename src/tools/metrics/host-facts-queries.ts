import type { PromSeries } from '../../backends/metrics/prometheus.js';

/**
 * The PromQL host_facts runs: every expression is written here, by the server, from a fixed
 * table. The only caller-supplied text that reaches one is a label value (`instance`, `job`),
 * always as an escaped string literal (and regex-quoted inside `=~`), so it can narrow a
 * selector but never add one. Every query is bounded by construction: topk/bottomk, or a count.
 */

/** Series a check query returns at most (worst first). */
export const CHECK_CAP = 50;
/** Jobs exporting node exporter metrics that are read at most. */
export const MAX_JOBS = 20;
/** Metric names matching *cert*expir* read at most (label values API). */
export const MAX_CERT_NAMES = 20;
/** The label that tells apart the facts of the combined host query. */
export const FACT_LABEL = 'telemcp_fact';
const KIND_LABEL = 'telemcp_kind';

/** Which series a query reads: the node exporter jobs and, optionally, one instance or a list of them. */
export interface Scope {
  jobs?: readonly string[];
  instance?: string;
  instances?: readonly string[];
}

/** A PromQL string literal (Go escapes): quotes, backslashes and control characters escaped; lone surrogates replaced. */
export function promString(value: string): string {
  return JSON.stringify(value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

/** A literal for an RE2 regex (Go's regexp.QuoteMeta). */
export function reQuote(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

function scopeMatchers(s: Scope): string[] {
  const out: string[] = [];
  if (s.jobs?.length) out.push(s.jobs.length === 1 ? `job=${promString(s.jobs[0])}` : `job=~${promString(s.jobs.map(reQuote).join('|'))}`);
  if (s.instance !== undefined) out.push(`instance=${promString(s.instance)}`);
  if (s.instances?.length) out.push(`instance=~${promString(s.instances.map(reQuote).join('|'))}`);
  return out;
}

/** `metric{scope…, extra…}` */
function sel(metric: string, s: Scope, ...extra: string[]): string {
  return `${metric}{${[...scopeMatchers(s), ...extra].join(',')}}`;
}

/** Pseudo and in-memory filesystems: not disks. */
const FSTYPE_EXCLUDE =
  'fstype!~"tmpfs|devtmpfs|ramfs|overlay|squashfs|nsfs|rootfs|autofs|proc|sysfs|devpts|tracefs|debugfs|securityfs|cgroup2?|pstore|bpf|configfs|mqueue|hugetlbfs|binfmt_misc|efivarfs|fusectl|fuse\\\\.lxcfs|fuse\\\\.snapfuse|iso9660|nfsd|rpc_pipefs|selinuxfs"';

const fs = (metric: string, s: Scope, ...extra: string[]) => sel(metric, s, FSTYPE_EXCLUDE, ...extra);

/** Used share of a filesystem as df computes it: used / (used + available to unprivileged users). */
function fsUsedPct(s: Scope, ...extra: string[]): string {
  const used = `(${fs('node_filesystem_size_bytes', s, ...extra)} - ${fs('node_filesystem_free_bytes', s, ...extra)})`;
  return `100 * ${used} / (${used} + ${fs('node_filesystem_avail_bytes', s, ...extra)} > 0)`;
}

const idleCpus = (s: Scope) => `count by (instance, job) (${sel('node_cpu_seconds_total', s, 'mode="idle"')})`;

type Order = 'top' | 'bottom';

/** One value per host (instance, job): what per_host shows, and the host-level checks. */
export const HOST_FACTS = {
  uname: { order: 'top', expr: (s: Scope) => sel('node_uname_info', s) },
  os: { order: 'top', expr: (s: Scope) => sel('node_os_info', s) },
  cpus: { order: 'top', expr: idleCpus },
  load1_per_core: { order: 'top', expr: (s: Scope) => `${sel('node_load1', s)} / on (instance, job) ${idleCpus(s)}` },
  cpu_busy_pct: { order: 'top', expr: (s: Scope) => `100 * (1 - avg by (instance, job) (rate(${sel('node_cpu_seconds_total', s, 'mode="idle"')}[5m])))` },
  iowait_pct: { order: 'top', expr: (s: Scope) => `100 * avg by (instance, job) (rate(${sel('node_cpu_seconds_total', s, 'mode="iowait"')}[5m]))` },
  memory_used_pct: { order: 'top', expr: (s: Scope) => `100 * (1 - ${sel('node_memory_MemAvailable_bytes', s)} / ${sel('node_memory_MemTotal_bytes', s)})` },
  swap_used_pct: { order: 'top', expr: (s: Scope) => `100 * (1 - ${sel('node_memory_SwapFree_bytes', s)} / (${sel('node_memory_SwapTotal_bytes', s)} > 0))` },
  oom_kills_1h: { order: 'top', expr: (s: Scope) => `increase(${sel('node_vmstat_oom_kill', s)}[1h])` },
  uptime_seconds: { order: 'bottom', expr: (s: Scope) => `${sel('node_time_seconds', s)} - ${sel('node_boot_time_seconds', s)}` },
  fd_used_pct: { order: 'top', expr: (s: Scope) => `100 * ${sel('node_filefd_allocated', s)} / (${sel('node_filefd_maximum', s)} > 0)` },
  conntrack_used_pct: { order: 'top', expr: (s: Scope) => `100 * ${sel('node_nf_conntrack_entries', s)} / (${sel('node_nf_conntrack_entries_limit', s)} > 0)` },
  clock_sync_status: { order: 'bottom', expr: (s: Scope) => sel('node_timex_sync_status', s) },
  clock_offset_seconds: { order: 'top', expr: (s: Scope) => `abs(${sel('node_timex_offset_seconds', s)})` },
  clock_maxerror_seconds: { order: 'top', expr: (s: Scope) => sel('node_timex_maxerror_seconds', s) },
  root_fs_used_pct: { order: 'top', expr: (s: Scope) => `max by (instance, job) (${fsUsedPct(s, 'mountpoint="/"')})` },
} satisfies Record<string, { order: Order; expr: (s: Scope) => string }>;

export type HostFactId = keyof typeof HOST_FACTS;
export const HOST_FACT_IDS = Object.keys(HOST_FACTS) as HostFactId[];

/** Checks with several series per host (mounts, devices, units), worst first. */
export const CHECKS = {
  fs_used_pct: (s: Scope) => `topk(${CHECK_CAP}, ${fsUsedPct(s)})`,
  inodes_used_pct: (s: Scope) => `topk(${CHECK_CAP}, 100 * (1 - ${fs('node_filesystem_files_free', s)} / (${fs('node_filesystem_files', s)} > 0)))`,
  fs_readonly: (s: Scope) => `topk(${CHECK_CAP}, ${fs('node_filesystem_readonly', s)} == 1)`,
  /**
   * Hours until available bytes reach zero at the 6 h linear trend (predict_linear's own fit),
   * only where that is within 24 h and the filesystem has at least an hour of samples (minutes
   * of a burst are not a trend).
   */
  fs_fill_hours: (s: Scope) => {
    const avail = `${fs('node_filesystem_avail_bytes', s)}[6h]`;
    return `bottomk(${CHECK_CAP}, (predict_linear(${avail}, 0) / -(deriv(${avail}) < 0) / 3600 < 24) and (${fs('node_filesystem_avail_bytes', s)} offset 1h))`;
  },
  net_rates: (s: Scope) => {
    const parts = [
      ['node_network_receive_errs_total', 'receive errors'],
      ['node_network_transmit_errs_total', 'transmit errors'],
      ['node_network_receive_drop_total', 'receive drops'],
      ['node_network_transmit_drop_total', 'transmit drops'],
    ].map(([m, kind]) => `label_replace(rate(${sel(m, s, 'device!="lo"')}[5m]), "${KIND_LABEL}", "${kind}", "", "")`);
    return `topk(${CHECK_CAP}, ${parts.join(' or ')})`;
  },
  /** Operationally down, not administratively down (an unused interface is not a problem), loopback excluded. */
  link_down: (s: Scope) => `topk(${CHECK_CAP}, ${sel('node_network_up', s, 'device!="lo"')} == 0 unless on (instance, job, device) ${sel('node_network_info', s, 'adminstate="down"')})`,
  systemd_failed: (s: Scope) => `topk(${CHECK_CAP}, ${sel('node_systemd_unit_state', s, 'state="failed"')} == 1)`,
} satisfies Record<string, (s: Scope) => string>;

export type CheckId = keyof typeof CHECKS;
export const CHECK_IDS = Object.keys(CHECKS) as CheckId[];

/** The kind of a network rate series (receive errors, transmit drops, …). */
export function netKind(series: PromSeries): string {
  return series.metric[KIND_LABEL] ?? 'errors';
}

/** Every host-level fact in one query, each bounded by topk/bottomk and tagged with its id. */
export function hostFactsQuery(s: Scope, cap: number): string {
  return HOST_FACT_IDS.map((id) => {
    const f = HOST_FACTS[id];
    return `label_replace(${f.order === 'top' ? 'topk' : 'bottomk'}(${cap}, ${f.expr(s)}), "${FACT_LABEL}", "${id}", "", "")`;
  }).join(' or ');
}

/** The combined host query's answer, by fact. */
export function splitFacts(series: readonly PromSeries[]): Partial<Record<HostFactId, PromSeries[]>> {
  const out: Partial<Record<HostFactId, PromSeries[]>> = {};
  for (const s of series) {
    const id = s.metric[FACT_LABEL] as HostFactId | undefined;
    if (!id || !(id in HOST_FACTS)) continue;
    const { [FACT_LABEL]: _drop, ...metric } = s.metric;
    (out[id] ??= []).push({ ...s, metric });
  }
  return out;
}

/** What identifies a node exporter: either metric, whichever collectors are on. */
const NODE_IDENTITY = '__name__=~"node_uname_info|node_exporter_build_info"';

/** Jobs exporting node exporter metrics (with the instance/job asked for), most hosts first. */
export function jobsQuery(s: Scope): string {
  return `topk(${MAX_JOBS}, count by (job) (group by (job, instance) ({${[NODE_IDENTITY, ...scopeMatchers(s)].join(',')}})))`;
}

/** Distinct instances exporting node exporter metrics: the exact host count. */
export function hostCountQuery(s: Scope): string {
  return `count(group by (instance) ({${[NODE_IDENTITY, ...scopeMatchers(s)].join(',')}}))`;
}

/** A collector, the metric that shows it is on, and how to turn it on. */
export interface Collector {
  collector: string;
  metric: string;
  enable: string;
}

export const COLLECTORS: readonly Collector[] = [
  { collector: 'filesystem', metric: 'node_filesystem_size_bytes', enable: 'on by default: drop --no-collector.filesystem; check --collector.filesystem.mount-points-exclude / fs-types-exclude' },
  { collector: 'meminfo', metric: 'node_memory_MemAvailable_bytes', enable: 'on by default: drop --no-collector.meminfo (MemAvailable needs Linux ≥ 3.14)' },
  { collector: 'loadavg', metric: 'node_load1', enable: 'on by default: drop --no-collector.loadavg' },
  { collector: 'cpu', metric: 'node_cpu_seconds_total', enable: 'on by default: drop --no-collector.cpu' },
  { collector: 'netdev', metric: 'node_network_receive_errs_total', enable: 'on by default: drop --no-collector.netdev' },
  { collector: 'netclass', metric: 'node_network_up', enable: 'on by default: drop --no-collector.netclass' },
  { collector: 'vmstat', metric: 'node_vmstat_oom_kill', enable: 'on by default; oom_kill must match --collector.vmstat.fields (the default does) and needs Linux ≥ 4.13' },
  { collector: 'systemd', metric: 'node_systemd_unit_state', enable: 'off by default: start node exporter with --collector.systemd (it reads systemd over D-Bus; --collector.systemd.unit-include narrows the units)' },
  { collector: 'timex', metric: 'node_timex_sync_status', enable: 'on by default: drop --no-collector.timex' },
  { collector: 'stat', metric: 'node_boot_time_seconds', enable: 'on by default: drop --no-collector.stat' },
  { collector: 'time', metric: 'node_time_seconds', enable: 'on by default: drop --no-collector.time' },
  { collector: 'uname', metric: 'node_uname_info', enable: 'on by default: drop --no-collector.uname' },
  { collector: 'os', metric: 'node_os_info', enable: 'on by default (node exporter ≥ 1.3): drop --no-collector.os' },
  { collector: 'filefd', metric: 'node_filefd_maximum', enable: 'on by default: drop --no-collector.filefd' },
  { collector: 'conntrack', metric: 'node_nf_conntrack_entries_limit', enable: 'on by default, but only reports when the nf_conntrack kernel module is loaded' },
];

/** Hosts exporting each collector's metric. */
export function presenceQuery(s: Scope): string {
  return `count by (__name__) (group by (__name__, instance, job) ({${[`__name__=~"${COLLECTORS.map((c) => c.metric).join('|')}"`, ...scopeMatchers(s)].join(',')}}))`;
}

/** Certificate expiry metrics of known exporters, as unix timestamps. */
export const CERT_TIMESTAMP_METRICS = [
  'probe_ssl_earliest_cert_expiry', // blackbox exporter
  'x509_cert_not_after', // x509-certificate-exporter
  'ssl_cert_not_after', // ssl_exporter
  'ssl_file_cert_not_after', // ssl_exporter, file prober
  'certmanager_certificate_expiration_timestamp_seconds', // cert-manager
];

/**
 * Splits metric names found by CERT_NAME_MATCH into unix-timestamp metrics and seconds-left
 * metrics (`cert_exporter_cert_expires_in_seconds`); counters, histograms and booleans
 * (`x509_cert_expired`) are not expiry times and are dropped.
 */
export function classifyCertNames(names: readonly string[]): { timestamps: string[]; secondsLeft: string[] } {
  const timestamps = new Set(CERT_TIMESTAMP_METRICS);
  const secondsLeft = new Set<string>();
  for (const name of names) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) continue;
    if (/_(bucket|count|sum|total|created|info)$|expired|errors?|failures?/i.test(name)) continue;
    if (/in_seconds|remaining|_left|until|_ttl/i.test(name)) secondsLeft.add(name);
    else timestamps.add(name);
  }
  return { timestamps: [...timestamps], secondsLeft: [...secondsLeft] };
}

/**
 * Soonest-expiring certificates of these metrics. Certificates belong to whichever exporter
 * reports them (blackbox probes a URL), so only an asked-for job or instance narrows them.
 */
export function certQuery(names: readonly string[], s: Scope): string {
  return `bottomk(${CHECK_CAP}, {${[`__name__=~${promString(names.map(reQuote).join('|'))}`, ...scopeMatchers(s)].join(',')}})`;
}

/** The label values API's `match[]` for certificate expiry metric names, narrowed like the cert queries. */
export function certNameMatch(s: Scope): string {
  return `{${['__name__=~"(?i).*cert.*expir.*"', ...scopeMatchers(s)].join(',')}}`;
}
