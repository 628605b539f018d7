import type { LogRecord, LogSample, MessageCount } from '../../backends/capabilities.js';
import { detectBursts, type Burst } from '../../analysis/bursts/detect.js';
import { correlate, templateKey, type Correlation, type CorrelateOptions, type LogEvent } from '../../analysis/correlate/correlate.js';
import { summarizeIncident, type IncidentSummary, type NextCheckContext } from '../../analysis/incident/index.js';
import type { ServiceCounts } from '../../analysis/incident/service-counts.js';
import { severityOf } from '../../analysis/correlate/events.js';
import { DAY_MS } from '../../analysis/bursts/series.js';
import { TemplateMiner } from '../../analysis/templates/miner.js';

/**
 * What the log tools compute from the records a source sampled: templates, per-template bursts,
 * correlation. Plain data in, plain data out, no I/O: these run in the analysis thread
 * (analysis-thread.ts), so a 5,000-record sample never holds the server's event loop.
 */

/** A sampled record with the template the miner gave its message. */
export interface MinedRecord extends LogRecord {
  templateId: number;
  template: string;
}

/**
 * Templates for a set of samples mined together, so the same message gets the same id in each
 * (today's window and the day before, for instance). Records keep their sample's order.
 */
export function mineSamples(samples: readonly LogSample[], counted: readonly MessageCount[] = []): { mined: MinedRecord[][]; miner: TemplateMiner; countedIds: number[] } {
  const miner = new TemplateMiner();
  const handles = samples.map((s) => s.records.map((r) => miner.add(r.message, r.ts)));
  // Counted messages are mined with the samples so that one message has one template id in both.
  const countedHandles = counted.map((g) => miner.add(g.message, undefined, g.count));
  const mined = samples.map((s, k) =>
    s.records.map((r, i) => ({ ...r, templateId: miner.templateIdOf(handles[k][i]), template: miner.templateOf(handles[k][i]) })),
  );
  return { mined, miner, countedIds: countedHandles.map((h) => miner.templateIdOf(h)) };
}

/** The service the analysis gives records without one. */
export const NO_SERVICE = 'unknown';

/** The correlation engine's view of a mined record. */
export function toLogEvent(r: MinedRecord): LogEvent {
  return {
    ts: r.ts,
    service: r.service ?? NO_SERVICE,
    level: r.level ?? 'unknown',
    templateId: String(r.templateId),
    template: r.template,
    ...(r.traceId ? { traceId: r.traceId } : {}),
    ...(r.host ? { host: r.host } : {}),
  };
}

const MAX_VALUE_SLOTS = 3;

export interface SamplePattern {
  template: string;
  /** Estimated records in the window with this template (sample count scaled to the total). */
  count: number;
  share: number;
  first_seen?: string;
  last_seen?: string;
  services: { service: string; count: number }[];
  levels: string[];
  example: string;
  values?: string[][];
  trace_id?: string;
}

/** logs_patterns: the top templates of a sample, counts scaled to the sample's total, and how many templates it holds. */
export function samplePatterns(sample: LogSample, topN: number): { patterns: SamplePattern[]; found: number } {
  const { mined, miner } = mineSamples([sample]);
  const records = mined[0];
  const scale = records.length ? sample.total / records.length : 0;
  const perTemplate = new Map<number, { services: Map<string, number>; levels: Set<string>; traceId?: string }>();
  for (const r of records) {
    let t = perTemplate.get(r.templateId);
    if (!t) perTemplate.set(r.templateId, (t = { services: new Map(), levels: new Set() }));
    if (r.service) t.services.set(r.service, (t.services.get(r.service) ?? 0) + 1);
    if (r.level) t.levels.add(r.level);
    t.traceId ??= r.traceId;
  }
  const patterns = miner.templates(topN).map((t) => {
    const extra = perTemplate.get(t.id);
    const values = t.slots.slice(0, MAX_VALUE_SLOTS).map((s) => s.values.map((v) => v.value));
    return {
      template: t.template,
      count: Math.round(t.count * scale),
      share: records.length ? Math.round((t.count / records.length) * 1000) / 1000 : 0,
      ...(t.firstSeen !== undefined ? { first_seen: new Date(t.firstSeen).toISOString(), last_seen: new Date(t.lastSeen!).toISOString() } : {}),
      services: [...(extra?.services ?? [])]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 5)
        .map(([service, n]) => ({ service, count: Math.round(n * scale) })),
      levels: [...(extra?.levels ?? [])].sort(),
      example: t.exemplars[0] ?? '',
      ...(values.some((v) => v.length) ? { values } : {}),
      ...(extra?.traceId ? { trace_id: extra.traceId } : {}),
    };
  });
  return { patterns, found: new Set(records.map((r) => r.templateId)).size };
}

export interface TemplateBurstsInput {
  sample: LogSample;
  /** The exact histogram of the window the sample was spread over. */
  histogram: { start: number; counts: number[] };
  bucketMs: number;
  top: number;
}

/**
 * logs_bursts: per-template bursts from a sample spread over the window. Each bucket's sampled
 * records stand for all of that bucket's records (the histogram's exact count), so a template's
 * estimated count per bucket is its sampled count scaled by that bucket's sampling ratio.
 */
