/**
 * The silence audit: what each silence mutes among the firing alerts, and the findings an SRE acts
 * on (a silence hiding a critical alert, one matching nothing, one ending within the hour, one
 * lasting weeks, over-broad matchers, pending ones), on silences shaped as /api/v2/silences
 * returns them.
 */
import { describe, expect, it } from 'vitest';
import { auditSilences, isWildcard, overBroad, type AuditAlert, type AuditSilence } from '../../src/analysis/metrics/silence-audit.js';
import { parseMatchers } from '../../src/analysis/metrics/alert-routing.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();
const eq = (name: string, value: string) => ({ name, value, isRegex: false, isEqual: true });
const re = (name: string, value: string) => ({ name, value, isRegex: true, isEqual: true });

function silence(id: string, matchers: AuditSilence['matchers'], from = -60, to = 24 * 60, state: AuditSilence['state'] = 'active'): AuditSilence {
  return { id, state, matchers, startsAt: at(from), endsAt: at(to) };
}

const ALERTS: AuditAlert[] = [
  { labels: { alertname: 'TargetDown', severity: 'critical', instance: 'db-1:9100', namespace: 'payments' }, silencedBy: ['s-critical'] },
  { labels: { alertname: 'HighLatency', severity: 'warning', instance: 'db-1:9100', namespace: 'payments' }, silencedBy: [] },
  { labels: { alertname: 'Watchdog', severity: 'none' }, silencedBy: ['s-watchdog'] },
  { labels: { alertname: 'DiskFull', severity: 'warning', namespace: 'logging' }, silencedBy: ['s-soon'] },
];

