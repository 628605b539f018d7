import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import type { TimeWindow } from '../../core/time.js';
import type { LogHistogram, LogQuery, LogSample, LogSource } from '../../backends/capabilities.js';
import { gridFor, severityOf } from '../../analysis/correlate/events.js';
import { detectSilences, type ServiceCounts, type Silence } from '../../analysis/incident/service-counts.js';
import type { ToolContext } from '../tool.js';
import { DAY_MS, dayEarlier, logScopeInput, scopedRequest } from './common.js';
import { NO_SERVICE, type IncidentInput, type LevelCounts } from './sample-analysis.js';

/** Inputs of the tools that explain an incident from warnings and errors. */
export const incidentInput = {
  ...logScopeInput,
  sample_size: z.number().int().min(100).max(5000).default(3000),
  compare_day_earlier: z.boolean().default(true),
};

export interface IncidentSamples {
  source: LogSource;
  window: TimeWindow;
  sample: LogSample;
  /** What the analysis thread mines and correlates (sample-analysis.ts). */
  analysis: IncidentInput;
  /** Exact warnings and errors inside the caller's window. */
  windowTotals: { errors: number; warnings: number };
  notes: string[];
}

/**
 * How far before the caller's window the analysis reads: an incident already under way when the
 * window starts needs the quiet before it as its baseline, or it reads as the normal level (or
 * as nothing). As long as the window, at least an hour, at most a day.
 */
const LOOKBACK = { minMs: 3_600_000, maxMs: DAY_MS } as const;
const SERVICES_COUNTED = 20;
/** Distinct warning and error messages of the window counted for exact template counts, at most (each goes to the analysis thread). */
const WINDOW_MESSAGES = 50_000;
/** Silent services whose newest record is looked up (the summary lists ten). */
const MAX_SILENCES_LOOKED_UP = 10;

/** Exact warnings and errors per bucket, from a histogram by level (its spellings already merged). */
function levelCounts(h: LogHistogram): LevelCounts {
  const out: LevelCounts = { error: new Array<number>(h.counts.length).fill(0), warn: new Array<number>(h.counts.length).fill(0) };
  for (const series of h.series ?? []) {
    const severity = severityOf(series.value);
    if (severity) series.counts.forEach((n, i) => (out[severity][i] += n));
  }
  return out;
}

/** Silences reported to the second: each silent service's newest record (records without a service keep their bucket's end). */
async function newestRecords(source: LogSource, query: LogQuery, silences: Silence[], signal: AbortSignal): Promise<Record<string, number>> {
  const named = silences.filter((s) => s.service !== NO_SERVICE).slice(0, MAX_SILENCES_LOOKED_UP);
  const pages = await Promise.all(
    named.map((s) => source.search({ ...query, from: new Date(s.lastBucketStartMs), services: [s.service] }, { limit: 1, order: 'desc' }, signal)),
  );
  return Object.fromEntries(named.flatMap((s, i) => (pages[i].records[0] ? [[s.service, pages[i].records[0].ts]] : [])));
}

/** A histogram by service, or undefined where the scope has no service field (the source says so with invalid_input). */
async function withoutServiceField(histogram: Promise<LogHistogram>): Promise<LogHistogram | undefined> {
  try {
    return await histogram;
  } catch (err) {
    if (err instanceof TelemcpError && err.code === 'invalid_input') return undefined;
    throw err;
  }
}

/**
 * Per-service series of a histogram by service. When every service is listed (fewer than were
 * asked for), what is left of each bucket belongs to records without a service, which the
 * analysis calls "unknown": then the series cover every record.
 */
function byService(h: LogHistogram): { series: Record<string, number[]>; complete: boolean } {
  const series: Record<string, number[]> = Object.fromEntries((h.series ?? []).map((s) => [s.value, [...s.counts]]));
  if ((h.series?.length ?? 0) >= SERVICES_COUNTED) return { series, complete: !h.otherTotal };
  if (h.otherTotal) {
    const rest = h.counts.map((n, i) => n - (h.series ?? []).reduce((sum, s) => sum + s.counts[i], 0));
    const named = series[NO_SERVICE];
    series[NO_SERVICE] = named ? named.map((n, i) => n + rest[i]) : rest;
  }
  return { series, complete: true };
}

/**
 * Warnings and errors of the window and of a lookback before it (sampled, and counted exactly
 * per bucket and per service), and of the same range a day earlier where the source keeps it.
 */
