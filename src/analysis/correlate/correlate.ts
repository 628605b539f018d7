import { detectBursts, type Burst, type BurstAnalysis } from '../bursts/detect.js';
import { DAY_MS } from '../bursts/series.js';
import { round } from '../bursts/stats.js';
import { groupEpisodes, linkedGroups, type Episode, type LinkEvidence, type StreamBurst } from './episodes.js';
import { bucketOf, gridFor, isUsable, severityOf, tabulate, type Grid, type LogEvent, type Severity, type Stream, type StreamTable } from './events.js';
import { coMovement, type CoMovement } from './lag.js';
import { namedServices } from './naming.js';
import { rankServices, type RankedService, type RankOptions } from './rank.js';
import { cut } from './text.js';
import { joinTraces, type TraceJoin } from './traces.js';

export type { LogEvent } from './events.js';
export type { RankedService, RelatedTemplate } from './rank.js';

export interface CorrelateOptions {
  /** Bucket width; default: a round width giving at most ~180 buckets over the window. */
  bucketMs?: number;
  /** Buckets start at windowStartMs itself rather than on a multiple of their width (to line up with a source's histogram). */
  anchored?: boolean;
  /** Default: the first warning or error. */
  windowStartMs?: number;
  /** Default: the last warning or error; pass "now" so that a burst that stopped reads as resolved. */
  windowEndMs?: number;
  /**
   * The start of the window the caller asked about, when the events also cover a lookback
   * before it (the baseline an incident already under way at the window's start needs):
   * bursts over before it are left out, and an incident may start before it.
   */
  focusStartMs?: number;
  /** The same query one day earlier, where the backend allows: daily patterns are not bursts. */
  dayEarlier?: readonly LogEvent[];
  /** Onsets closer than this count as simultaneous, since host clocks disagree (default: one bucket, at least 60 s). */
  onsetToleranceMs?: number;
  /** Orders within one trace closer than this count as simultaneous (default 1 s). */
  traceToleranceMs?: number;
  /** Templates analysed, the most frequent first (default 300). */
  maxStreams?: number;
}

/** A group of bursting templates that is not the incident: reported so nobody chases it. */
export interface BurstGroup {
  status: 'ongoing' | 'resolved';
  services: string[];
  /** The group's largest template. */
  service: string;
  templateId: string;
  template: string;
  count: number;
  onsetMs: number;
  endMs: number | null;
  peakMs: number;
  peakCount: number;
}

/** A template present through most of the window without a burst: background noise, not news. */
export interface SteadyStream {
  service: string;
  templateId: string;
  template: string;
  severity: Severity;
  count: number;
  /** Median events per bucket. */
  level: number;
  /** Share of buckets in which it appears. */
  presence: number;
}

/** A warning of the cause's service that began rising before the errors did. */
export interface Precursor {
  service: string;
  templateId: string;
  template: string;
  onsetMs: number;
  count: number;
  /** How it shows: a burst, a template absent before it began, or one absent the same time a day earlier. */
  kind: 'burst' | 'new' | 'new_since_day_earlier';
}

/** Two templates of the incident that rise together, the leader's first event earlier by lagS. */
export interface TemplateLink {
  leader: { service: string; template: string };
  follower: { service: string; template: string };
  lagS: number;
  correlation: number;
  sharedTraces: number;
}

export interface Incident {
  status: 'ongoing' | 'resolved';
  /** Start of the incident: the likely cause's first error, unless a linked symptom began clearly earlier. */
  onsetMs: number;
  endMs: number | null;
  /** Error events of the incident's templates since its onset. */
  count: number;
  /** The likely cause first, then its symptoms, nearest first. */
  ranked: RankedService[];
  precursors: Precursor[];
  links: TemplateLink[];
  traces: { joined: number; crossService: number; sample: string[]; truncated: boolean };
}

export interface Correlation {
  /** The analysed range; focusStartMs is where the caller's window starts (startMs without a lookback). */
  window: { startMs: number; endMs: number; bucketMs: number; buckets: number; focusStartMs: number };
  events: { total: number; errors: number; warnings: number; ignored: number; withTrace: number };
  /** All error events per bucket, with the services and hosts that carry each burst. */
  overall: BurstAnalysis;
  incident?: Incident;
  /** Ongoing bursts with no tie to the incident. */
  otherBursts: BurstGroup[];
  /** Bursts that are over and not part of the incident. */
  resolvedSpikes: BurstGroup[];
  steady: SteadyStream[];
  /** Events per template inside the caller's window (from focusStartMs), by templateKey(service, templateId). */
  windowCounts: Record<string, number>;
  /** Some input was left out to stay bounded (templates beyond maxStreams, traces beyond the join's cap). */
  truncated: boolean;
}

