import { redactString } from '../../core/redact.js';
import type { AmAlert, AmSilence } from '../../backends/metrics/alertmanager.js';
import { labelValue, receiverNotifies, type RoutingConfig } from '../../analysis/metrics/alert-routing.js';
import { clip, iso } from './common.js';

/** What a firing alert's labels and texts become in a report: bounded, sanitised, secrets masked. */
export const MAX_INSTANCES = 5;
export const MAX_REFS = 3;
export const MAX_RECEIVERS = 5;
const MAX_LABELS = 12;

const SEVERITY_RANK: Record<string, number> = { critical: 0, error: 1, high: 1, page: 1, warning: 2, medium: 2, info: 3, low: 3, none: 5, unset: 6, '': 6 };
/** Labels that name what an alert is about, most telling first. */
const IDENTITY_LABELS = ['pod', 'node', 'instance', 'deployment', 'statefulset', 'daemonset', 'job_name', 'persistentvolumeclaim', 'resourcequota', 'service', 'job', 'container'];
/**
 * Where an exporter's own scrape labels are not what its alerts are about (kube-prometheus'
 * conventions): kube-state-metrics describes other objects (its instance is its own address);
 * a node exporter describes its node (its pod is the exporter's).
 */
const EXPORTER_CONVENTIONS: { job: RegExp; notSubject: ReadonlySet<string> }[] = [
  { job: /kube-state-metrics/, notSubject: new Set(['instance', 'job', 'service', 'endpoint']) },
  { job: /node[-_]exporter/, notSubject: new Set(['pod', 'container', 'service', 'endpoint']) },
];
/** Never what tells the alerts of one group apart, though they may differ. */
const NOT_IDENTITY = new Set(['alertname', 'severity', 'namespace', 'uid']);

export const severityRank = (severity: string): number => SEVERITY_RANK[severity.toLowerCase()] ?? 4;

/** User text (annotations, silence comments): one line, sanitised, cut, secret-looking tokens masked. */
export function userText(value: string, max = 200): string {
  return redactString(clip(value, max));
}

/** A label set as `{k="v", …}`, values cut, at most MAX_LABELS labels. */
export function labelsText(labels: Record<string, string>, max = 240): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a === 'alertname' ? -1 : b === 'alertname' ? 1 : a.localeCompare(b)));
  const shown = entries.slice(0, MAX_LABELS).map(([k, v]) => `${clip(k, 64)}=${JSON.stringify(userText(v, 80))}`);
  const text = `{${shown.join(', ')}${entries.length > MAX_LABELS ? ', …' : ''}}`;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The identity labels an alert carries, most telling first, without the exporter's own where it is not the subject. */
function identityLabels(labels: Record<string, string>): string[] {
  const exporter = EXPORTER_CONVENTIONS.find((c) => c.job.test(labels.job ?? '') || c.job.test(labels.service ?? ''));
  return IDENTITY_LABELS.filter((l) => labels[l] && !exporter?.notSubject.has(l));
}

/** What identifies one alert to a reader: its pod, node, instance…, else its other labels; '' when it has none. */
export function identity(labels: Record<string, string>): string {
  const [first] = identityLabels(labels);
  if (first) return userText(labels[first], 80);
  const { alertname: _a, severity: _s, namespace: _n, ...rest } = labels;
  return Object.keys(rest).length ? labelsText(rest, 80) : '';
}

/**
 * What tells the alerts of one group apart: the first identity label whose value differs
 * among them (six crash-looping pods share kube-state-metrics' instance, not their pod), else
 * any label that differs, else each alert's own identity.
 */
export function groupIdentities(alerts: readonly AmAlert[]): string[] {
  const differs = (l: string) => new Set(alerts.map((a) => a.labels[l] ?? '')).size > 1;
  if (alerts.length > 1) {
    const candidates = [...new Set(alerts.flatMap((a) => identityLabels(a.labels)))];
    const others = [...new Set(alerts.flatMap((a) => Object.keys(a.labels)))].filter((l) => !NOT_IDENTITY.has(l)).sort();
    const label = candidates.find(differs) ?? others.find(differs);
    if (label) return [...new Set(alerts.map((a) => userText(a.labels[label] ?? '', 80)).filter(Boolean))];
  }
  return [...new Set(alerts.map((a) => identity(a.labels)).filter(Boolean))];
}

/** `14:03Z` today, `2026-03-09 14:03Z` before. */
export function shortTime(ms: number, now: number): string {
  const t = iso(ms);
  return t.slice(0, 10) === iso(now).slice(0, 10) ? `${t.slice(11, 16)}Z` : `${t.slice(0, 10)} ${t.slice(11, 16)}Z`;
}

