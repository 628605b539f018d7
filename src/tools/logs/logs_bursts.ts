import { z } from 'zod';
import { detectBursts, type Burst } from '../../analysis/bursts/detect.js';
import { gridFor } from '../../analysis/correlate/events.js';
import { defineTool } from '../tool.js';
import { burstOut, toBurstOut } from './burst-output.js';
import { dayEarlier, describeSource, describeWindow, logScopeInput, mineSamples, sampleNote, scopedRequest, sourceOut, windowOut } from './common.js';

const TEMPLATE_SAMPLE = 2000;

export const logsBursts = defineTool({
  name: 'logs_bursts',
  title: 'Log bursts',
  description:
    'When did errors (or any level) rise above baseline (preceding window, and a day earlier where kept), is it still up, how big, which services/hosts carry it, and which message templates burst.',
  toolset: 'logs',
  leastRole: 'elk_viewer',
  input: z
    .object({
      ...logScopeInput,
      log_level: z.string().min(1).max(32).default('error').describe('"any" for all levels'),
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
  async handler(input, ctx) {
    const levels = input.log_level.toLowerCase() === 'any' ? {} : { levels: [input.log_level] };
    const { source, window, query } = scopedRequest(ctx, input, levels);
    const grid = gridFor(window.from.getTime(), window.to.getTime(), input.bucket_seconds ? input.bucket_seconds * 1000 : undefined);
    const bucketMs = grid.bucketMs;
    const notes: string[] = [];
    const useDayEarlier = input.compare_day_earlier && source.capabilities.pastWindows;
    if (input.compare_day_earlier && !source.capabilities.pastWindows) notes.push(`${source.name} keeps no past windows to compare with; the baseline is the preceding window only.`);
    const [hist, earlier] = await Promise.all([
      source.histogram(query, { bucketMs, by: input.by }, ctx.signal),
      useDayEarlier ? source.histogram(dayEarlier(query), { bucketMs }, ctx.signal) : Promise.resolve(undefined),
    ]);
    notes.push(...hist.notes);
    const breakdowns = hist.series?.length ? { [input.by]: Object.fromEntries(hist.series.map((s) => [s.value, s.counts])) } : undefined;
    const series = { startMs: hist.start, bucketMs, counts: hist.counts };
    const analysis = detectBursts(series, {
      ...(breakdowns ? { breakdowns } : {}),
      ...(earlier && earlier.total > 0 ? { dayEarlier: { startMs: earlier.start, bucketMs, counts: earlier.counts } } : {}),
    });
    const templates = input.top_templates > 0 && hist.total > 0 ? await templateBursts(input.top_templates) : [];

    const current = analysis.ongoing;
    const last = analysis.bursts.at(-1);
    const summary = current
      ? `Ongoing burst since ${new Date(current.onsetMs).toISOString()}: ${current.count} records, ${current.ratio}× the baseline of ${current.baseline}/bucket, peak ${current.peakCount} at ${new Date(current.peakMs).toISOString()}.`
      : last
        ? `No ongoing burst; the last one (${last.count} records from ${new Date(last.onsetMs).toISOString()}) is resolved.`
        : `No burst: ${hist.total} records, about ${analysis.level} per ${bucketMs / 1000}s bucket.`;
    return {
      summary,
      source: describeSource(ctx, source, hist.scope),
      window: describeWindow(window),
      bucket_seconds: bucketMs / 1000,
      total: hist.total,
      typical_per_bucket: analysis.level,
      baseline: earlier && earlier.total > 0 ? ('preceding_and_day_earlier' as const) : ('preceding' as const),
      bursts: analysis.bursts.map(toBurstOut),
      templates,
      truncated: analysis.truncated,
      ...(notes.length ? { notes } : {}),
      ...(hist.partial ? { partial: true } : {}),
    };

    /**
     * Per-template bursts from a sample spread over the window: each bucket's sampled records
     * stand for all of that bucket's records (the histogram's exact count), so a template's
     * estimated count per bucket is its sampled count scaled by that bucket's sampling ratio.
     */
    async function templateBursts(top: number) {
      const sample = await source.sample(query, { limit: Math.min(TEMPLATE_SAMPLE, source.capabilities.maxSample), strategy: 'spread' }, ctx.signal);
      const note = sampleNote(sample);
      if (note) notes.push(note);
      const { mined, miner } = mineSamples([sample]);
      const index = (ts: number) => Math.min(hist.counts.length - 1, Math.max(0, Math.floor((ts - hist.start) / bucketMs)));
      const sampledPerBucket = new Array<number>(hist.counts.length).fill(0);
      for (const r of mined[0]) sampledPerBucket[index(r.ts)]++;
      const out = [];
      for (const t of miner.templates(top)) {
        const counts = new Array<number>(hist.counts.length).fill(0);
        const services = new Set<string>();
        for (const r of mined[0]) {
          if (r.templateId !== t.id) continue;
          counts[index(r.ts)]++;
          if (r.service) services.add(r.service);
        }
        const estimated = counts.map((c, i) => (sampledPerBucket[i] ? Math.round((c * hist.counts[i]) / sampledPerBucket[i]) : 0));
        const bursts: Burst[] = detectBursts({ startMs: hist.start, bucketMs, counts: estimated }).bursts;
        if (bursts.length) out.push({ template: t.template, services: [...services].sort().slice(0, 5), example: t.exemplars[0] ?? '', bursts: bursts.map(toBurstOut) });
      }
      return out;
    }
  },
});