export function templateBursts({ sample, histogram, bucketMs, top }: TemplateBurstsInput): { template: string; services: string[]; example: string; bursts: Burst[] }[] {
  const { mined, miner } = mineSamples([sample]);
  const index = (ts: number) => Math.min(histogram.counts.length - 1, Math.max(0, Math.floor((ts - histogram.start) / bucketMs)));
  const sampledPerBucket = new Array<number>(histogram.counts.length).fill(0);
  for (const r of mined[0]) sampledPerBucket[index(r.ts)]++;
  const out = [];
  for (const t of miner.templates(top)) {
    const counts = new Array<number>(histogram.counts.length).fill(0);
    const services = new Set<string>();
    for (const r of mined[0]) {
      if (r.templateId !== t.id) continue;
      counts[index(r.ts)]++;
      if (r.service) services.add(r.service);
    }
    const estimated = counts.map((c, i) => (sampledPerBucket[i] ? Math.round((c * histogram.counts[i]) / sampledPerBucket[i]) : 0));
    const bursts = detectBursts({ startMs: histogram.start, bucketMs, counts: estimated }).bursts;
    if (bursts.length) out.push({ template: t.template, services: [...services].sort().slice(0, 5), example: t.exemplars[0] ?? '', bursts });
  }
  return out;
}

/** Exact warnings and errors per bucket (the source's histogram by level), for weighting a sample. */
export interface LevelCounts {
  error: number[];
  warn: number[];
}

export interface IncidentInput {
  /** Warnings and errors of the analysed range: the caller's window and the lookback before it. */
  sample: LogSample;
  /** The same query a day earlier, where the source keeps it. */
  earlier?: LogSample;
  /** Start of the analysed range (the lookback's start): buckets start here. */
  windowStartMs: number;
  windowEndMs: number;
  /** Where the caller's window starts. */
  focusStartMs?: number;
  bucketMs?: number;
  /** Exact per-bucket counts of the range and of the day before, to weight the samples with. */
  levels?: LevelCounts;
  earlierLevels?: LevelCounts;
  /** Exact per-service counts: the summary's totals and silences (summarizeIncident only). */
  serviceCounts?: ServiceCounts;
  /** Every distinct warning and error message of the caller's window with its exact count (only when the source counted them all). */
  windowMessages?: MessageCount[];
  /** What the summary's next checks may name (summarizeIncident only). */
  checks?: NextCheckContext;
}

/**
 * Each sampled event stands for its bucket's records of its severity: the exact count over the
 * sampled count. A spread sample takes about as many records from a burst's minutes as from quiet
 * ones, so unweighted, a burst would look flat and its counts small.
 */
function weighted(events: LogEvent[], levels: LevelCounts | undefined, startMs: number, bucketMs: number | undefined, shiftMs = 0): LogEvent[] {
  if (!levels || !bucketMs) return events;
  const n = levels.error.length;
  const index = (ts: number) => Math.min(n - 1, Math.floor((ts + shiftMs - startMs) / bucketMs));
  const sampled = { error: new Array<number>(n).fill(0), warn: new Array<number>(n).fill(0) };
  for (const e of events) {
    const severity = severityOf(e.level);
    const i = index(e.ts);
    if (severity && i >= 0) sampled[severity][i] += 1;
  }
  return events.map((e) => {
    const severity = severityOf(e.level);
    const i = index(e.ts);
    if (!severity || i < 0 || !sampled[severity][i]) return e;
    return { ...e, weight: Math.max(1, levels[severity][i]) / sampled[severity][i] };
  });
}

/**
 * The range's warnings and errors (and the day before's, mined together so one message has one
 * id in both) as the correlation engine's events, weighted to the exact counts, with its options.
 */
function incidentEvents(input: IncidentInput): { events: LogEvent[]; options: CorrelateOptions; exactTemplates?: Record<string, number> } {
  const { mined, countedIds } = mineSamples(input.earlier ? [input.sample, input.earlier] : [input.sample], input.windowMessages);
  const dayEarlier = input.earlier?.records.length ? weighted(mined[1].map(toLogEvent), input.earlierLevels, input.windowStartMs, input.bucketMs, DAY_MS) : undefined;
  let exactTemplates: Record<string, number> | undefined;
  if (input.windowMessages) {
    exactTemplates = {};
    input.windowMessages.forEach((g, i) => {
      const key = templateKey(g.service ?? NO_SERVICE, String(countedIds[i]));
      exactTemplates![key] = (exactTemplates![key] ?? 0) + g.count;
    });
  }
  return {
    events: weighted(mined[0].map(toLogEvent), input.levels, input.windowStartMs, input.bucketMs),
    options: {
      windowStartMs: input.windowStartMs,
      windowEndMs: input.windowEndMs,
      ...(input.focusStartMs !== undefined ? { focusStartMs: input.focusStartMs } : {}),
      ...(input.bucketMs ? { bucketMs: input.bucketMs, anchored: true } : {}),
      ...(dayEarlier ? { dayEarlier } : {}),
    },
    ...(exactTemplates ? { exactTemplates } : {}),
  };
}

export function correlateIncident(input: IncidentInput): Correlation {
  const { events, options } = incidentEvents(input);
  return correlate(events, options);
}

export function summarizeIncidentSample(input: IncidentInput): IncidentSummary {
  const { events, options, exactTemplates } = incidentEvents(input);
  return summarizeIncident(events, options, input.checks, input.serviceCounts, exactTemplates);
}
