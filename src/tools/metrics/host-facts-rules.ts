import type { PromSeries } from '../../backends/metrics/prometheus.js';
import { clip } from './common.js';
import { CHECK_CAP, COLLECTORS, netKind, type CheckId, type HostFactId } from './host-facts-queries.js';

/**
 * What host_facts concludes from the node exporter series it read: findings with the threshold
 * each one crossed, the key facts per host, and the collectors that are off. No I/O here.
 */

export type Severity = 'critical' | 'warning' | 'info';
export type Area = 'filesystem' | 'memory' | 'cpu' | 'network' | 'systemd' | 'time' | 'certificate' | 'uptime' | 'file_descriptors' | 'conntrack';

export interface Finding {
  severity: Severity;
  host: string;
  area: Area;
  fact: string;
  value: number;
  unit: string;
  threshold: string;
  /** What the finding is about on its host (a mount point, a device), to merge findings in the summary; not output. */
  subject?: string;
}

/** The thresholds, stated once: each finding quotes its own. */
export const THRESHOLDS = {
  fs_used_pct: { warning: 85, critical: 95 },
  inodes_used_pct: { warning: 85, critical: 95 },
  fs_fill_hours: { critical: 24 },
  memory_used_pct: { warning: 90, critical: 95 },
  swap_used_pct: { warning: 80 },
  oom_kills_1h: { critical: 1 },
  load1_per_core: { warning: 2 },
  cpu_busy_pct: { warning: 90 },
  iowait_pct: { warning: 20 },
  net_errors_per_s: { warning: 1 },
  net_drops_per_s: { warning: 10 },
  clock_offset_ms: { warning: 50 },
  uptime_hours: { info: 24 },
  fd_used_pct: { warning: 80, critical: 90 },
  conntrack_used_pct: { warning: 75, critical: 90 },
  cert_days: { warning: 30, critical: 7 },
} as const;

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Rounded to `digits` decimals; exactly what was measured, no more precision than it means. Thresholds compare the unrounded value. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Cut down to `digits` decimals, for time left (29.96 days is "29.9 days", never "30 days" under a 30-day threshold). */
export function floor(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.floor(value * f + 1e-9) / f;
}

function num(s: PromSeries): number {
  return s.value ? Number(s.value[1]) : NaN;
}

/** Unix seconds the sample was evaluated at. */
function at(s: PromSeries): number {
  return s.value ? Number(s.value[0]) : NaN;
}

export function hostOf(s: PromSeries): string {
  return clip(s.metric.instance ?? '', 200) || '(no instance label)';
}

/** Severity of a value against warning/critical levels (higher is worse). */
function grade(value: number, t: { warning?: number; critical?: number }): Severity | undefined {
  if (t.critical !== undefined && value >= t.critical) return 'critical';
  if (t.warning !== undefined && value >= t.warning) return 'warning';
  return undefined;
}

function levels(t: { warning?: number; critical?: number }, unit: string, what = ''): string {
  const parts = [t.warning !== undefined ? `warning ≥ ${t.warning}${unit}` : '', t.critical !== undefined ? `critical ≥ ${t.critical}${unit}` : ''].filter(Boolean);
  return `${parts.join(', ')}${what ? ` (${what})` : ''}`;
}

function mount(s: PromSeries): string {
  return clip(s.metric.mountpoint ?? s.metric.device ?? '?', 120);
}

export interface CheckOutcome {
  findings: Finding[];
  /** Checks whose bounded answer was all findings: more may exist beyond the cap. */
  capped: string[];
}

type Rule = (s: PromSeries) => Finding | undefined;

const FS_WHAT = 'used / (used + available), as df computes it';

