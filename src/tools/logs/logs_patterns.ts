import { z } from 'zod';
import { defineTool } from '../tool.js';
import { describeSource, describeWindow, logScopeInput, mineSamples, sampleNote, scopedRequest, sourceOut, windowOut } from './common.js';

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

const MAX_VALUE_SLOTS = 3;

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
    const all = miner.templates(input.top_n);
    const patterns = all.map((t) => {
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
    const found = new Set(records.map((r) => r.templateId)).size;
    const notes = [...sample.notes];
    const note = sampleNote(sample);
    if (note) notes.push(note);
    const top = patterns[0];
    const summary = records.length
      ? `${found} templates in ${records.length} sampled of ${sample.total} records; most frequent: "${top.template.slice(0, 120)}" (${Math.round(top.share * 100)}%).`
      : `No records matched in ${sample.scope} between ${window.from.toISOString()} and ${window.to.toISOString()}.`;
    return {
      summary,
      source: describeSource(ctx, source, sample.scope),
      window: describeWindow(window),
      total: sample.total,
      sampled: records.length,
      templates_found: found,
      patterns,
      truncated: found > patterns.length || records.length < sample.total,
      ...(notes.length ? { notes } : {}),
      ...(sample.partial ? { partial: true } : {}),
    };
  },
});