export const isSilenced = (a: AmAlert) => a.status.silencedBy.length > 0;
export const isInhibited = (a: AmAlert) => a.status.inhibitedBy.length > 0;
export const isMuted = (a: AmAlert) => (a.status.mutedBy?.length ?? 0) > 0;
export const severityOf = (a: AmAlert) => labelValue(a.labels, 'severity');

/** The receivers an alert reaches that have an integration; undefined when the configuration could not be read. */
export function notifyingReceivers(a: AmAlert, routing: RoutingConfig | undefined): string[] | undefined {
  if (!routing) return undefined;
  return [...new Set(a.receivers.map((r) => r.name))].filter((name) => receiverNotifies(routing, name) === true);
}

export interface SilenceRef {
  id: string;
  comment: string;
  created_by: string;
  ends_at: string;
}

export interface InhibitorRef {
  alertname: string;
  labels: string;
  fingerprint: string;
}

export function silenceRef(id: string, silences: ReadonlyMap<string, AmSilence>): SilenceRef {
  const s = silences.get(id);
  return s ? { id, comment: userText(s.comment), created_by: userText(s.createdBy, 64), ends_at: s.endsAt } : { id, comment: '', created_by: '', ends_at: '' };
}

/** The inhibiting alert, found by fingerprint among the firing alerts (it may have resolved since). */
export function inhibitorRef(fingerprint: string, byFingerprint: ReadonlyMap<string, AmAlert>): InhibitorRef {
  const a = byFingerprint.get(fingerprint);
  return a
    ? { alertname: userText(labelValue(a.labels, 'alertname'), 120), labels: labelsText(a.labels), fingerprint }
    : { alertname: '(no longer firing)', labels: '', fingerprint };
}

/**
 * An active alert someone should hear about. severity="none" marks the alerts kube-prometheus and
 * most rule sets send on purpose to a receiver without integrations (Watchdog, InfoInhibitor).
 */
export function expectsNotification(a: AmAlert): boolean {
  return a.status.state === 'active' && severityOf(a).toLowerCase() !== 'none';
}

export interface Counts {
  firing: number;
  active: number;
  silenced: number;
  inhibited: number;
  muted: number;
  unprocessed: number;
  /** Active alerts (but severity="none") whose receivers, per the configuration, all notify nobody. */
  active_unnotified?: number;
  by_severity: Record<string, number>;
}

export function countAlerts(alerts: readonly AmAlert[], routing: RoutingConfig | undefined): Counts {
  const counts: Counts = { firing: alerts.length, active: 0, silenced: 0, inhibited: 0, muted: 0, unprocessed: 0, by_severity: {} };
  let unnotified = 0;
  for (const a of alerts) {
    if (a.status.state === 'active') counts.active += 1;
    if (a.status.state === 'unprocessed') counts.unprocessed += 1;
    if (isSilenced(a)) counts.silenced += 1;
    if (isInhibited(a)) counts.inhibited += 1;
    if (isMuted(a)) counts.muted += 1;
    const severity = severityOf(a) || 'unset';
    counts.by_severity[severity] = (counts.by_severity[severity] ?? 0) + 1;
    if (expectsNotification(a) && notifyingReceivers(a, routing)?.length === 0) unnotified += 1;
  }
  if (routing) counts.active_unnotified = unnotified;
  const ordered: Record<string, number> = {};
  for (const key of Object.keys(counts.by_severity).sort((x, y) => severityRank(x) - severityRank(y) || x.localeCompare(y)).slice(0, 20)) ordered[key] = counts.by_severity[key];
  counts.by_severity = ordered;
  return counts;
}

export interface Group {
  alertname: string;
  severity?: string;
  namespace?: string;
  count: number;
  state: 'active' | 'suppressed' | 'unprocessed' | 'mixed';
  /** How many of each, where the state alone does not say (not all active); only those that are not 0. */
  active?: number;
  silenced?: number;
  inhibited?: number;
  since: string;
  instances: string[];
  more_instances?: number;
  receivers: string[];
  /** The silence's other fields are in the silence list. */
  silenced_by?: { id: string; comment: string }[];
  inhibited_by?: GroupInhibitor[];
  muted_by?: string[];
  summary?: string;
}

/** The inhibiting alert as a group names it: its name and what it is about (the per-alert `why` gives its labels). */
export interface GroupInhibitor {
  alertname: string;
  on: string;
  fingerprint: string;
}

interface GroupAcc {
  alerts: AmAlert[];
  alertname: string;
  severity: string;
  namespace: string;
}