/** One template of one service, as a key of Correlation.windowCounts. */
export function templateKey(service: string, templateId: string): string {
  return `${service}\u0000${templateId}`;
}

const MAX_EPISODES = 6;
const MAX_GROUPS_LISTED = 5;
const MAX_STEADY = 5;
const MAX_PRECURSORS = 3;
const MAX_LINKS = 8;
const PRECURSOR_WINDOW_MS = 30 * 60_000;
/** Buckets a warning template must have been absent for before it began, for its start to count as new. */
const PRECURSOR_HISTORY = 5;
/** Buckets of slack when grouping bursts in time, of context around an episode, and of lag searched. */
const EPISODE_SLACK = 2;
const CONTEXT_BUCKETS = 10;
const MAX_LAG_BUCKETS = 5;
/** A steady template appears in at least this share of buckets, over at least this many buckets. */
const STEADY_PRESENCE = 0.5;
const STEADY_MIN_BUCKETS = 6;
const LINK_RULES = { minSharedTraces: 3, minCorrelation: 0.6, maxOnsetGap: 5 };

interface EventCounts {
  total: number;
  errors: number;
  warnings: number;
  ignored: number;
  withTrace: number;
  firstMs: number;
  lastMs: number;
}

function countEvents(events: readonly LogEvent[]): EventCounts {
  const c: EventCounts = { total: events.length, errors: 0, warnings: 0, ignored: 0, withTrace: 0, firstMs: Infinity, lastMs: -Infinity };
  for (const e of events) {
    const severity = isUsable(e) ? severityOf(e.level) : undefined;
    if (!severity) {
      c.ignored += 1;
      continue;
    }
    if (severity === 'error') c.errors += 1;
    else c.warnings += 1;
    if (e.traceId) c.withTrace += 1;
    if (e.ts < c.firstMs) c.firstMs = e.ts;
    if (e.ts > c.lastMs) c.lastMs = e.ts;
  }
  return c;
}

/** The first event inside each burst's onset bucket: finer than the bucket, for onsets and lags. */
function firstEventTimes(events: readonly LogEvent[], table: StreamTable, grid: Grid, analyses: Map<Stream, BurstAnalysis>): Map<Burst, number> {
  const wanted = new Map<Stream, Map<number, Burst>>();
  for (const [stream, a] of analyses) if (a.bursts.length) wanted.set(stream, new Map(a.bursts.map((b) => [b.onsetIndex, b])));
  const first = new Map<Burst, number>();
  for (const e of events) {
    const stream = table.lookup.get(e.service)?.get(e.templateId);
    const onsets = stream && wanted.get(stream);
    if (!onsets || !isUsable(e) || !severityOf(e.level)) continue;
    const burst = onsets.get(bucketOf(grid, e.ts));
    if (burst && e.ts < (first.get(burst) ?? Infinity)) first.set(burst, e.ts);
  }
  return first;
}

interface Candidate {
  items: StreamBurst[];
  links: LinkEvidence;
  ongoing: boolean;
  excess: number;
}

function episodeEndMs(episode: Episode, grid: Grid): number {
  return episode.ongoing ? grid.endMs : grid.startMs + (episode.lastIndex + 1) * grid.bucketMs;
}

function evidenceFor(episode: Episode, events: readonly LogEvent[], table: StreamTable, grid: Grid, opts: Required<Pick<CorrelateOptions, 'onsetToleranceMs' | 'traceToleranceMs'>>): LinkEvidence {
  const members = new Set(episode.items.map((i) => i.stream));
  const fromMs = grid.startMs + episode.onsetIndex * grid.bucketMs - opts.onsetToleranceMs;
  const toMs = episodeEndMs(episode, grid);
  const isMember = (e: LogEvent): boolean => {
    const stream = table.lookup.get(e.service)?.get(e.templateId);
    return stream !== undefined && members.has(stream) && e.ts >= fromMs && e.ts <= toMs && isUsable(e) && severityOf(e.level) === 'error';
  };
  const traces: TraceJoin = joinTraces(events, isMember, opts.traceToleranceMs);
  const services = [...new Set(episode.items.map((i) => i.stream.service))].sort();
  const named = new Map(
    services.map((s) => [
      s,
      namedServices(
        s,
        episode.items.filter((i) => i.stream.service === s).map((i) => i.stream.template),
        services,
      ),
    ]),
  );
  const from = Math.max(0, episode.onsetIndex - CONTEXT_BUCKETS);
  const to = Math.min(grid.buckets, episode.lastIndex + 1 + EPISODE_SLACK);
  const memo = new Map<string, CoMovement>();
  return {
    named,
    traces,
    coMovement(a, b) {
      const key = `${a.id}:${b.id}`;
      let m = memo.get(key);
      if (!m) memo.set(key, (m = coMovement(a.counts, b.counts, from, to, MAX_LAG_BUCKETS)));
      return m;
    },
  };
}