/** One rule per check query, over its series. */
const CHECK_RULES: Record<CheckId, Rule> = {
  fs_used_pct: (s) => {
    const v = round(num(s));
    const severity = grade(num(s), THRESHOLDS.fs_used_pct);
    if (!severity) return undefined;
    return { severity, host: hostOf(s), area: 'filesystem', fact: `${mount(s)} is ${v}% full`, value: v, unit: '%', threshold: levels(THRESHOLDS.fs_used_pct, '%', FS_WHAT), subject: mount(s) };
  },
  inodes_used_pct: (s) => {
    const v = round(num(s));
    const severity = grade(num(s), THRESHOLDS.inodes_used_pct);
    if (!severity) return undefined;
    return { severity, host: hostOf(s), area: 'filesystem', fact: `${mount(s)} has used ${v}% of its inodes`, value: v, unit: '%', threshold: levels(THRESHOLDS.inodes_used_pct, '%'), subject: `${mount(s)} inodes` };
  },
  fs_readonly: (s) =>
    num(s) === 1
      ? { severity: 'warning', host: hostOf(s), area: 'filesystem', fact: `${mount(s)} is mounted read-only`, value: 1, unit: 'node_filesystem_readonly', threshold: 'warning: read-only (node_filesystem_readonly = 1); fine when intended, a remount after I/O errors otherwise', subject: `${mount(s)} ro` }
      : undefined,
  fs_fill_hours: (s) => {
    if (!(num(s) < THRESHOLDS.fs_fill_hours.critical)) return undefined;
    const v = Math.max(0, floor(num(s)));
    return {
      severity: 'critical',
      host: hostOf(s),
      area: 'filesystem',
      fact: v === 0 ? `${mount(s)} is full at its 6 h trend` : `${mount(s)} will fill within 24 h at its 6 h trend (in about ${v} h)`,
      value: v,
      unit: 'h',
      threshold: 'critical: available bytes reach 0 within 24 h (predict_linear over the last 6 h, with at least 1 h of samples)',
      subject: mount(s),
    };
  },
  net_rates: (s) => {
    const kind = netKind(s);
    const t = kind.endsWith('drops') ? THRESHOLDS.net_drops_per_s : THRESHOLDS.net_errors_per_s;
    const v = round(num(s), 2);
    const severity = grade(num(s), t);
    if (!severity) return undefined;
    const device = clip(s.metric.device ?? '?', 60);
    return { severity, host: hostOf(s), area: 'network', fact: `${device}: ${v} ${kind}/s`, value: v, unit: '/s', threshold: levels(t, '/s', 'rate over 5 m'), subject: `${device} ${kind}` };
  },
  link_down: (s) => {
    const device = clip(s.metric.device ?? '?', 60);
    return num(s) === 0
      ? { severity: 'warning', host: hostOf(s), area: 'network', fact: `link ${device} is down`, value: 0, unit: 'node_network_up', threshold: 'warning: node_network_up = 0 on an interface not administratively down (lo excluded)', subject: `${device} down` }
      : undefined;
  },
  systemd_failed: (s) => {
    const unit = clip(s.metric.name ?? '?', 120);
    return num(s) === 1
      ? { severity: 'critical', host: hostOf(s), area: 'systemd', fact: `unit ${unit} has failed`, value: 1, unit: 'node_systemd_unit_state{state="failed"}', threshold: 'critical: unit in state failed', subject: unit }
      : undefined;
  },
};

