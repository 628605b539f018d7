import { DAY_MS } from '../bursts/series.js';

/** One log line after template mining: what the correlation engine reads. */
export interface LogEvent {
  /** Epoch milliseconds. */
  ts: number;
  service: string;
  level: string;
  templateId: string;
  template: string;
  traceId?: string;
  host?: string;
  /**
   * How many records of the window this event stands for (default 1): a sampled event is
   * weighted by its bucket's exact count over its sampled count, so series built from a
   * sample follow the window's real counts instead of the sampler's even spread.
   */
  weight?: number;
}

/** The records an event stands for. */
export function weightOf(e: LogEvent): number {
  return e.weight !== undefined && Number.isFinite(e.weight) && e.weight > 0 ? e.weight : 1;
}

export type Severity = 'error' | 'warn';

const ERROR_LEVELS = new Set(['error', 'err', 'fatal', 'critical', 'crit', 'alert', 'emerg', 'emergency', 'panic', 'severe']);
const WARN_LEVELS = new Set(['warn', 'warning']);

/** Errors make incidents; warnings are read only as precursors and steady noise; the rest is ignored. */
export function severityOf(level: string): Severity | undefined {
  const l = level.toLowerCase();
  if (ERROR_LEVELS.has(l)) return 'error';
  if (WARN_LEVELS.has(l)) return 'warn';
  return undefined;
}

export function isUsable(e: LogEvent): boolean {
  return Number.isFinite(e.ts) && typeof e.service === 'string' && e.service.length > 0 && typeof e.templateId === 'string' && typeof e.template === 'string' && typeof e.level === 'string';
}