function groupOf(items: StreamBurst[], grid: Grid): BurstGroup {
  const largest = items.reduce((best, i) => (i.burst.count > best.burst.count ? i : best));
  const ongoing = items.some((i) => i.burst.status === 'ongoing');
  const peak = items.reduce((best, i) => (i.burst.peakCount > best.burst.peakCount ? i : best)).burst;
  return {
    status: ongoing ? 'ongoing' : 'resolved',
    services: [...new Set(items.map((i) => i.stream.service))].sort(),
    service: largest.stream.service,
    templateId: largest.stream.templateId,
    template: cut(largest.stream.template, 200),
    count: items.reduce((sum, i) => sum + i.burst.count, 0),
    onsetMs: Math.min(...items.map((i) => i.firstMs)),
    endMs: ongoing ? null : Math.min(grid.endMs, Math.max(...items.map((i) => i.burst.endMs ?? grid.endMs))),
    peakMs: peak.peakMs,
    peakCount: peak.peakCount,
  };
}

/**
 * From a bounded list of templated log events to one incident: bursts per template, bursts that
 * belong together (shared traces, naming, rising together), the likely cause and its symptoms,
 * and what is not an incident (steady noise, spikes that are over, unrelated bursts).
 * Deterministic; linear passes over the events, plus work bounded by templates × buckets.
 */
