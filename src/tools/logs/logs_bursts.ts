import { LOG_SOURCE, type LogQuery } from '../../backends/capabilities.js';
import { z } from 'zod';
import { gridFor } from '../../analysis/correlate/events.js';
import { defineTool } from '../tool.js';
import { logToolCache } from '../cache-windows.js';
import { NO_CONTROL } from '../log-search-common.js';
import { runAnalysis } from '../analysis-thread.js';
import { burstOut, toBurstOut } from './burst-output.js';
import type { Burst } from '../../analysis/bursts/detect.js';
import { DAY_MS, dayEarlier, describeSource, describeWindow, logScopeInput, sampleNote, scopedRequest, sourceOut, windowOut } from './common.js';

const TEMPLATE_SAMPLE = 2000;
/** Buckets read before the window as baseline (detectBursts looks 30 back). */
const LOOKBACK_BUCKETS = 60;

/** The first bucket holding any record, at most the window's first: where a baseline can start. */
function firstDataBucket(counts: number[] | undefined, windowBucket: number): number {
  const first = counts ? counts.findIndex((n) => n > 0) : -1;
  return first < 0 ? windowBucket : Math.min(first, windowBucket);
}

export const logsBursts = defineTool({
  name: 'logs_bursts',
  title: 'Log bursts',
  description:
    'When errors (or any level) rose above baseline (the preceding window, a day earlier), whether still up, how big, which services or hosts carry it, which templates burst.',
  readme: 'when errors (or any level) rose above their baseline — the preceding window and the same window a day earlier — and whether still up: onset, peak, end, ratio, excess, which services/hosts carry it, and which templates burst',
  toolset: 'logs',
  requires: [LOG_SOURCE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      ...logScopeInput,
      log_level: z.string().min(1).max(32).regex(NO_CONTROL).optional().describe('Default error; "any" for all levels'),
      by: z.enum(['service', 'host', 'level']).default('service'),
      bucket_seconds: z.number().int().min(1).max(86_400).optional(),
      compare_day_earlier: z.boolean().default(true),
      top_templates: z.number().int().min(0).max(10).default(5),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    source: sourceOut,
    window: windowOut,
    bucket_seconds: z.number(),
    total: z.number(),
    typical_per_bucket: z.number(),
    baseline: z.enum(['preceding', 'preceding_and_day_earlier']),
    bursts: z.array(burstOut),
    templates: z.array(z.object({ template: z.string(), services: z.array(z.string()), example: z.string(), bursts: z.array(burstOut) })),
    truncated: z.boolean(),
    notes: z.array(z.string()).optional(),
    partial: z.boolean().optional(),
  }),
  cache: logToolCache(),
  async handler(input, ctx) {
    const asked = input.log_level;
    const levels = asked === undefined ? { levels: ['error'] } : asked.toLowerCase() === 'any' ? {} : { levels: [asked] };
    const scoped = scopedRequest(ctx, input, levels);
    const { source, window } = scoped;
    let query = scoped.query;
    const grid = gridFor(window.from.getTime(), window.to.getTime(), input.bucket_seconds ? input.bucket_seconds * 1000 : undefined);
    const bucketMs = grid.bucketMs;
    // A lookback of whole buckets before the window is the baseline of a burst already under way
    // when the window starts; without it such a burst reads as the normal level.
    const lookbackBuckets = source.capabilities.pastWindows ? Math.max(0, Math.min(LOOKBACK_BUCKETS, source.capabilities.maxHistogramBuckets - grid.buckets - 1)) : 0;
    const rangeStartMs = window.from.getTime() - lookbackBuckets * bucketMs;
    const inRange = (q: LogQuery): LogQuery => ({ ...q, from: new Date(rangeStartMs) });
    const notes: string[] = [];
    const useDayEarlier = input.compare_day_earlier && source.capabilities.pastWindows;
    if (input.compare_day_earlier && !source.capabilities.pastWindows) notes.push(`${source.name} keeps no past windows to compare with; the baseline is the preceding window only.`);
    const { levels: _levels, ...everyLevelQuery } = query;
    const histograms = () =>
      Promise.all([
        source.histogram(inRange(query), { bucketMs, by: input.by }, ctx.signal),
        useDayEarlier ? source.histogram(dayEarlier(inRange(query)), { bucketMs }, ctx.signal) : Promise.resolve(undefined),
        lookbackBuckets ? source.histogram(inRange(everyLevelQuery), { bucketMs }, ctx.signal) : Promise.resolve(undefined),
      ]);
    let [hist, earlier, everyLevel] = await histograms();
    if (asked === undefined && hist.total === 0) {
      // No errors may mean no levels at all (plain-text lines without a level word): then "0
      // errors" would be a finding about the parser, not the system. The bursts are over all records.
      const byLevel = await source.countBy(everyLevelQuery, { by: 'level', limit: 1 }, ctx.signal);
      if (byLevel.total > 0 && byLevel.values.length === 0) {
        query = everyLevelQuery;
        [hist, earlier, everyLevel] = await histograms();
        notes.push(`None of the ${byLevel.total} records in the window carry a level, so these bursts count all of them, not errors; pass log_level to choose a level.`);
      }
    }
    notes.push(...hist.notes);
    // Before the source's first record the lookback is "no data", not "quiet": it starts there.
    const skip = firstDataBucket(everyLevel?.counts, lookbackBuckets);
    const focus = lookbackBuckets - skip;
    const startMs = rangeStartMs + skip * bucketMs;
    const trim = (counts: number[]) => counts.slice(skip);
    if (focus > 0) notes.push(`Baselines include ${Math.round((focus * bucketMs) / 60_000)} min before the window, so a burst under way at its start keeps its onset; total counts the window only.`);
    const breakdowns = hist.series?.length ? { [input.by]: Object.fromEntries(hist.series.map((s) => [s.value, trim(s.counts)])) } : undefined;
    const series = { startMs, bucketMs, counts: trim(hist.counts) };
    const found = await runAnalysis(
      'detectBursts',
      {
        series,
        options: {
          ...(breakdowns ? { breakdowns } : {}),
          ...(earlier && earlier.total > 0 ? { dayEarlier: { startMs: startMs - DAY_MS, bucketMs, counts: trim(earlier.counts) } } : {}),
        },
      },
      ctx.signal,
    );
    const inWindow = (bursts: Burst[]) => bursts.filter((b) => b.status === 'ongoing' || b.lastIndex >= focus);
    const analysis = { ...found, bursts: inWindow(found.bursts) };
    const total = series.counts.slice(focus).reduce((a, b) => a + b, 0);
    const templates = input.top_templates > 0 && total > 0 ? await templateBursts(input.top_templates) : [];

    const current = analysis.ongoing;
    const last = analysis.bursts.at(-1);
    const summary = current
      ? `Ongoing burst since ${new Date(current.onsetMs).toISOString()}${current.onsetMs < window.from.getTime() ? ' (before your window)' : ''}: ${current.count} records, ${current.ratio}× the baseline of ${current.baseline}/bucket, peak ${current.peakCount} at ${new Date(current.peakMs).toISOString()}.`
      : last
        ? `No ongoing burst; the last one (${last.count} records from ${new Date(last.onsetMs).toISOString()}) is resolved.`
        : `No burst: ${total} records, about ${analysis.level} per ${bucketMs / 1000}s bucket.`;
    return {
      summary,
      source: describeSource(ctx, source, hist.scope),
      window: describeWindow(window),
      bucket_seconds: bucketMs / 1000,
      total,
      typical_per_bucket: analysis.level,
      baseline: earlier && earlier.total > 0 ? ('preceding_and_day_earlier' as const) : ('preceding' as const),
      bursts: analysis.bursts.map(toBurstOut),
      templates,
      truncated: analysis.truncated,
      ...(notes.length ? { notes } : {}),
      ...(hist.partial ? { partial: true } : {}),
    };

    /** Per-template bursts from a sample spread over the window (sample-analysis.ts). */
    async function templateBursts(top: number) {
      const sample = await source.sample({ ...query, from: new Date(startMs) }, { limit: Math.min(TEMPLATE_SAMPLE, source.capabilities.maxSample), strategy: 'spread' }, ctx.signal);
      const note = sampleNote(sample);
      if (note) notes.push(note);
      const perTemplate = await runAnalysis('templateBursts', { sample, histogram: { start: startMs, counts: series.counts }, bucketMs, top }, ctx.signal);
      return perTemplate.flatMap((t) => {
        const bursts = inWindow(t.bursts);
        return bursts.length ? [{ ...t, bursts: bursts.map(toBurstOut) }] : [];
      });
    }
  },
});

