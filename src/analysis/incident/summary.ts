import type { LabelContribution } from '../bursts/detect.js';
import { round } from '../bursts/stats.js';
import { correlate, templateKey, type CorrelateOptions, type Correlation, type Incident, type LogEvent, type RankedService } from '../correlate/correlate.js';
import { labelOf } from '../correlate/semantics.js';
import { cut, isoSeconds, quoted } from '../correlate/text.js';
import { nextChecks, type NextCheckContext } from './next-checks.js';
import { afterBurst, bucketIndex, detectSilences, errorsFrom, type ServiceCounts, type Silence } from './service-counts.js';
import type { IncidentSummary, NonIncident, OtherBurst, SilentService, SummaryCause, SummarySymptom } from './types.js';

const LIMITS = { what: 400, template: 200, symptoms: 5, services: 10, evidence: 8, nonIncidents: 5, otherBursts: 3, silent: 10 } as const;

/** Records of one template in the caller's window: exact where the source counted them, else the weighted sample's. */
type TemplateCount = (service: string, templateId: string) => number;

function templateCounter(c: Correlation, exact: Record<string, number> | undefined): TemplateCount {
  return (service, templateId) => {
    const key = templateKey(service, templateId);
    return exact ? (exact[key] ?? 0) : (c.windowCounts[key] ?? 0);
  };
}

function causeOf(r: RankedService, count: TemplateCount): SummaryCause {
  return {
    service: r.service,
    template: cut(r.template, LIMITS.template),
    signature: r.semantic ?? null,
    role: r.role,
    count: count(r.service, r.templateId),
    onset: new Date(r.onsetMs).toISOString(),
    confidence: r.confidence,
    evidence: r.evidence,
    other_templates: r.otherTemplates.map((t) => ({ template: cut(t.template, LIMITS.template), count: count(r.service, t.templateId) })),
  };
}

function symptomOf(r: RankedService, count: TemplateCount): SummarySymptom {
  return {
    service: r.service,
    template: cut(r.template, LIMITS.template),
    signature: r.semantic ?? null,
    count: count(r.service, r.templateId),
    lag_s: r.lagS ?? 0,
    shared_traces: r.sharedTraces,
    confidence: r.confidence,
    evidence: r.evidence,
  };
}

/** How the incident stands at the window's end, from the exact counts where there are some. */
interface Standing {
  status: IncidentSummary['status'];
  count: number;
  countInWindow: number;
  exact: boolean;
  /** Why the status is `silent`. */
  quiet?: string;
}

function standing(incident: Incident, c: Correlation, counts: ServiceCounts | undefined, silences: Silence[]): Standing {
  const services = incident.ranked.map((r) => r.service);
  const onset = counts ? bucketIndex(counts, incident.onsetMs) : 0;
  const focus = counts ? bucketIndex(counts, c.window.focusStartMs) : 0;
  const exact = counts ? errorsFrom(counts, services, onset) : undefined;
  const exactInWindow = counts ? errorsFrom(counts, services, Math.max(onset, focus)) : undefined;
  const base = exact !== undefined && exactInWindow !== undefined ? { count: exact, countInWindow: exactInWindow, exact: true } : { count: incident.count, countInWindow: incident.count, exact: false };
  if (incident.status === 'ongoing' || !counts) return { status: incident.status, ...base };
  // Errors that stopped are a recovery only if the service went on logging as it usually does.
  const cause = incident.ranked[0].service;
  const silent = silences.find((s) => s.service === cause && s.sinceMs <= (incident.endMs ?? c.window.endMs) + c.window.bucketMs);
  if (silent) return { status: 'silent', ...base, quiet: `${cause} has logged nothing since ${isoSeconds(silent.sinceMs)} (usually ${silent.usualPerMin}/min)` };
  const after = afterBurst(counts, cause, incident.onsetMs, incident.endMs ?? c.window.endMs);
  if (after?.quiet) return { status: 'silent', ...base, quiet: `${cause} logs ${after.sincePerMin}/min since, usually ${after.usualPerMin}/min` };
  return { status: 'resolved', ...base };
}

function silenceText(silences: Silence[]): string {
  if (!silences.length) return '';
  const names = silences.slice(0, 3).map((s) => `${s.service} since ${isoSeconds(s.sinceMs)} (were ${s.usualPerMin}/min)`);
  return ` No records from ${names.join(', ')}${silences.length > 3 ? ` and ${silences.length - 3} more services` : ''}.`;
}