export function correlate(events: readonly LogEvent[], opts: CorrelateOptions = {}): Correlation {
  const counted = countEvents(events);
  const startMs = opts.windowStartMs ?? (Number.isFinite(counted.firstMs) ? counted.firstMs : (opts.windowEndMs ?? 0));
  const endMs = opts.windowEndMs ?? (Number.isFinite(counted.lastMs) ? counted.lastMs : startMs);
  const grid = gridFor(startMs, Math.max(startMs, endMs), opts.bucketMs, opts.anchored);
  const tolerances = {
    onsetToleranceMs: opts.onsetToleranceMs ?? Math.max(grid.bucketMs, 60_000),
    traceToleranceMs: opts.traceToleranceMs ?? 1000,
  };
  const table = tabulate(events, grid, opts.maxStreams ?? 300, opts.dayEarlier);
  const earlierSeries = (counts: number[] | undefined) => counts && { startMs: grid.startMs - DAY_MS, bucketMs: grid.bucketMs, counts };

  const analyses = new Map<Stream, BurstAnalysis>();
  for (const s of table.streams) analyses.set(s, detectBursts({ startMs: grid.startMs, bucketMs: grid.bucketMs, counts: s.counts }, { dayEarlier: earlierSeries(s.dayEarlier) }));
  const overall = detectBursts(
    { startMs: grid.startMs, bucketMs: grid.bucketMs, counts: table.errors },
    { dayEarlier: earlierSeries(table.errorsDayEarlier), breakdowns: table.breakdowns },
  );
  const firstTimes = firstEventTimes(events, table, grid, analyses);
  const withFirst = (stream: Stream, burst: Burst): StreamBurst => ({ stream, burst, firstMs: firstTimes.get(burst) ?? burst.onsetMs });

  const errorBursts = table.streams.filter((s) => s.severity === 'error').flatMap((s) => analyses.get(s)!.bursts.map((b) => withFirst(s, b)));
  const focusStartMs = Math.min(Math.max(opts.focusStartMs ?? grid.startMs, grid.startMs), grid.endMs);
  const focusIndex = Math.max(0, bucketOf(grid, focusStartMs));
  // Bursts over before the caller's window are not its news: only the lookback's baseline is.
  const episodes = groupEpisodes(errorBursts, EPISODE_SLACK).filter((e) => e.ongoing || e.lastIndex >= focusIndex);
  const excessOf = (items: StreamBurst[]) => items.reduce((sum, i) => sum + i.burst.excess, 0);
  const analysed = [...episodes].sort((a, b) => Number(b.ongoing) - Number(a.ongoing) || excessOf(b.items) - excessOf(a.items)).slice(0, MAX_EPISODES);
  const candidates: Candidate[] = [];
  let tracesTruncated = false;
  for (const episode of analysed) {
    const links = evidenceFor(episode, events, table, grid, tolerances);
    tracesTruncated ||= links.traces.truncated;
    for (const items of linkedGroups(episode, links, LINK_RULES)) {
      candidates.push({ items, links, ongoing: items.some((i) => i.burst.status === 'ongoing'), excess: excessOf(items) });
    }
  }
  candidates.sort((a, b) => Number(b.ongoing) - Number(a.ongoing) || b.excess - a.excess);
  const [chosen, ...others] = candidates;
  // Episodes beyond the cap were not joined by trace: they are listed whole, unsplit.
  const unanalysed = episodes.filter((e) => !analysed.includes(e)).map((e) => e.items);
  const otherGroups = [...others.map((c) => c.items), ...unanalysed].map((items) => groupOf(items, grid)).sort((a, b) => b.count - a.count || a.onsetMs - b.onsetMs);
  const incident = chosen ? incidentOf(chosen, table, analyses, withFirst, grid, tolerances) : undefined;

  return {
    window: { startMs: grid.startMs, endMs: grid.endMs, bucketMs: grid.bucketMs, buckets: grid.buckets, focusStartMs },
    events: { total: counted.total, errors: counted.errors, warnings: counted.warnings, ignored: counted.ignored, withTrace: counted.withTrace },
    overall,
    ...(incident ? { incident } : {}),
    otherBursts: otherGroups.filter((g) => g.status === 'ongoing').slice(0, MAX_GROUPS_LISTED),
    resolvedSpikes: otherGroups.filter((g) => g.status === 'resolved').slice(0, MAX_GROUPS_LISTED),
    windowCounts: Object.fromEntries(table.streams.map((st) => [templateKey(st.service, st.templateId), st.counts.slice(focusIndex).reduce((a, b) => a + b, 0)])),
    steady: steadyStreams(table, analyses, grid, new Set(incident?.precursors.map((p) => templateKey(p.service, p.templateId)))),
    truncated: table.truncated || tracesTruncated,
  };
}

function incidentOf(
  chosen: Candidate,
  table: StreamTable,
  analyses: Map<Stream, BurstAnalysis>,
  withFirst: (stream: Stream, burst: Burst) => StreamBurst,
  grid: Grid,
  tolerances: Pick<RankOptions, 'onsetToleranceMs' | 'traceToleranceMs'>,
): Incident {
  const rankOpts: RankOptions = { ...tolerances, minSharedTraces: LINK_RULES.minSharedTraces, minCorrelation: LINK_RULES.minCorrelation };
  const ranked = rankServices(chosen.items, chosen.links, rankOpts);
  const cause = ranked[0];
  // A symptom whose first error is only a little earlier than the cause's (a skewed clock, a
  // caller timing out first) does not move the start; one clearly earlier does.
  const onsetMs = Math.min(cause.onsetMs, ...ranked.filter((r) => cause.onsetMs - r.onsetMs > tolerances.onsetToleranceMs).map((r) => r.onsetMs));
  const from = Math.max(0, bucketOf(grid, onsetMs));
  let count = 0;
  for (const i of chosen.items) for (let j = from; j < i.stream.counts.length; j++) count += i.stream.counts[j];
  const ongoing = chosen.items.some((i) => i.burst.status === 'ongoing');
  const precursors = precursorsOf(table, analyses, withFirst, cause.service, onsetMs, from, tolerances.onsetToleranceMs);
  return {
    status: ongoing ? 'ongoing' : 'resolved',
    onsetMs,
    endMs: ongoing ? null : Math.min(grid.endMs, Math.max(...chosen.items.map((i) => i.burst.endMs ?? grid.endMs))),
    count,
    ranked,
    precursors,
    links: templateLinks(chosen, ranked, rankOpts),
    traces: { joined: chosen.links.traces.traces, crossService: chosen.links.traces.crossService, sample: chosen.links.traces.sample, truncated: chosen.links.traces.truncated },
  };
}

