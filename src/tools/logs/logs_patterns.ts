import { LOG_SOURCE } from '../../backends/capabilities.js';
import { z } from 'zod';
import { defineTool } from '../tool.js';
import { logToolCache } from '../cache-windows.js';
import { NO_CONTROL } from '../log-search-common.js';
import { runAnalysis } from '../analysis-thread.js';
import { describeSource, describeWindow, logScopeInput, sampleNote, scopedRequest, sourceOut, windowOut } from './common.js';

const patternOut = z.object({
  template: z.string(),
  /** Records in the window with this template: exact, a lower bound or an estimate, as the answer's `counts` says. */
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
    'Kinds of log messages in a window: templates (variables → <*>) with counts, share, first/last seen, services, levels, an example and typical values.',
  readme: 'the kinds of messages in a window: lines mined into templates (`<*>` where they vary) with exact counts where the source counts distinct messages (Elasticsearch/OpenSearch with a keyword message field, the embedded store), else sample estimates (`counts` says which), share, first/last seen, services, levels, an example and typical values — on any log source (`source`, `scope`)',
  toolset: 'logs',
  requires: [LOG_SOURCE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      ...logScopeInput,
      log_level: z.string().min(1).max(32).regex(NO_CONTROL).optional().describe('Default: all levels'),
      query: z.string().min(1).max(512).regex(NO_CONTROL).optional().describe('Message words'),
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
    /** exact: counted per message by the source; lower_bound: `uncounted` records are in no count; estimate: scaled from the sample. */
    counts: z.enum(['exact', 'lower_bound', 'estimate']),
    /** Records no template's count includes (lower_bound), or not read (estimate): the bound on each count's error. */
    uncounted: z.number().optional(),
    notes: z.array(z.string()).optional(),
    partial: z.boolean().optional(),
  }),
  cache: logToolCache(),
  async handler(input, ctx) {
    const { source, window, query } = scopedRequest(ctx, input, {
      ...(input.log_level ? { levels: [input.log_level] } : {}),
      ...(input.query ? { text: input.query } : {}),
    });
    const spread = { limit: input.sample_size, strategy: 'spread' } as const;
    const exactCounts = source.capabilities.messageCounts && source.messageCounts ? source.messageCounts.bind(source) : undefined;
    const [counts, sample] = await Promise.all([
      exactCounts?.(query, { maxGroups: source.capabilities.messageCounts!.maxGroups }, ctx.signal),
      source.sample(query, spread, ctx.signal),
    ]);
    const sampled = sample.records.length;
    const notes = [...new Set([...sample.notes, ...(counts?.notes ?? [])])];
    // A source that cannot count any message (a text-only message field) leaves the sample's estimate.
    const countable = counts !== undefined && (counts.total === 0 || counts.uncountable < counts.total);
    let answer: { patterns: z.infer<typeof patternOut>[]; found: number };
    let total: number;
    let exactness: 'exact' | 'lower_bound' | 'estimate';
    let uncounted = 0;
    if (countable) {
      answer = await runAnalysis('exactPatterns', { groups: counts.groups, records: sample.records, total: counts.total, topN: input.top_n }, ctx.signal);
      total = counts.total;
      uncounted = counts.total - counts.counted;
      exactness = uncounted === 0 && !counts.partial ? 'exact' : 'lower_bound';
    } else {
      answer = await runAnalysis('samplePatterns', { sample, topN: input.top_n }, ctx.signal);
      total = sample.total;
      uncounted = sample.total - sampled;
      exactness = uncounted === 0 && sample.totalExact && !sample.partial ? 'exact' : 'estimate';
      const note = sampleNote(sample);
      if (note) notes.push(note);
    }
    const { patterns, found } = answer;
    const partial = sample.partial || counts?.partial === true;
    const top = patterns[0];
    const counted = exactness === 'estimate' ? `in ${sampled} sampled of ${total} records` : `in ${total} records${exactness === 'exact' ? ', counted exactly' : `, ${uncounted} of them uncounted`}`;
    const summary = top
      ? `${found} templates ${counted}; most frequent: "${top.template.slice(0, 120)}" (${Math.round(top.share * 100)}%).`
      : `No records matched in ${sample.scope} between ${window.from.toISOString()} and ${window.to.toISOString()}.`;
    return {
      summary,
      source: describeSource(ctx, source, sample.scope),
      window: describeWindow(window),
      total,
      sampled,
      templates_found: found,
      patterns,
      truncated: found > patterns.length || exactness !== 'exact',
      counts: exactness,
      ...(uncounted > 0 ? { uncounted } : {}),
      ...(notes.length ? { notes } : {}),
      ...(partial ? { partial: true } : {}),
    };
  },
});