function what(incident: Incident | undefined, c: Correlation, s: Standing | undefined, counts: ServiceCounts | undefined, silences: Silence[]): string {
  if (!incident || !s) {
    const totals = counts?.window ?? { errors: c.events.errors, warnings: c.events.warnings };
    return cut(`No error burst above its baseline in the window: ${totals.errors} errors and ${totals.warnings} warnings, none rising.${silenceText(silences)}`, LIMITS.what);
  }
  const [cause, ...symptoms] = incident.ranked;
  const kind = cause.semantic ? labelOf(cause.semantic) : 'errors';
  const before = incident.onsetMs < c.window.focusStartMs ? `, before your window (from ${isoSeconds(c.window.focusStartMs)})` : '';
  const when =
    s.status === 'ongoing'
      ? `since ${isoSeconds(incident.onsetMs)}${before}, ongoing`
      : s.status === 'silent'
        ? `from ${isoSeconds(incident.onsetMs)}${before} until its errors stopped at ${isoSeconds(incident.endMs!)}, not resolved: ${s.quiet}`
        : `from ${isoSeconds(incident.onsetMs)}${before} to ${isoSeconds(incident.endMs!)}, resolved`;
  const followed = symptoms.length ? `, followed by errors in ${symptoms.slice(0, 3).map((r) => r.service).join(', ')}${symptoms.length > 3 ? ' and more' : ''}` : '';
  const count = `${s.exact ? '' : '~'}${s.count} errors${before ? ` since its onset, ${s.exact ? '' : '~'}${s.countInWindow} in your window` : ''}`;
  const others = silenceText(silences.filter((x) => !(s.status === 'silent' && x.service === cause.service)));
  return cut(`${cause.service}: ${kind} (${quoted(cut(cause.template, 80))}) ${when}${followed}; ${count}.${others}`, LIMITS.what);
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
    const lead = `${round((incident.onsetMs - p.onsetMs) / 60_000, 1)} min before the errors (${p.count} events)`;
    const how = p.kind === 'burst' ? 'rose from' : p.kind === 'new' ? 'began at' : 'logged since';
    const dayEarlier = p.kind === 'new_since_day_earlier' ? '; none the same time a day earlier' : '';
    out.push(`warning ${quoted(cut(p.template, 80))} on ${p.service} ${how} ${isoSeconds(p.onsetMs)}, ${lead}${dayEarlier}`);
  }
  for (const l of incident.links.slice(0, 2)) {
    out.push(`${l.leader.service} and ${l.follower.service} rise together (r ${l.correlation}, ${l.sharedTraces} shared traces); ${l.follower.service} ${l.lagS} s later`);
  }
  return out.slice(0, LIMITS.evidence).map((e) => cut(e, 240));
}

function nonIncidents(c: Correlation, count: TemplateCount): NonIncident[] {
  const out: NonIncident[] = c.steady.map((s) => ({
    kind: s.severity === 'warn' ? ('steady_warning' as const) : ('steady_errors' as const),
    service: s.service,
    template: cut(s.template, LIMITS.template),
    count: count(s.service, s.templateId),
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
export function buildIncidentSummary(c: Correlation, checks?: NextCheckContext, counts?: ServiceCounts, exactTemplates?: Record<string, number>): IncidentSummary {
  const incident = c.incident;
  const count = templateCounter(c, exactTemplates);
  const ranked = incident?.ranked ?? [];
  const silences = counts ? detectSilences(counts) : [];
  const s = incident ? standing(incident, c, counts, silences) : undefined;
  const base: Omit<IncidentSummary, 'next_checks'> = {
    what: what(incident, c, s, counts, silences),
    since: incident ? new Date(incident.onsetMs).toISOString() : null,
    status: s?.status ?? 'none',
    count: s?.count ?? 0,
    count_in_window: s?.countInWindow ?? 0,
    count_exact: s ? s.exact : counts !== undefined,
    began_before_window: incident ? incident.onsetMs < c.window.focusStartMs : false,
    silent_services: silences.slice(0, LIMITS.silent).map((x): SilentService => ({ service: x.service, since: new Date(x.sinceMs).toISOString(), usual_per_min: x.usualPerMin })),
    services: ranked.slice(0, LIMITS.services).map((r) => r.service),
    template_counts: exactTemplates ? 'exact' : 'estimate',
    likely_cause: ranked[0] ? causeOf(ranked[0], count) : null,
    symptoms: ranked.slice(1, 1 + LIMITS.symptoms).map((r) => symptomOf(r, count)),
    evidence: incident ? evidence(incident, c) : [],
    non_incidents: nonIncidents(c, count),
    other_bursts: otherBursts(c),
    window: { start: new Date(c.window.focusStartMs).toISOString(), end: new Date(c.window.endMs).toISOString(), bucket_s: c.window.bucketMs / 1000 },
    truncated:
      c.truncated ||
      ranked.length > 1 + LIMITS.symptoms ||
      c.steady.length + c.resolvedSpikes.length > LIMITS.nonIncidents ||
      c.otherBursts.length > LIMITS.otherBursts ||
      silences.length > LIMITS.silent,
  };
  return { ...base, next_checks: nextChecks(base, c, checks) };
}

/** Correlation and summary in one call: templated log events in, findings out. */
export function summarizeIncident(
  events: readonly LogEvent[],
  opts: CorrelateOptions = {},
  checks?: NextCheckContext,
  counts?: ServiceCounts,
  exactTemplates?: Record<string, number>,
): IncidentSummary {
  return buildIncidentSummary(correlate(events, opts), checks, counts, exactTemplates);
}