/** The representative templates of the incident's services, paired: who rises first, by how much, how tightly. */
function templateLinks(chosen: Candidate, ranked: RankedService[], opts: RankOptions): TemplateLink[] {
  const rep = (r: RankedService) => chosen.items.find((i) => i.stream.service === r.service && i.stream.templateId === r.templateId)!;
  const out: TemplateLink[] = [];
  for (const [i, a] of ranked.entries()) {
    for (const b of ranked.slice(i + 1)) {
      const ia = rep(a);
      const ib = rep(b);
      const correlation = chosen.links.coMovement(ia.stream, ib.stream).correlation;
      const sharedTraces = chosen.links.traces.pair(a.service, b.service)?.shared ?? 0;
      if (correlation < opts.minCorrelation && sharedTraces < opts.minSharedTraces) continue;
      const [leader, follower] = ia.firstMs <= ib.firstMs ? [ia, ib] : [ib, ia];
      out.push({
        leader: { service: leader.stream.service, template: cut(leader.stream.template, 120) },
        follower: { service: follower.stream.service, template: cut(follower.stream.template, 120) },
        lagS: round((follower.firstMs - leader.firstMs) / 1000, 1),
        correlation: round(correlation),
        sharedTraces,
      });
      if (out.length === MAX_LINKS) return out;
    }
  }
  return out;
}

/**
 * Warnings of the cause's own service that came before its errors: a warning burst that began
 * up to PRECURSOR_WINDOW_MS before the onset; a template that was absent for at least
 * PRECURSOR_HISTORY buckets and began in that span (a slow trickle no burst test flags, such as a
 * connection-leak warning twice a minute); or one logged before the onset that the same time a
 * day earlier did not have at all. Each must still be logged at the onset, so a warning that came
 * and went long before is not evidence.
 */
function precursorsOf(
  table: StreamTable,
  analyses: Map<Stream, BurstAnalysis>,
  withFirst: (stream: Stream, burst: Burst) => StreamBurst,
  service: string,
  onsetMs: number,
  onsetIndex: number,
  toleranceMs: number,
): Precursor[] {
  const out = new Map<Stream, Precursor>();
  const startsBefore = (ms: number) => ms >= onsetMs - PRECURSOR_WINDOW_MS && onsetMs - ms > toleranceMs;
  const loggedAtOnset = (s: Stream) => s.counts.slice(Math.max(0, onsetIndex - 1)).some((n) => n > 0);
  const add = (s: Stream, onset: number, count: number, kind: Precursor['kind']) => {
    if (!out.has(s)) out.set(s, { service: s.service, templateId: s.templateId, template: cut(s.template, 200), onsetMs: onset, count, kind });
  };
  const warnings = table.streams.filter((s) => s.severity === 'warn' && s.service === service);
  for (const s of warnings) {
    for (const b of analyses.get(s)!.bursts.map((burst) => withFirst(s, burst))) {
      if (startsBefore(b.firstMs) && b.burst.lastIndex >= onsetIndex - 1) add(s, b.firstMs, b.burst.count, 'burst');
    }
  }
  for (const s of warnings) {
    const firstIndex = s.counts.findIndex((n) => n > 0);
    if (firstIndex >= PRECURSOR_HISTORY && startsBefore(s.firstMs) && loggedAtOnset(s)) add(s, s.firstMs, s.count, 'new');
    const earlier = s.dayEarlier?.reduce((sum, n) => sum + n, 0);
    if (earlier === 0 && s.firstMs < onsetMs - toleranceMs && loggedAtOnset(s)) add(s, s.firstMs, s.count, 'new_since_day_earlier');
  }
  return [...out.values()].sort((a, b) => a.onsetMs - b.onsetMs || b.count - a.count).slice(0, MAX_PRECURSORS);
}

function steadyStreams(table: StreamTable, analyses: Map<Stream, BurstAnalysis>, grid: Grid, precursors: Set<string>): SteadyStream[] {
  if (grid.buckets < STEADY_MIN_BUCKETS) return [];
  return table.streams
    .filter((s) => !precursors.has(templateKey(s.service, s.templateId)))
    .filter((s) => !analyses.get(s)!.bursts.length && analyses.get(s)!.presence >= STEADY_PRESENCE)
    .slice(0, MAX_STEADY)
    .map((s) => ({
      service: s.service,
      templateId: s.templateId,
      template: cut(s.template, 200),
      severity: s.severity,
      count: s.count,
      level: analyses.get(s)!.level,
      presence: analyses.get(s)!.presence,
    }));
}