/** The time buckets every series of one analysis shares. */
export interface Grid {
  /** Start of bucket 0, a multiple of bucketMs so buckets fall on whole minutes, hours, … */
  startMs: number;
  bucketMs: number;
  buckets: number;
  /** Last instant of the window. */
  endMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const NICE_BUCKETS = [SECOND, 5 * SECOND, 10 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY_MS];
/** Enough buckets for a baseline and a burst, few enough to stay cheap and readable. */
const TARGET_BUCKETS = 180;
const MAX_BUCKETS = 5000;

/**
 * Buckets over [fromMs, toMs]: on whole multiples of their width, or, `anchored`, starting at
 * fromMs itself (as a LogSource histogram's buckets do, so the two line up exactly).
 */
export function gridFor(fromMs: number, toMs: number, bucketMs?: number, anchored = false): Grid {
  if (bucketMs !== undefined && !(Number.isFinite(bucketMs) && bucketMs > 0)) throw new RangeError('bucketMs must be a positive number of milliseconds');
  const span = Math.max(0, toMs - fromMs);
  let width = bucketMs ?? NICE_BUCKETS.find((b) => span / b <= TARGET_BUCKETS) ?? DAY_MS;
  // A caller's bucket width may not turn a long window into an unbounded number of buckets.
  while (span / width >= MAX_BUCKETS) width *= 2;
  const startMs = anchored ? fromMs : Math.floor(fromMs / width) * width;
  // A window ending on a bucket boundary gets no empty bucket of zero length after it.
  return { startMs, bucketMs: width, buckets: Math.max(1, Math.ceil((toMs - startMs) / width)), endMs: toMs };
}

/** The bucket of a time, or -1 outside the window; the window's last instant belongs to the last bucket. */
export function bucketOf(grid: Grid, ts: number): number {
  if (ts < grid.startMs || ts > grid.endMs) return -1;
  return Math.min(grid.buckets - 1, Math.floor((ts - grid.startMs) / grid.bucketMs));
}

/** One template of one service, counted per bucket. */
export interface Stream {
  id: number;
  service: string;
  templateId: string;
  template: string;
  /** The worst level it was logged at. */
  severity: Severity;
  count: number;
  counts: number[];
  /** Its first event in the window, epoch ms. */
  firstMs: number;
  /** Its counts in the same buckets a day earlier, when day-earlier events were given. */
  dayEarlier?: number[];
}

export interface StreamTable {
  streams: Stream[];
  /** Stream by service and template id, for the passes that revisit the events. */
  lookup: Map<string, Map<string, Stream>>;
  /** Error events per bucket, all services. */
  errors: number[];
  errorsDayEarlier?: number[];
  /** Error events per bucket by service and by host (the busiest values). */
  breakdowns: Record<'service' | 'host', Record<string, number[]>>;
  /** More templates than maxStreams: only the most frequent were analysed. */
  truncated: boolean;
}

interface Tally {
  service: string;
  templateId: string;
  template: string;
  severity: Severity;
  count: number;
}

const MAX_BREAKDOWN_VALUES = 20;

/**
 * Counts events per (service, template) and per bucket in two linear passes: tally every
 * template, then fill the series of the `maxStreams` most frequent (and a third over the
 * day-earlier events, when given). Memory is bounded by the kept streams times the buckets,
 * whatever the number of events.
 */
export function tabulate(events: readonly LogEvent[], grid: Grid, maxStreams: number, dayEarlier?: readonly LogEvent[]): StreamTable {
  const tallies = new Map<string, Map<string, Tally>>();
  const serviceErrors = new Map<string, number>();
  const hostErrors = new Map<string, number>();
  for (const e of events) {
    const severity = isUsable(e) ? severityOf(e.level) : undefined;
    if (!severity || bucketOf(grid, e.ts) < 0) continue;
    let perService = tallies.get(e.service);
    if (!perService) tallies.set(e.service, (perService = new Map()));
    const t = perService.get(e.templateId);
    if (!t) perService.set(e.templateId, { service: e.service, templateId: e.templateId, template: e.template, severity, count: weightOf(e) });
    else {
      t.count += weightOf(e);
      if (severity === 'error') t.severity = 'error';
    }
    if (severity === 'error') {
      serviceErrors.set(e.service, (serviceErrors.get(e.service) ?? 0) + weightOf(e));
      if (e.host) hostErrors.set(e.host, (hostErrors.get(e.host) ?? 0) + weightOf(e));
    }
  }
  const all = [...tallies.values()].flatMap((m) => [...m.values()]);
  all.sort((a, b) => b.count - a.count || a.service.localeCompare(b.service) || a.templateId.localeCompare(b.templateId));
  const kept = all.slice(0, maxStreams);
  const lookup = new Map<string, Map<string, Stream>>();
  const streams = kept.map((t, id): Stream => {
    const s: Stream = { id, ...t, count: 0, firstMs: Infinity, counts: new Array<number>(grid.buckets).fill(0), ...(dayEarlier ? { dayEarlier: new Array<number>(grid.buckets).fill(0) } : {}) };
    if (!lookup.has(t.service)) lookup.set(t.service, new Map());
    lookup.get(t.service)!.set(t.templateId, s);
    return s;
  });
  const breakdowns = { service: seriesFor(busiest(serviceErrors), grid), host: seriesFor(busiest(hostErrors), grid) };
  const errors = new Array<number>(grid.buckets).fill(0);
  for (const e of events) {
    const severity = isUsable(e) ? severityOf(e.level) : undefined;
    const b = severity ? bucketOf(grid, e.ts) : -1;
    if (b < 0) continue;
    const w = weightOf(e);
    const s = lookup.get(e.service)?.get(e.templateId);
    if (s) {
      s.counts[b] += w;
      if (e.ts < s.firstMs) s.firstMs = e.ts;
    }
    if (severity === 'error') {
      errors[b] += w;
      const byService = breakdowns.service[e.service];
      if (byService) byService[b] += w;
      const byHost = e.host ? breakdowns.host[e.host] : undefined;
      if (byHost) byHost[b] += w;
    }
  }
  let errorsDayEarlier: number[] | undefined;
  if (dayEarlier) {
    errorsDayEarlier = new Array<number>(grid.buckets).fill(0);
    for (const e of dayEarlier) {
      const severity = isUsable(e) ? severityOf(e.level) : undefined;
      const b = severity ? bucketOf(grid, e.ts + DAY_MS) : -1;
      if (b < 0) continue;
      const w = weightOf(e);
      const s = lookup.get(e.service)?.get(e.templateId);
      if (s?.dayEarlier) s.dayEarlier[b] += w;
      if (severity === 'error') errorsDayEarlier[b] += w;
    }
  }
  // Weighted counts are estimates of whole events: each bucket is rounded, a bucket that holds
  // an event keeping at least one, so every figure derived from the series is a whole number.
  for (const s of streams) {
    wholeEvents(s.counts);
    if (s.dayEarlier) wholeEvents(s.dayEarlier);
    s.count = s.counts.reduce((sum, n) => sum + n, 0);
  }
  for (const series of [errors, errorsDayEarlier, ...Object.values(breakdowns.service), ...Object.values(breakdowns.host)]) if (series) wholeEvents(series);
  return { streams, lookup, errors, ...(errorsDayEarlier ? { errorsDayEarlier } : {}), breakdowns, truncated: all.length > kept.length };
}

function wholeEvents(counts: number[]): void {
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) counts[i] = Math.max(1, Math.round(counts[i]));
}

function busiest(counts: Map<string, number>): string[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, MAX_BREAKDOWN_VALUES)
    .map(([name]) => name);
}

function seriesFor(names: string[], grid: Grid): Record<string, number[]> {
  return Object.fromEntries(names.map((name) => [name, new Array<number>(grid.buckets).fill(0)]));
}