/** Findings of host-level facts (one value per host). */
const FACT_RULES: Partial<Record<HostFactId, Rule>> = {
  memory_used_pct: pctRule('memory', 'memory', THRESHOLDS.memory_used_pct, (v) => `memory is ${v}% used`, '1 - MemAvailable / MemTotal'),
  swap_used_pct: pctRule('swap', 'memory', THRESHOLDS.swap_used_pct, (v) => `swap is ${v}% used`),
  fd_used_pct: pctRule('fd', 'file_descriptors', THRESHOLDS.fd_used_pct, (v) => `${v}% of the file descriptor limit is allocated`, 'node_filefd_allocated / node_filefd_maximum'),
  conntrack_used_pct: pctRule('conntrack', 'conntrack', THRESHOLDS.conntrack_used_pct, (v) => `the conntrack table is ${v}% full`, 'entries / limit; new connections drop when full'),
  cpu_busy_pct: pctRule('cpu', 'cpu', THRESHOLDS.cpu_busy_pct, (v) => `CPU is ${v}% busy`, 'average over 5 m'),
  iowait_pct: pctRule('iowait', 'cpu', THRESHOLDS.iowait_pct, (v) => `CPU spends ${v}% of its time in iowait`, 'average over 5 m'),
  load1_per_core: (s) => {
    const v = round(num(s), 2);
    const severity = grade(num(s), THRESHOLDS.load1_per_core);
    return severity ? { severity, host: hostOf(s), area: 'cpu', fact: `load1 is ${v} per core`, value: v, unit: 'per core', threshold: levels(THRESHOLDS.load1_per_core, ' per core', 'node_load1 / CPUs'), subject: 'load' } : undefined;
  },
  oom_kills_1h: (s) => {
    const v = Math.round(num(s));
    return v >= THRESHOLDS.oom_kills_1h.critical
      ? { severity: 'critical', host: hostOf(s), area: 'memory', fact: `the kernel OOM-killed ${v} process${v === 1 ? '' : 'es'} in the last hour`, value: v, unit: 'kills', threshold: 'critical ≥ 1 OOM kill in 1 h (node_vmstat_oom_kill)', subject: 'oom' }
      : undefined;
  },
  uptime_seconds: (s) => {
    const h = floor(num(s) / 3600);
    return num(s) / 3600 < THRESHOLDS.uptime_hours.info
      ? { severity: 'info', host: hostOf(s), area: 'uptime', fact: `rebooted ${h} h ago`, value: h, unit: 'h', threshold: 'info: uptime < 24 h (node_time_seconds - node_boot_time_seconds)', subject: 'uptime' }
      : undefined;
  },
  clock_sync_status: (s) =>
    num(s) === 0
      ? { severity: 'critical', host: hostOf(s), area: 'time', fact: 'clock unsynchronised', value: 0, unit: 'node_timex_sync_status', threshold: 'critical: node_timex_sync_status = 0 (the kernel clock is not synchronised by NTP/chrony)', subject: 'clock' }
      : undefined,
  clock_offset_seconds: (s) => {
    const ms = round(num(s) * 1000);
    return num(s) * 1000 > THRESHOLDS.clock_offset_ms.warning
      ? { severity: 'warning', host: hostOf(s), area: 'time', fact: `clock offset is ${ms} ms`, value: ms, unit: 'ms', threshold: 'warning: |node_timex_offset_seconds| > 50 ms', subject: 'clock offset' }
      : undefined;
  },
};

function pctRule(subject: string, area: Area, t: { warning?: number; critical?: number }, fact: (v: number) => string, what = ''): Rule {
  return (s) => {
    const v = round(num(s));
    const severity = grade(num(s), t);
    return severity ? { severity, host: hostOf(s), area, fact: fact(v), value: v, unit: '%', threshold: levels(t, '%', what), subject } : undefined;
  };
}

function apply(rule: Rule, series: readonly PromSeries[] | undefined, id: string, out: CheckOutcome): void {
  let hits = 0;
  for (const s of series ?? []) {
    if (!Number.isFinite(num(s))) continue;
    const f = rule(s);
    if (f) {
      out.findings.push(f);
      hits++;
    }
  }
  if ((series?.length ?? 0) >= CHECK_CAP && hits >= CHECK_CAP) out.capped.push(id);
}

