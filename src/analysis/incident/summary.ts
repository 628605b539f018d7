import type { LabelContribution } from '../bursts/detect.js';
import { round } from '../bursts/stats.js';
import { correlate, type CorrelateOptions, type Correlation, type Incident, type LogEvent, type RankedService } from '../correlate/correlate.js';
import { labelOf } from '../correlate/semantics.js';
import { cut, isoSeconds, quoted } from '../correlate/text.js';
import { nextChecks, type NextCheckContext } from './next-checks.js';
import type { IncidentSummary, NonIncident, OtherBurst, SummaryCause, SummarySymptom } from './types.js';

const LIMITS = { what: 280, template: 200, symptoms: 5, services: 10, evidence: 8, nonIncidents: 5, otherBursts: 3 } as const;

function causeOf(r: RankedService): SummaryCause {
  return {
    service: r.service,
    template: cut(r.template, LIMITS.template),
    signature: r.semantic ?? null,
    role: r.role,
    count: r.count,
    onset: new Date(r.onsetMs).toISOString(),
    confidence: r.confidence,
    evidence: r.evidence,
    other_templates: r.otherTemplates.map((t) => ({ template: cut(t.template, LIMITS.template), count: t.count })),
  };
}

function symptomOf(r: RankedService): SummarySymptom {
  return {
    service: r.service,
    template: cut(r.template, LIMITS.template),
    signature: r.semantic ?? null,
    count: r.count,
    lag_s: r.lagS ?? 0,
    shared_traces: r.sharedTraces,
    confidence: r.confidence,
    evidence: r.evidence,
  };
}

function what(incident: Incident | undefined, c: Correlation): string {
  if (!incident) {
    return cut(`No error burst above its baseline in the window: ${c.events.errors} errors and ${c.events.warnings} warnings, none rising.`, LIMITS.what);
  }
  const [cause, ...symptoms] = incident.ranked;
  const kind = cause.semantic ? labelOf(cause.semantic) : 'errors';
  const when = incident.status === 'ongoing' ? `since ${isoSeconds(incident.onsetMs)}, ongoing` : `from ${isoSeconds(incident.onsetMs)} to ${isoSeconds(incident.endMs!)}, resolved`;
  const followed = symptoms.length ? `, followed by errors in ${symptoms.slice(0, 3).map((s) => s.service).join(', ')}${symptoms.length > 3 ? ' and more' : ''}` : '';
  return cut(`${cause.service}: ${kind} (${quoted(cut(cause.template, 80))}) ${when}${followed}; ${incident.count} errors.`, LIMITS.what);
}

function shares(c: LabelContribution): string {
  return c.values.map((v) => `${v.value} ${Math.round(v.share * 100)}%`).join(', ');
}

function evidence(incident: Incident, c: Correlation): string[] {
  const out: string[] = [];
  const overlapping = c.overall.bursts.filter((b) => b.onsetMs <= (incident.endMs ?? c.window.endMs) && (b.endMs ?? Infinity) >= incident.onsetMs);
  const overall = overlapping.sort((a, b) => b.count - a.count)[0];
  if (overall) {
    out.push(`all errors: ${overall.count} in the burst from ${isoSeconds(overall.onsetMs)}, peak ${overall.peakCount}/bucket, baseline ${overall.baseline}/bucket (${overall.ratio}x)`);
    for (const label of overall.contributors ?? []) out.push(`excess by ${label.label}: ${shares(label)}`);
  }
  if (incident.traces.crossService) {
    out.push(`${incident.traces.crossService} of ${incident.traces.joined} traces with errors span 2+ services${incident.traces.sample[0] ? `, e.g. trace ${incident.traces.sample[0]}` : ''}`);
  }
  for (const p of incident.precursors) {
    out.push(`warning ${quoted(cut(p.template, 80))} on ${p.service} rose from ${isoSeconds(p.onsetMs)}, ${round((incident.onsetMs - p.onsetMs) / 60_000, 1)} min before the errors (${p.count} events)`);
  }
  for (const l of incident.links.slice(0, 2)) {
    out.push(`${l.leader.service} and ${l.follower.service} rise together (r ${l.correlation}, ${l.sharedTraces} shared traces); ${l.follower.service} ${l.lagS} s later`);
  }
  return out.slice(0, LIMITS.evidence).map((e) => cut(e, 240));
}

function nonIncidents(c: Correlation): NonIncident[] {
  const out: NonIncident[] = c.steady.map((s) => ({
    kind: s.severity === 'warn' ? ('steady_warning' as const) : ('steady_errors' as const),
    service: s.service,
    template: cut(s.template, LIMITS.template),
    count: s.count,
    note: `steady at ~${s.level}/bucket in ${Math.round(s.presence * 100)}% of buckets, no burst: background noise, not this incident`,
  }));
  for (const g of c.resolvedSpikes) {
    out.push({
      kind: 'resolved_spike',
      service: g.service,
      template: g.template,
      count: g.count,
      note: `spike from ${isoSeconds(g.onsetMs)} to ${isoSeconds(g.endMs!)} (peak ${g.peakCount}/bucket), over${c.incident ? ' and not linked to the incident' : ''}`,
    });
  }
  return out.sort((a, b) => b.count - a.count).slice(0, LIMITS.nonIncidents);
}

function otherBursts(c: Correlation): OtherBurst[] {
  return c.otherBursts.slice(0, LIMITS.otherBursts).map((g) => ({ services: g.services.slice(0, 5), template: cut(g.template, LIMITS.template), count: g.count, since: new Date(g.onsetMs).toISOString() }));
}

/**
 * One findings object from a correlation: what happened, since when, whether it is still going
 * on, the likely cause with its evidence and confidence, the symptoms nearest first, the next
 * read-only checks, and what is not an incident (so nobody chases it). Bounded.
 */
export function buildIncidentSummary(c: Correlation, checks?: NextCheckContext): IncidentSummary {
  const incident = c.incident;
  const ranked = incident?.ranked ?? [];
  const base: Omit<IncidentSummary, 'next_checks'> = {
    what: what(incident, c),
    since: incident ? new Date(incident.onsetMs).toISOString() : null,
    status: incident?.status ?? 'none',
    count: incident?.count ?? 0,
    services: ranked.slice(0, LIMITS.services).map((r) => r.service),
    likely_cause: ranked[0] ? causeOf(ranked[0]) : null,
    symptoms: ranked.slice(1, 1 + LIMITS.symptoms).map(symptomOf),
    evidence: incident ? evidence(incident, c) : [],
    non_incidents: nonIncidents(c),
    other_bursts: otherBursts(c),
    window: { start: new Date(c.window.startMs).toISOString(), end: new Date(c.window.endMs).toISOString(), bucket_s: c.window.bucketMs / 1000 },
    truncated: c.truncated || ranked.length > 1 + LIMITS.symptoms || c.steady.length + c.resolvedSpikes.length > LIMITS.nonIncidents || c.otherBursts.length > LIMITS.otherBursts,
  };
  return { ...base, next_checks: nextChecks(base, c, checks) };
}

/** Correlation and summary in one call: templated log events in, findings out. */
export function summarizeIncident(events: readonly LogEvent[], opts: CorrelateOptions = {}, checks?: NextCheckContext): IncidentSummary {
  return buildIncidentSummary(correlate(events, opts), checks);
}