describe('auditSilences', () => {
  it('finds the silence hiding a critical alert, from Alertmanager\'s silencedBy', () => {
    const audit = auditSilences([silence('s-critical', [eq('alertname', 'TargetDown'), eq('instance', 'db-1:9100')])], ALERTS, NOW);
    expect(audit.findings).toEqual([{ silence_id: 's-critical', kind: 'hides_critical', severity: 'critical', finding: 'silence {alertname="TargetDown", instance="db-1:9100"} hides 1 critical alert(s): TargetDown' }]);
    expect(audit.effects.get('s-critical')).toEqual({ alerts: 1, critical: 1, alertnames: ['TargetDown'] });
  });

  it('trusts silencedBy over its own matching for active silences, and matches itself where the status is absent', () => {
    // The matchers would match TargetDown, but Alertmanager says the silence mutes nothing (e.g. it just ended there).
    const s = silence('s-other', [eq('alertname', 'TargetDown')]);
    expect(auditSilences([s], ALERTS, NOW).effects.get('s-other')!.alerts).toBe(0);
    const noStatus = ALERTS.map(({ labels }) => ({ labels }));
    expect(auditSilences([s], noStatus, NOW).effects.get('s-other')).toEqual({ alerts: 1, critical: 1, alertnames: ['TargetDown'] });
  });

  it('calls a silence that matches nothing firing stale', () => {
    const audit = auditSilences([silence('s-none', [eq('alertname', 'NeverFires')])], ALERTS, NOW);
    expect(audit.findings.map((f) => [f.kind, f.severity])).toEqual([['matches_nothing', 'info']]);
  });

  it('warns of a silence ending within the hour that mutes something, and only notes one that mutes nothing', () => {
    const audit = auditSilences([silence('s-soon', [eq('alertname', 'DiskFull')], -120, 25), silence('s-soon-empty', [eq('alertname', 'Nothing')], -120, 50)], ALERTS, NOW);
    const soon = audit.findings.filter((f) => f.kind === 'expires_soon');
    expect(soon).toEqual([
      { silence_id: 's-soon', kind: 'expires_soon', severity: 'warning', finding: 'silence {alertname="DiskFull"} ends in 25 min: its 1 muted alert(s) (DiskFull) will notify again if still firing' },
      { silence_id: 's-soon-empty', kind: 'expires_soon', severity: 'info', finding: 'silence {alertname="Nothing"} ends in 50 min' },
    ]);
  });

  it('flags a silence lasting more than 7 days, not one of exactly 7', () => {
    const long = silence('s-long', [eq('alertname', 'Watchdog')], -60, 30 * 24 * 60);
    const week = silence('s-week', [eq('alertname', 'Watchdog')], -60, 7 * 24 * 60 - 60);
    const audit = auditSilences([long, week], ALERTS.map(({ labels }) => ({ labels })), NOW);
    expect(audit.findings.filter((f) => f.kind === 'very_long').map((f) => f.silence_id)).toEqual(['s-long']);
    expect(audit.findings.find((f) => f.kind === 'very_long')!.finding).toMatch(/lasts 30 d \(until 2026-04-09T12:00:00.000Z\)/);
  });

  it('flags over-broad matchers', () => {
    const broad = [
      silence('all-regex', [re('alertname', '.+'), re('namespace', '.*')]),
      silence('alertname-any', [re('alertname', '.+')]),
      silence('namespace-only', [eq('namespace', 'payments')]),
      silence('severity-only', [re('severity', 'warning|critical'), re('instance', '.*')]),
      silence('negative-only', [{ name: 'alertname', value: 'Watchdog', isRegex: false, isEqual: false }, re('alertname', '.+')]),
    ];
    const narrow = [silence('named', [eq('alertname', 'HighLatency'), eq('namespace', 'payments')]), silence('instance-only', [eq('instance', 'db-1:9100')])];
    const audit = auditSilences([...broad, ...narrow], ALERTS.map(({ labels }) => ({ labels })), NOW);
    expect(audit.findings.filter((f) => f.kind === 'over_broad').map((f) => f.silence_id)).toEqual(broad.map((s) => s.id));
    expect(audit.findings.find((f) => f.silence_id === 'namespace-only' && f.kind === 'over_broad')!.finding).toBe(
      'silence {namespace="payments"} is over-broad: it matches on namespace alone: every alert of namespace="payments"; it mutes 2 alert(s) now',
    );
  });

  it('lists pending silences with what they would mute, and counts expired ones only', () => {
    const pending = silence('s-pending', [eq('namespace', 'payments'), eq('alertname', 'TargetDown')], 90, 180, 'pending');
    const expired = silence('s-expired', [eq('alertname', 'TargetDown')], -600, -60, 'expired');
    // Reported active, but its end has passed since: counted as expired.
    const ended = silence('s-ended', [eq('alertname', 'TargetDown')], -600, -1, 'active');
    const audit = auditSilences([pending, expired, ended], ALERTS, NOW);
    expect(audit.counts).toEqual({ active: 0, pending: 1, expired: 2 });
    expect(audit.findings).toEqual([{ silence_id: 's-pending', kind: 'pending', severity: 'info', finding: 'silence {namespace="payments", alertname="TargetDown"} starts in 90 min; it would mute 1 firing alert(s) (1 critical)' }]);
    expect(audit.effects.has('s-expired')).toBe(false);
  });

  it('orders findings worst first', () => {
    const audit = auditSilences(
      [silence('s-none', [eq('alertname', 'NeverFires')]), silence('s-ns', [eq('namespace', 'logging')]), silence('s-critical', [eq('alertname', 'TargetDown')])],
      ALERTS,
      NOW,
    );
    expect(audit.findings.map((f) => f.severity)).toEqual(['critical', 'warning', 'info', 'info']);
  });

  it('cuts long matcher values and lists at most three matchers in a finding', () => {
    const audit = auditSilences([silence('s-big', [eq('a', 'x'.repeat(200)), eq('b', '1'), eq('c', '2'), eq('d', '3')])], [], NOW);
    expect(audit.findings[0].finding).toBe(`silence {a="${'x'.repeat(60)}…", b="1", c="2", …} matches no firing alert: stale, or waiting for an alert that has not fired`);
  });
});

describe('wildcards', () => {
  const m = (text: string) => parseMatchers(text)[0];
  it('knows matchers that narrow nothing', () => {
    for (const w of ['a=~".*"', 'a=~".+"', 'a!=""', 'a=~"(.*)"', 'a=~".*?"']) expect(isWildcard(m(w)), w).toBe(true);
    for (const n of ['a=~"x.*"', 'a="x"', 'a!~".+"', 'a!="x"', 'a=~"[a-z]+"']) expect(isWildcard(m(n)), n).toBe(false);
  });

  it('does not call a silence with a specific alertname over-broad, whatever else it has', () => {
    expect(overBroad(parseMatchers('alertname="KubePodCrashLooping", namespace="payments"'))).toBeUndefined();
    expect(overBroad(parseMatchers('cluster="eu-1"'))).toMatch(/cluster alone/);
  });
});