/** Findings of the check queries and of the host-level facts, sorted: critical first, then by host. */
export function evaluateChecks(checks: Partial<Record<CheckId, PromSeries[]>>, facts: Partial<Record<HostFactId, PromSeries[]>>): CheckOutcome {
  const out: CheckOutcome = { findings: [], capped: [] };
  for (const [id, rule] of Object.entries(CHECK_RULES)) apply(rule, checks[id as CheckId], id, out);
  for (const [id, rule] of Object.entries(FACT_RULES)) apply(rule, facts[id as HostFactId], id, out);
  out.findings = dedupe(out.findings);
  return out;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const f of findings) {
    const key = `${f.host}|${f.area}|${f.fact}`;
    if (!seen.has(key)) seen.set(key, f);
  }
  return sortFindings([...seen.values()]);
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => RANK[a.severity] - RANK[b.severity] || a.host.localeCompare(b.host) || a.area.localeCompare(b.area) || b.value - a.value || a.fact.localeCompare(b.fact));
}

// ---------------------------------------------------------------- certificates

const CERT_NAME_LABELS = ['subject_CN', 'subject_cn', 'cn', 'common_name', 'subject', 'serial_number', 'serial_no'];
const CERT_WHERE_LABELS = ['filepath', 'path', 'file', 'filename', 'secret_name', 'secret', 'target', 'url'];

function certName(s: PromSeries): string {
  const m = s.metric;
  const name = CERT_NAME_LABELS.map((l) => m[l]).find(Boolean);
  // A blackbox probe's certificate is the one its target (the instance label) served.
  const where = CERT_WHERE_LABELS.map((l) => m[l]).find(Boolean) ?? (m.__name__?.startsWith('probe_') ? m.instance : undefined);
  const text = [name, where ? (name ? `(${where})` : where) : undefined].filter(Boolean).join(' ');
  return clip(text || m.__name__ || 'certificate', 160);
}

/**
 * Certificate findings: `timestamps` series hold the expiry as unix seconds (probe_ssl_earliest_cert_expiry,
 * x509_cert_not_after), `secondsLeft` series the seconds until it. Days left are counted from the
 * instant the query was evaluated at. Expired or < 7 d: critical; < 30 d: warning.
 */
export function certFindings(timestamps: readonly PromSeries[], secondsLeft: readonly PromSeries[]): CheckOutcome & { checked: number } {
  const out: CheckOutcome = { findings: [], capped: [] };
  let checked = 0;
  const rule = (kind: 'timestamp' | 'left') => (s: PromSeries): Finding | undefined => {
    const v = num(s);
    // A timestamp is after 2001; a seconds-left value is below that: anything else is not what the name says.
    if (kind === 'timestamp' ? v < 1e9 : v >= 1e9) return undefined;
    checked++;
    const left = (kind === 'timestamp' ? v - at(s) : v) / 86_400;
    const severity: Severity | undefined = left < THRESHOLDS.cert_days.critical ? 'critical' : left < THRESHOLDS.cert_days.warning ? 'warning' : undefined;
    const days = floor(left);
    if (!severity) return undefined;
    const what = certName(s);
    const metric = clip(s.metric.__name__ ?? '', 100);
    return {
      severity,
      host: hostOf(s),
      area: 'certificate',
      fact: left <= 0 ? `certificate ${what} expired ${Math.abs(days)} days ago` : `certificate ${what} expires in ${days} days`,
      value: days,
      unit: 'days',
      threshold: `critical: expired or < 7 days left; warning < 30 days (${metric})`,
      subject: `cert ${what}`,
    };
  };
  apply(rule('timestamp'), timestamps, 'certificates', out);
  apply(rule('left'), secondsLeft, 'certificates', out);
  return { findings: sortFindings(out.findings), capped: out.capped, checked };
}

// ---------------------------------------------------------------- per host

export interface HostEntry {
  host: string;
  job: string;
  nodename?: string;
  kernel?: string;
  os?: string;
  arch?: string;
  cpus?: number;
  uptime_hours?: number;
  load1_per_core?: number;
  cpu_busy_pct?: number;
  iowait_pct?: number;
  memory_used_pct?: number;
  swap_used_pct?: number;
  oom_kills_1h?: number;
  root_fs_used_pct?: number;
  fd_used_pct?: number;
  conntrack_used_pct?: number;
  clock_synced?: boolean;
  clock_offset_ms?: number;
  clock_maxerror_ms?: number;
  critical: number;
  warning: number;
}

