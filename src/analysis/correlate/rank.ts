import { round } from '../bursts/stats.js';
import type { LinkEvidence, StreamBurst } from './episodes.js';
import type { Stream } from './events.js';
import { names } from './naming.js';
import { ROLE_WEIGHT, labelOf, meaningOf, type Meaning, type Role, type Semantic } from './semantics.js';
import { cut, isoSeconds, quoted } from './text.js';

export interface RelatedTemplate {
  templateId: string;
  template: string;
  count: number;
}

/** A failing service in the incident, ranked: the first is the likely cause, the rest its symptoms. */
export interface RankedService {
  service: string;
  /** The template that best says what went wrong there. */
  templateId: string;
  template: string;
  role: Role;
  semantic?: Semantic;
  /** Events of the service's bursting error templates. */
  count: number;
  /** First event of its earliest burst, epoch ms. */
  onsetMs: number;
  status: 'ongoing' | 'resolved';
  score: number;
  /** 0–1: for the cause, how clearly it beats the runner-up; for a symptom, how clearly it follows the cause. */
  confidence: number;
  /** Cause: traces shared with any symptom; symptom: traces shared with the cause. */
  sharedTraces: number;
  /** Symptom onset minus the cause's, seconds (negative when it showed first). */
  lagS?: number;
  evidence: string[];
  otherTemplates: RelatedTemplate[];
}

export interface RankOptions {
  onsetToleranceMs: number;
  traceToleranceMs: number;
  minSharedTraces: number;
  minCorrelation: number;
}

/**
 * Weights of the signals. What a message says (exhaustion vs. "timed out calling X") and who
 * names whom outrank time order, because time order lies in two common ways: clocks of
 * different hosts disagree, and a caller times out and logs long before its callee gives up
 * and logs (a 3 s client timeout against a 30 s pool wait puts the symptom first in every trace).
 */
const WEIGHT = { semantics: 3, naming: 2, traceOrder: 1.5, onset: 1 };
const MAX_EVIDENCE = 6;
const MAX_OTHER_TEMPLATES = 3;
const MIN_CONFIDENCE = 0.05;
const MAX_CONFIDENCE = 0.95;

interface ServiceView {
  service: string;
  items: StreamBurst[];
  meaning: Meaning;
  onsetMs: number;
  count: number;
  ongoing: boolean;
  names: string[];
  namedBy: string[];
  score: number;
}

/** Resource and setup faults say most, then any known signature, then the most frequent template. */
const REPRESENTATIVE: Record<Role, number> = { resource: 3, origin: 2, dependency: 1, unknown: 0 };

function viewOf(service: string, items: StreamBurst[], links: LinkEvidence, services: string[]): ServiceView {
  const ranked = items
    .map((item) => ({ item, meaning: meaningOf(item.stream.template) }))
    .sort((a, b) => REPRESENTATIVE[b.meaning.role] - REPRESENTATIVE[a.meaning.role] || b.item.burst.count - a.item.burst.count || a.item.stream.id - b.item.stream.id);
  const names = (links.named.get(service) ?? []).filter((s) => services.includes(s));
  return {
    service,
    items: ranked.map((r) => r.item),
    meaning: ranked[0].meaning,
    onsetMs: Math.min(...items.map((i) => i.firstMs)),
    count: items.reduce((sum, i) => sum + i.burst.count, 0),
    ongoing: items.some((i) => i.burst.status === 'ongoing'),
    names,
    namedBy: services.filter((s) => s !== service && (links.named.get(s) ?? []).includes(service)),
    score: 0,
  };
}

/** +1 per service this one precedes, -1 per service preceding it, averaged over the services compared. */
function traceLead(v: ServiceView, others: ServiceView[], links: LinkEvidence, opts: RankOptions): number {
  let compared = 0;
  let lead = 0;
  for (const o of others) {
    const pair = links.traces.pair(v.service, o.service);
    if (!pair || pair.shared < opts.minSharedTraces) continue;
    compared += 1;
    if (pair.lagMs > opts.traceToleranceMs) lead += 1;
    else if (pair.lagMs < -opts.traceToleranceMs) lead -= 1;
  }
  return compared ? lead / compared : 0;
}

/** Onsets closer than the tolerance are simultaneous: a skewed clock must not make a symptom "first". */
function onsetLead(v: ServiceView, others: ServiceView[], opts: RankOptions): number {
  if (!others.length) return 0;
  let lead = 0;
  for (const o of others) {
    if (o.onsetMs - v.onsetMs > opts.onsetToleranceMs) lead += 1;
    else if (v.onsetMs - o.onsetMs > opts.onsetToleranceMs) lead -= 1;
  }
  return lead / others.length;
}