export async function readIncidentSamples(
  ctx: ToolContext,
  input: { source?: string; scope?: string; start_time?: string; end_time?: string; service_name?: string; sample_size: number; compare_day_earlier: boolean },
): Promise<IncidentSamples> {
  const { source, window, query } = scopedRequest(ctx, input, { levels: ['error', 'warn'] });
  const limit = Math.min(input.sample_size, source.capabilities.maxSample);
  const notes: string[] = [];
  const fromMs = window.from.getTime();
  const toMs = window.to.getTime();
  const lookbackMs = source.capabilities.pastWindows ? Math.min(LOOKBACK.maxMs, Math.max(LOOKBACK.minMs, toMs - fromMs)) : 0;
  // The buckets are the correlation's, laid from the window's start backwards so that one of them
  // starts exactly where the window does: the counts inside the window are then exact.
  const { bucketMs } = gridFor(fromMs - lookbackMs, toMs);
  const rangeStartMs = fromMs - Math.ceil(lookbackMs / bucketMs) * bucketMs;
  const range: LogQuery = { ...query, from: new Date(rangeStartMs) };
  const { levels: _levels, ...everyLevel } = range;
  const useDayEarlier = input.compare_day_earlier && source.capabilities.pastWindows;
  const signal = ctx.signal;
  const [sample, earlier, levels, earlierLevels, errorsByService, recordsByService, counted] = await Promise.all([
    source.sample(range, { limit, strategy: 'spread' }, signal),
    useDayEarlier ? source.sample(dayEarlier(range), { limit: Math.max(100, Math.floor(limit / 2)), strategy: 'spread' }, signal) : Promise.resolve(undefined),
    source.histogram(range, { bucketMs, by: 'level', top: SERVICES_COUNTED }, signal),
    useDayEarlier ? source.histogram(dayEarlier(range), { bucketMs, by: 'level', top: SERVICES_COUNTED }, signal) : Promise.resolve(undefined),
    withoutServiceField(source.histogram({ ...range, levels: ['error'] }, { bucketMs, by: 'service', top: SERVICES_COUNTED }, signal)),
    withoutServiceField(source.histogram(everyLevel, { bucketMs, by: 'service', top: SERVICES_COUNTED }, signal)),
    source.messageCounts && source.capabilities.messageCounts
      ? source.messageCounts(query, { maxGroups: Math.min(WINDOW_MESSAGES, source.capabilities.messageCounts.maxGroups) }, signal)
      : Promise.resolve(undefined),
  ]);
  // Template counts are exact when every warning and error of the window was counted per message.
  const windowMessages = counted && counted.exhaustive && counted.uncountable === 0 ? counted.groups : undefined;
  if (counted && !windowMessages) notes.push(...counted.notes, 'Per-template counts are estimates: not every message of the window could be counted.');
  // Where the scope has no service field, the records' own count per bucket still says where the data starts.
  const everyRecord = recordsByService ?? (await source.histogram(everyLevel, { bucketMs }, signal));
  notes.push(...sample.notes);
  // Template counts come from the sample, weighted to each bucket's exact count: estimates, each
  // bounded by its service's exact error count; the totals below are exact.
  if (sample.records.length < sample.total && !windowMessages) {
    notes.push(
      `Templates come from ${sample.records.length} of ${sample.total}${sample.totalExact ? '' : '+'} warnings and errors sampled evenly over the range read, each weighted by its time bucket's exact count: per-template counts are estimates, the window's totals (and count when count_exact) are exact server-side counts.`,
    );
  }
  // The lookback is a baseline only where the source holds records: before its first record it
  // is "no data", not "quiet", and reading it as quiet would turn every steady stream into a burst
  // at the data's start. The analysed range starts at the first bucket with any record.
  const windowBucket = Math.round((fromMs - rangeStartMs) / bucketMs);
  const firstData = everyRecord.counts.findIndex((n) => n > 0);
  const skip = firstData < 0 ? windowBucket : Math.min(firstData, windowBucket);
  const startMs = rangeStartMs + skip * bucketMs;
  const trim = (counts: number[]) => counts.slice(skip);
  const trimLevels = (l: LevelCounts): LevelCounts => ({ error: trim(l.error), warn: trim(l.warn) });
  const trimSeries = (series: Record<string, number[]>) => Object.fromEntries(Object.entries(series).map(([k, v]) => [k, trim(v)]));
  const exactLevels = trimLevels(levelCounts(levels));
  const focus = windowBucket - skip;
  const inWindow = (counts: number[]) => counts.slice(focus).reduce((a, b) => a + b, 0);
  const window_ = { errors: inWindow(exactLevels.error), warnings: inWindow(exactLevels.warn) };
  let serviceCounts: ServiceCounts | undefined;
  if (errorsByService && recordsByService) {
    const errors = byService(errorsByService);
    const records = byService(recordsByService);
    serviceCounts = {
      startMs,
      bucketMs,
      endMs: toMs,
      errors: trimSeries(errors.series),
      records: trimSeries(records.series),
      complete: errors.complete && records.complete,
      window: window_,
    };
    serviceCounts.lastSeenMs = await newestRecords(source, everyLevel, detectSilences(serviceCounts), signal);
    if (!serviceCounts.complete) notes.push(`Silences and exact totals cover the ${SERVICES_COUNTED} busiest services.`);
  } else {
    notes.push('The scope has no service field: counts per service, and services that went silent, cannot be told; counts are estimates from the sample.');
  }
  if (focus > 0) notes.push(`Read ${Math.round((fromMs - startMs) / 60_000)} min before the window too, as the baseline of anything already under way at its start; counts say which are inside the window.`);
  if (sample.total === 0) {
    // Without levels there are no warnings or errors to read: say so rather than "no incident".
    const byLevel = await source.countBy({ ...everyLevel, from: window.from }, { by: 'level', limit: 1 }, signal);
    if (byLevel.total > 0 && byLevel.values.length === 0) {
      notes.push(`None of the ${byLevel.total} records in the window carry a level, so there are no warnings or errors to explain; logs_bursts and logs_patterns with log_level "any" read them all.`);
    }
  }
  return {
    source,
    window,
    sample,
    analysis: {
      sample,
      ...(earlier ? { earlier } : {}),
      windowStartMs: startMs,
      windowEndMs: toMs,
      focusStartMs: fromMs,
      bucketMs,
      levels: exactLevels,
      ...(earlierLevels ? { earlierLevels: trimLevels(levelCounts(earlierLevels)) } : {}),
      ...(serviceCounts ? { serviceCounts } : {}),
      ...(windowMessages ? { windowMessages } : {}),
    },
    windowTotals: window_,
    notes,
  };
}