const NUMERIC: Partial<Record<HostFactId, { key: keyof HostEntry; value: (v: number) => number }>> = {
  cpus: { key: 'cpus', value: (v) => v },
  uptime_seconds: { key: 'uptime_hours', value: (v) => floor(v / 3600) },
  load1_per_core: { key: 'load1_per_core', value: (v) => round(v, 2) },
  cpu_busy_pct: { key: 'cpu_busy_pct', value: (v) => round(v) },
  iowait_pct: { key: 'iowait_pct', value: (v) => round(v) },
  memory_used_pct: { key: 'memory_used_pct', value: (v) => round(v) },
  swap_used_pct: { key: 'swap_used_pct', value: (v) => round(v) },
  oom_kills_1h: { key: 'oom_kills_1h', value: (v) => Math.round(v) },
  root_fs_used_pct: { key: 'root_fs_used_pct', value: (v) => round(v) },
  fd_used_pct: { key: 'fd_used_pct', value: (v) => round(v, 2) },
  conntrack_used_pct: { key: 'conntrack_used_pct', value: (v) => round(v) },
  clock_offset_seconds: { key: 'clock_offset_ms', value: (v) => round(v * 1000) },
  clock_maxerror_seconds: { key: 'clock_maxerror_ms', value: (v) => round(v * 1000) },
};

/** Key facts of each host found in the host-level answers (first job wins when two jobs scrape one instance). */
export function hostEntries(facts: Partial<Record<HostFactId, PromSeries[]>>): Map<string, HostEntry> {
  const hosts = new Map<string, HostEntry>();
  const entry = (s: PromSeries) => {
    const host = hostOf(s);
    let e = hosts.get(host);
    if (!e) {
      e = { host, job: clip(s.metric.job ?? '', 100), critical: 0, warning: 0 };
      hosts.set(host, e);
    }
    return e;
  };
  for (const s of facts.uname ?? []) {
    const e = entry(s);
    e.nodename ??= clip(s.metric.nodename, 100) || undefined;
    e.kernel ??= clip(s.metric.release, 100) || undefined;
    e.arch ??= clip(s.metric.machine, 40) || undefined;
  }
  for (const s of facts.os ?? []) {
    const e = entry(s);
    e.os ??= clip(s.metric.pretty_name || [s.metric.name, s.metric.version].filter(Boolean).join(' '), 100) || undefined;
  }
  for (const [id, spec] of Object.entries(NUMERIC) as [HostFactId, NonNullable<(typeof NUMERIC)[HostFactId]>][]) {
    for (const s of facts[id] ?? []) {
      const v = num(s);
      if (!Number.isFinite(v)) continue;
      const e = entry(s) as unknown as Record<string, unknown>;
      if (e[spec.key] === undefined) e[spec.key] = spec.value(v);
    }
  }
  for (const s of facts.clock_sync_status ?? []) {
    const e = entry(s);
    if (e.clock_synced === undefined && Number.isFinite(num(s))) e.clock_synced = num(s) === 1;
  }
  return hosts;
}

/** The hosts listed: those with critical findings first, then warnings, then the rest by name, cut at `limit`. */
export function chooseHosts(all: Iterable<string>, findings: readonly Finding[], limit: number): { hosts: string[]; more: boolean } {
  const worst = new Map<string, number>();
  for (const f of findings) if (f.severity !== 'info') worst.set(f.host, Math.min(worst.get(f.host) ?? 9, RANK[f.severity]));
  const names = [...new Set([...all])];
  names.sort((a, b) => (worst.get(a) ?? 9) - (worst.get(b) ?? 9) || a.localeCompare(b));
  return { hosts: names.slice(0, limit), more: names.length > limit };
}