function scoreOf(v: ServiceView, others: ServiceView[], links: LinkEvidence, opts: RankOptions): number {
  const naming = (v.namedBy.length ? 1 : 0) - (v.names.length ? 1 : 0);
  return (
    WEIGHT.semantics * ROLE_WEIGHT[v.meaning.role] +
    WEIGHT.naming * naming +
    WEIGHT.traceOrder * traceLead(v, others, links, opts) +
    WEIGHT.onset * onsetLead(v, others, opts)
  );
}

function clampConfidence(value: number): number {
  return round(Math.min(MAX_CONFIDENCE, Math.max(MIN_CONFIDENCE, value)));
}

/** Hops from a service to the cause along "names" edges (payment names fraud: 1 hop); Infinity when none lead there. */
function namingDistances(views: ServiceView[], cause: string): Map<string, number> {
  const distance = new Map<string, number>([[cause, 0]]);
  let frontier = [cause];
  while (frontier.length) {
    const next: string[] = [];
    for (const v of views) {
      if (distance.has(v.service)) continue;
      const hop = frontier.find((f) => v.names.includes(f));
      if (hop !== undefined) {
        distance.set(v.service, distance.get(hop)! + 1);
        next.push(v.service);
      }
    }
    frontier = next;
  }
  return distance;
}

/** The service's other bursting templates, with their events summed over all their bursts in the incident. */
function otherTemplates(v: ServiceView): RelatedTemplate[] {
  const rep = v.items[0].stream;
  const counts = new Map<Stream, number>();
  for (const i of v.items) if (i.stream !== rep) counts.set(i.stream, (counts.get(i.stream) ?? 0) + i.burst.count);
  return [...counts]
    .slice(0, MAX_OTHER_TEMPLATES)
    .map(([stream, count]) => ({ templateId: stream.templateId, template: cut(stream.template, 200), count }));
}

function meaningEvidence(m: Meaning): string | undefined {
  if (!m.semantic) return undefined;
  const label = labelOf(m.semantic);
  if (m.role === 'resource') return `reads as ${label}: an exhausted resource causes the timeouts and 5xx its callers report`;
  if (m.role === 'origin') return `reads as ${label}: a fault in the service's own setup`;
  return `reads as ${label}: a report of a failing dependency, i.e. a symptom`;
}

function burstEvidence(v: ServiceView): string {
  const b = v.items[0].burst;
  return `${b.count} events from ${isoSeconds(v.items[0].firstMs)}, peak ${b.peakCount}/bucket against a baseline of ${b.baseline}/bucket, ${b.status}`;
}

function causeEvidence(cause: ServiceView, symptoms: ServiceView[], links: LinkEvidence): string[] {
  const out: string[] = [];
  const meaning = meaningEvidence(cause.meaning);
  if (meaning) out.push(meaning);
  for (const s of symptoms.filter((x) => cause.namedBy.includes(x.service)).slice(0, 2)) {
    const naming = s.items.find((i) => names(i.stream.template, cause.service)) ?? s.items[0];
    out.push(`named by ${s.service} in ${quoted(naming.stream.template)} (${naming.burst.count} events)`);
  }
  const shared = symptoms
    .map((s) => ({ s, pair: links.traces.pair(cause.service, s.service) }))
    .filter((x) => x.pair && x.pair.shared > 0)
    .map((x) => `${x.s.service} (${x.pair!.shared})`);
  if (shared.length) out.push(`its errors share traces with ${shared.slice(0, 4).join(', ')}`);
  const first = links.traces.firstIn.get(cause.service) ?? 0;
  const inTraces = links.traces.perService.get(cause.service) ?? 0;
  if (first > 0) out.push(`first error in ${first} of ${inTraces} traces`);
  out.push(burstEvidence(cause));
  return out.slice(0, MAX_EVIDENCE).map((e) => cut(e, 200));
}

