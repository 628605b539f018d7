import { z } from 'zod';
import { defineTool } from '../tool.js';
import { runAnalysis } from '../analysis-thread.js';
import { describeSource, describeWindow, logScopeInput, sampleNote, scopedRequest, sourceOut, windowOut } from './common.js';

const patternOut = z.object({
  template: z.string(),
  /** Estimated records in the window with this template (sample count scaled to the total). */
  count: z.number(),
  share: z.number(),
  first_seen: z.string().optional(),
  last_seen: z.string().optional(),
  services: z.array(z.object({ service: z.string(), count: z.number() })),
  levels: z.array(z.string()),
  example: z.string(),
  values: z.array(z.array(z.string())).optional(),
  trace_id: z.string().optional(),
});

export const logsPatterns = defineTool({
  name: 'logs_patterns',
  title: 'Log message templates',
  description:
    'Kinds of log messages in a window: lines mined into templates (variables → <*>) with estimated counts, share, first/last seen, services, levels, an example and typical values.',
  toolset: 'logs',
  leastRole: 'elk_viewer',
  input: z
    .object({
      ...logScopeInput,
      log_level: z.string().min(1).max(32).optional().describe('Default: all levels'),
      query: z.string().min(1).max(512).optional().describe('Message words'),
      top_n: z.number().int().min(1).max(50).default(15),
      sample_size: z.number().int().min(100).max(5000).default(2000),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    source: sourceOut,
    window: windowOut,
    total: z.number(),
    sampled: z.number(),
    templates_found: z.number(),
    patterns: z.array(patternOut),
    truncated: z.boolean(),
    notes: z.array(z.string()).optional(),
    partial: z.boolean().optional(),
  }),
  async handler(input, ctx) {
    const { source, window, query } = scopedRequest(ctx, input, {
      ...(input.log_level ? { levels: [input.log_level] } : {}),
      ...(input.query ? { text: input.query } : {}),
    });
    const sample = await source.sample(query, { limit: input.sample_size, strategy: 'spread' }, ctx.signal);
    const { patterns, found } = await runAnalysis('samplePatterns', { sample, topN: input.top_n }, ctx.signal);
    const sampled = sample.records.length;
    const notes = [...sample.notes];
    const note = sampleNote(sample);
    if (note) notes.push(note);
    const top = patterns[0];
    const summary = sampled
      ? `${found} templates in ${sampled} sampled of ${sample.total} records; most frequent: "${top.template.slice(0, 120)}" (${Math.round(top.share * 100)}%).`
      : `No records matched in ${sample.scope} between ${window.from.toISOString()} and ${window.to.toISOString()}.`;
    return {
      summary,
      source: describeSource(ctx, source, sample.scope),
      window: describeWindow(window),
      total: sample.total,
      sampled,
      templates_found: found,
      patterns,
      truncated: found > patterns.length || sampled < sample.total,
      ...(notes.length ? { notes } : {}),
      ...(sample.partial ? { partial: true } : {}),
    };
  },
});
