/**
 * An audit of Alertmanager's silences against what is firing: silences hiding critical alerts,
 * silences that match nothing (stale), that end within the hour (the alerts they hide will notify
 * again), that last for weeks, whose matchers are so broad they hide whole namespaces or
 * everything; pending ones listed, expired ones counted. Pure: silences and alerts in, findings out.
 */
import { labelValue, matchesAll, renderMatcher, silenceMatcher, type Labels, type Matcher, type SilenceMatcherSpec } from './alert-routing.js';

export interface AuditSilence {
  id: string;
  state: 'active' | 'pending' | 'expired';
  matchers: readonly SilenceMatcherSpec[];
  startsAt: string;
  endsAt: string;
}

export interface AuditAlert {
  labels: Labels;
  /** Alertmanager's own answer (status.silencedBy): which silences match this alert now. */
  silencedBy?: readonly string[];
}

export type SilenceFindingKind = 'hides_critical' | 'over_broad' | 'very_long' | 'expires_soon' | 'matches_nothing' | 'pending';
export type FindingSeverity = 'critical' | 'warning' | 'info';

export interface SilenceFinding {
  silence_id: string;
  kind: SilenceFindingKind;
  severity: FindingSeverity;
  finding: string;
}

export interface SilenceEffect {
  /** Alerts firing now that the silence mutes (active) or would mute once it starts (pending). */
  alerts: number;
  critical: number;
  /** Distinct alertnames among them, first few. */
  alertnames: string[];
}

export interface SilenceAudit {
  counts: { active: number; pending: number; expired: number };
  effects: ReadonlyMap<string, SilenceEffect>;
  /** Worst first; unbounded (the caller shows a page of them). */
  findings: SilenceFinding[];
}

export const SOON_MS = 60 * 60 * 1000;
export const LONG_MS = 7 * 24 * 60 * 60 * 1000;
const MAX_NAMES = 5;

/** Labels that name a whole slice of the estate: one matcher on them alone hides every alert of that slice. */
export const HIGH_LEVEL_LABELS: ReadonlySet<string> = new Set(['namespace', 'cluster', 'env', 'environment', 'severity', 'region', 'zone', 'datacenter', 'dc', 'team', 'tenant', 'job', 'prometheus']);

const SEVERITY_RANK: Record<FindingSeverity, number> = { critical: 0, warning: 1, info: 2 };

export function isCritical(labels: Labels): boolean {
  return labelValue(labels, 'severity').toLowerCase() === 'critical';
}

/** A matcher every value satisfies (`=~".*"`), or every present value (`=~".+"`, `!=""`): it narrows nothing that matters. */
export function isWildcard(m: Matcher): boolean {
  if (m.op === '!=' || m.op === '!~') return m.value === '';
  if (m.op !== '=~' || !m.re) return false;
  // A regex matching these unrelated values matches, for all practical purposes, anything.
  return ['x', 'payments', 'kube-system', 'TargetDown', '10.0.0.1:9100', 'a b/c'].every((v) => m.re!.test(v));
}

/** Why a silence's matchers are too broad to be safe, or undefined. */
export function overBroad(matchers: readonly Matcher[]): string | undefined {
  const narrowing = matchers.filter((m) => !isWildcard(m));
  if (narrowing.length === 0) return 'its matchers match every alert';
  if (narrowing.every((m) => m.op === '!=' || m.op === '!~')) return 'it only excludes alerts (negative matchers): it matches everything else';
  if (narrowing.length === 1 && HIGH_LEVEL_LABELS.has(narrowing[0].name)) return `it matches on ${narrowing[0].name} alone: every alert of ${renderMatcher(narrowing[0])}`;
  return undefined;
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(ms / 3_600_000);
  return hours < 48 ? `${hours} h` : `${Math.round(ms / 86_400_000)} d`;
}

function describe(matchers: readonly Matcher[]): string {
  const shown = matchers.slice(0, 3).map((m) => renderMatcher({ ...m, value: m.value.length > 60 ? `${m.value.slice(0, 60)}…` : m.value }));
  return `{${shown.join(', ')}${matchers.length > 3 ? ', …' : ''}}`;
}

/**
 * What each silence does now. Alertmanager's own status.silencedBy decides which alerts an active
 * silence mutes; matchers decide for pending silences and for alerts without that status.
 */
export function auditSilences(silences: readonly AuditSilence[], alerts: readonly AuditAlert[], now: number): SilenceAudit {
  const counts = { active: 0, pending: 0, expired: 0 };
  const effects = new Map<string, SilenceEffect>();
  const findings: SilenceFinding[] = [];
  for (const s of silences) {
    const endsAt = Date.parse(s.endsAt);
    const startsAt = Date.parse(s.startsAt);
    // The state is as of the answer; a silence may have ended since.
    const state = s.state !== 'expired' && Number.isFinite(endsAt) && endsAt <= now ? 'expired' : s.state;
    counts[state] += 1;
    if (state === 'expired') continue;
    const matchers = s.matchers.map(silenceMatcher);
    const hit = alerts.filter((a) => (state === 'active' && a.silencedBy !== undefined ? a.silencedBy.includes(s.id) : matchers.length > 0 && matchesAll(matchers, a.labels)));
    const critical = hit.filter((a) => isCritical(a.labels));
    const alertnames = [...new Set(hit.map((a) => labelValue(a.labels, 'alertname')).filter(Boolean))];
    effects.set(s.id, { alerts: hit.length, critical: critical.length, alertnames: alertnames.slice(0, MAX_NAMES) });
    const add = (kind: SilenceFindingKind, severity: FindingSeverity, finding: string) => findings.push({ silence_id: s.id, kind, severity, finding });
    const what = describe(matchers);
    const names = (list: string[]) => `${list.slice(0, 3).join(', ')}${list.length > 3 ? ', …' : ''}`;

    if (state === 'pending') {
      add('pending', 'info', `silence ${what} starts in ${duration(startsAt - now)}${hit.length ? `; it would mute ${hit.length} firing alert(s) (${critical.length} critical)` : ''}`);
    } else if (critical.length) {
      const criticalNames = [...new Set(critical.map((a) => labelValue(a.labels, 'alertname')).filter(Boolean))];
      add('hides_critical', 'critical', `silence ${what} hides ${critical.length} critical alert(s): ${names(criticalNames)}`);
    } else if (!hit.length) {
      add('matches_nothing', 'info', `silence ${what} matches no firing alert: stale, or waiting for an alert that has not fired`);
    }
    const broad = overBroad(matchers);
    if (broad) add('over_broad', 'warning', `silence ${what} is over-broad: ${broad}${hit.length ? `; it mutes ${hit.length} alert(s) now` : ''}`);
    if (Number.isFinite(startsAt) && Number.isFinite(endsAt) && endsAt - startsAt > LONG_MS) {
      add('very_long', 'warning', `silence ${what} lasts ${duration(endsAt - startsAt)} (until ${new Date(endsAt).toISOString()}): alerts it matches stay muted for that long`);
    }
    if (state === 'active' && endsAt - now <= SOON_MS) {
      add('expires_soon', hit.length ? 'warning' : 'info', `silence ${what} ends in ${duration(endsAt - now)}${hit.length ? `: its ${hit.length} muted alert(s) (${names(alertnames)}) will notify again if still firing` : ''}`);
    }
  }
  findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  return { counts, effects, findings };
}