function symptomEvidence(s: ServiceView, cause: ServiceView, distance: number, links: LinkEvidence, lagS: number): string[] {
  const out: string[] = [];
  if (distance === 1) out.push(`names ${cause.service}: it called the cause and reports its failure`);
  else if (Number.isFinite(distance)) out.push(`names ${s.names.join(', ')}: ${distance} calls away from ${cause.service}`);
  const pair = links.traces.pair(cause.service, s.service);
  if (pair && pair.shared > 0) {
    const order = pair.lagMs >= 0 ? `${round(pair.lagMs / 1000, 1)} s after` : `${round(-pair.lagMs / 1000, 1)} s before`;
    out.push(`shares ${pair.shared} traces with ${cause.service}; its first error comes ${order} the cause's (median)`);
  }
  const meaning = meaningEvidence(s.meaning);
  if (meaning && s.meaning.role === 'dependency') out.push(meaning);
  out.push(`onset ${isoSeconds(s.onsetMs)}, ${lagS >= 0 ? `${lagS} s after` : `${-lagS} s before`} ${cause.service}`);
  return out.slice(0, MAX_EVIDENCE).map((e) => cut(e, 200));
}

/**
 * Ranks the services of one incident. The cause is the service whose failure reads as a cause
 * (exhaustion, setup fault), that others name as the dependency they suffer from, whose errors
 * come first in shared traces and whose burst starts first; symptoms follow, nearest first:
 * those naming the cause, then those sharing most traces with it, then the earliest.
 */
export function rankServices(items: StreamBurst[], links: LinkEvidence, opts: RankOptions): RankedService[] {
  const byService = new Map<string, StreamBurst[]>();
  for (const item of items) byService.set(item.stream.service, [...(byService.get(item.stream.service) ?? []), item]);
  const services = [...byService.keys()].sort();
  const views = services.map((s) => viewOf(s, byService.get(s)!, links, services));
  for (const v of views) v.score = scoreOf(v, views.filter((o) => o !== v), links, opts);
  views.sort((a, b) => b.score - a.score || a.onsetMs - b.onsetMs || b.count - a.count || a.service.localeCompare(b.service));
  const [cause, ...rest] = views;

  const distances = namingDistances(views, cause.service);
  const traceShare = (v: ServiceView) => (links.traces.pair(cause.service, v.service)?.shared ?? 0) / Math.max(1, links.traces.perService.get(v.service) ?? 0);
  const lagOf = (v: ServiceView) => round((v.onsetMs - cause.onsetMs) / 1000, 1);
  const symptoms = rest.sort(
    (a, b) =>
      (distances.get(a.service) ?? Infinity) - (distances.get(b.service) ?? Infinity) ||
      round(traceShare(b), 1) - round(traceShare(a), 1) ||
      Math.abs(lagOf(a)) - Math.abs(lagOf(b)) ||
      b.count - a.count ||
      a.service.localeCompare(b.service),
  );

  // The cause's confidence is the logistic of its lead over the runner-up (a lead of 2 ≈ 0.88).
  // A lone failing service is its own likely cause; how sure depends on what its errors say.
  const margin = symptoms.length ? cause.score - Math.max(...symptoms.map((s) => s.score)) : 1 + ROLE_WEIGHT[cause.meaning.role];
  const ranked: RankedService[] = [
    {
      ...common(cause),
      score: round(cause.score),
      confidence: clampConfidence(1 / (1 + Math.exp(-margin))),
      sharedTraces: links.traces.withOthers.get(cause.service) ?? 0,
      evidence: causeEvidence(cause, symptoms, links),
    },
  ];
  for (const s of symptoms) {
    const distance = distances.get(s.service) ?? Infinity;
    const together = links.coMovement(cause.items[0].stream, s.items[0].stream).correlation;
    // How surely it follows the cause: testimony (naming the cause, or naming who names it),
    // the share of its failing traces that hold the cause's errors, and rising with the cause.
    const confidence = (Number.isFinite(distance) ? 0.4 / distance : 0) + 0.4 * Math.min(1, traceShare(s)) + (together >= opts.minCorrelation ? 0.2 * together : 0);
    ranked.push({
      ...common(s),
      score: round(s.score),
      confidence: clampConfidence(confidence),
      sharedTraces: links.traces.pair(cause.service, s.service)?.shared ?? 0,
      lagS: lagOf(s),
      evidence: symptomEvidence(s, cause, distance, links, lagOf(s)),
    });
  }
  return ranked;
}

function common(v: ServiceView): Omit<RankedService, 'score' | 'confidence' | 'sharedTraces' | 'lagS' | 'evidence'> {
  const rep = v.items[0].stream;
  return {
    service: v.service,
    templateId: rep.templateId,
    template: cut(rep.template, 300),
    role: v.meaning.role,
    ...(v.meaning.semantic ? { semantic: v.meaning.semantic } : {}),
    count: v.count,
    onsetMs: v.onsetMs,
    status: v.ongoing ? 'ongoing' : 'resolved',
    otherTemplates: otherTemplates(v),
  };
}