// ---------------------------------------------------------------- missing collectors

export interface Missing {
  collector: string;
  metric: string;
  hosts_without: number;
  enable: string;
}

/** Collectors whose metric some of the `hosts` hosts do not export, from the presence counts (`count by (__name__)`). */
export function missingCollectors(presence: readonly PromSeries[], hosts: number): Missing[] {
  const have = new Map(presence.map((s) => [s.metric.__name__ ?? '', num(s)]));
  return COLLECTORS.filter((c) => (have.get(c.metric) ?? 0) < hosts).map((c) => ({ collector: c.collector, metric: c.metric, hosts_without: Math.max(0, hosts - (have.get(c.metric) ?? 0)), enable: c.enable }));
}

export const NO_CERT_METRICS: Missing = {
  collector: 'certificates',
  metric: 'probe_ssl_earliest_cert_expiry | x509_cert_not_after | *cert*expir*',
  hosts_without: 0,
  enable:
    'no certificate expiry metric found: probe TLS endpoints with blackbox exporter, run x509-certificate-exporter for certificate files, or write x509_cert_not_after{filepath="…"} <unix time> into a node exporter textfile-collector .prom file',
};

// ---------------------------------------------------------------- summary

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One or two sentences: hosts, problems (the worst three, fill and usage of one mount merged), what is missing. */
export function summarize(p: { hosts: number; jobs: readonly string[]; instance?: string; findings: readonly Finding[]; missing: readonly Missing[]; certsChecked: number }): string {
  const scope = `${p.jobs.length ? ` (job ${p.jobs.slice(0, 3).join(', ')}${p.jobs.length > 3 ? ', …' : ''})` : ''}`;
  if (p.hosts === 0) {
    const where = p.instance !== undefined ? ` for instance ${JSON.stringify(clip(p.instance, 80))}` : '';
    const certs = p.findings.length ? ` ${plural(p.findings.length, 'certificate finding')}: ${p.findings.slice(0, 3).map((f) => `${f.host}: ${f.fact}`).join('; ')}.` : '';
    return `No node exporter host found${where}${scope} (no node_uname_info or node_exporter_build_info series).${certs}`;
  }
  const problems = p.findings.filter((f) => f.severity !== 'info');
  const merged = new Map<string, { host: string; subject?: string; findings: Finding[]; severity: Severity }>();
  for (const f of problems) {
    const key = `${f.host}|${f.subject ?? f.fact}`;
    const m = merged.get(key);
    if (m) m.findings.push(f);
    else merged.set(key, { host: f.host, subject: f.subject, findings: [f], severity: f.severity });
  }
  // "/ is 93% full and will fill within 24 h": the measured value first, the subject named once.
  const phrase = (i: { subject?: string; findings: Finding[] }) =>
    [...i.findings]
      .sort((a, b) => Number(a.unit !== '%') - Number(b.unit !== '%'))
      .map((f, n) => (n > 0 && i.subject && f.fact.startsWith(`${i.subject} `) ? f.fact.slice(i.subject.length + 1) : f.fact))
      .join(' and ');
  const items = [...merged.values()];
  const crit = items.filter((i) => i.severity === 'critical').length;
  const head = `${plural(p.hosts, 'host')}${scope}`;
  const text = items.length
    ? `${head}; ${plural(items.length, 'problem')} (${crit} critical): ${items
        .slice(0, 3)
        .map((i) => `${phrase(i)} on ${i.host}`)
        .join('; ')}${items.length > 3 ? `; and ${items.length - 3} more` : ''}.`
    : `${head}; no problem found${p.findings.length ? ` (${plural(p.findings.length, 'note')}: ${p.findings[0].fact} on ${p.findings[0].host})` : ''}.`;
  const off = p.missing.filter((m) => m.collector !== 'certificates');
  return `${text}${off.length ? ` Not reported: ${off.map((m) => m.collector).join(', ')} (see missing).` : ''}`;
}