/** Firing alerts grouped by alertname, severity and namespace, worst first: critical before warning, active before muted, bigger first. */
export function groupAlerts(
  alerts: readonly AmAlert[],
  ctx: { silences: ReadonlyMap<string, AmSilence>; byFingerprint: ReadonlyMap<string, AmAlert> },
): Group[] {
  const accs = new Map<string, GroupAcc>();
  for (const a of alerts) {
    const alertname = labelValue(a.labels, 'alertname');
    const severity = severityOf(a);
    const namespace = labelValue(a.labels, 'namespace');
    const key = JSON.stringify([alertname, severity, namespace]);
    let acc = accs.get(key);
    if (!acc) accs.set(key, (acc = { alerts: [], alertname, severity, namespace }));
    acc.alerts.push(a);
  }
  const groups = [...accs.values()].map((g) => toGroup(g, ctx));
  groups.sort(
    (x, y) =>
      severityRank(x.severity ?? '') - severityRank(y.severity ?? '') ||
      Number(hasActive(y)) - Number(hasActive(x)) ||
      y.count - x.count ||
      x.since.localeCompare(y.since) ||
      x.alertname.localeCompare(y.alertname),
  );
  return groups;
}

const hasActive = (g: Group) => g.state === 'active' || (g.active ?? 0) > 0;

/** Present only when not 0. */
const nonZero = <K extends string>(key: K, n: number): Partial<Record<K, number>> => (n ? ({ [key]: n } as Record<K, number>) : {});

function toGroup(g: GroupAcc, ctx: { silences: ReadonlyMap<string, AmSilence>; byFingerprint: ReadonlyMap<string, AmAlert> }): Group {
  const states = new Set(g.alerts.map((a) => a.status.state));
  const state = states.size === 1 ? [...states][0] : 'mixed';
  const since = Math.min(...g.alerts.map((a) => Date.parse(a.startsAt)).filter(Number.isFinite));
  const instances = groupIdentities(g.alerts);
  const receivers = [...new Set(g.alerts.flatMap((a) => a.receivers.map((r) => r.name)))];
  const silenceIds = [...new Set(g.alerts.flatMap((a) => a.status.silencedBy))];
  const inhibitors = [...new Set(g.alerts.flatMap((a) => a.status.inhibitedBy))];
  const mutedBy = [...new Set(g.alerts.flatMap((a) => a.status.mutedBy ?? []))];
  const annotated = g.alerts.find((a) => a.annotations.summary || a.annotations.message || a.annotations.description);
  const summary = annotated ? userText(annotated.annotations.summary || annotated.annotations.message || annotated.annotations.description) : '';
  return {
    alertname: userText(g.alertname, 120),
    ...(g.severity ? { severity: userText(g.severity, 40) } : {}),
    ...(g.namespace ? { namespace: userText(g.namespace, 120) } : {}),
    count: g.alerts.length,
    state,
    ...(state === 'active' ? {} : { ...nonZero('active', g.alerts.filter((a) => a.status.state === 'active').length), ...nonZero('silenced', g.alerts.filter(isSilenced).length), ...nonZero('inhibited', g.alerts.filter(isInhibited).length) }),
    since: Number.isFinite(since) ? iso(since) : '',
    instances: instances.slice(0, MAX_INSTANCES),
    ...(instances.length > MAX_INSTANCES ? { more_instances: instances.length - MAX_INSTANCES } : {}),
    receivers: receivers.slice(0, MAX_RECEIVERS).map((r) => userText(r, 120)),
    ...(silenceIds.length ? { silenced_by: silenceIds.slice(0, MAX_REFS).map((id) => ({ id, comment: silenceRef(id, ctx.silences).comment })) } : {}),
    ...(inhibitors.length ? { inhibited_by: dedupeInhibitors(inhibitors.map((fp) => groupInhibitor(fp, ctx.byFingerprint))).slice(0, MAX_REFS) } : {}),
    ...(mutedBy.length ? { muted_by: mutedBy.slice(0, MAX_REFS).map((m) => userText(m, 120)) } : {}),
    ...(summary ? { summary } : {}),
  };
}

function groupInhibitor(fingerprint: string, byFingerprint: ReadonlyMap<string, AmAlert>): GroupInhibitor {
  const a = byFingerprint.get(fingerprint);
  return a ? { alertname: userText(labelValue(a.labels, 'alertname'), 120), on: identity(a.labels), fingerprint } : { alertname: '(no longer firing)', on: '', fingerprint };
}

/** Several alerts inhibited by the same source name it once. */
function dedupeInhibitors(refs: GroupInhibitor[]): GroupInhibitor[] {
  const seen = new Set<string>();
  return refs.filter((r) => !seen.has(r.fingerprint) && seen.add(r.fingerprint));
}
