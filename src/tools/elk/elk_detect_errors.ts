import { SEARCH_ENGINE } from '../../backends/elasticsearch/module.js';
import { STORE_READER } from '../../backends/embedded/module.js';
import { z } from 'zod';
import { defineTool } from '../tool.js';
import { elkLogCache } from '../cache-windows.js';
import { elkLogSource, logToolTargets } from './common.js';
import { sampleOut } from './detect-errors-answer.js';
import { detectErrorsOnSource } from './detect-errors-on-source.js';

export const elkDetectErrors = defineTool({
  name: 'elk_detect_errors',
  title: 'Detect error patterns',
  description:
    'Error patterns in a window, aggregated server-side: total, errors by service, top message patterns (variables → <*>) with counts, first/last seen and a trace_id, errors over time, when they began rising.',
  readme: 'error totals by service, top error **templates** (mined by the log-intelligence engine) with exact counts (every distinct message of the window counted server-side; `counts` says `exact`, or `lower_bound` with the `uncounted` bound), first/last seen and a trace id, errors over time, the burst errors rose in and since when, samples, next steps — from server-side aggregations',
  toolset: 'elk',
  requires: [SEARCH_ENGINE, STORE_READER],
  leastRole: 'elk_viewer',
  input: z
    .object({
      index_pattern: z.string().min(1).max(512).optional().describe('Default: LOG_INDEX_PATTERN (logs-*); embedded store: datasets, default *'),
      start_time: z.string().min(1).max(64).optional().describe('now-6h, ISO 8601 or epoch ms. Default now-1h'),
      end_time: z.string().min(1).max(64).optional().describe('Default now; window ≤ 31 days'),
      service_name: z.string().min(1).max(256).regex(/^[^\u0000-\u001f\u007f]+$/).optional(),
      top_n: z.number().int().min(1).max(50).default(10).describe('Patterns and services to list (1-50)'),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    window: z.object({ start: z.string(), end: z.string(), server_now: z.string() }),
    total_errors: z.number(),
    errors_by_service: z.array(z.object({ service: z.string(), count: z.number() })),
    top_error_messages: z.array(
      z.object({
        message: z.string(),
        count: z.number(),
        first_seen: z.string().optional(),
        last_seen: z.string().optional(),
        services: z.array(z.string()),
        trace_id: z.string().optional(),
        example: z.string(),
      }),
    ),
    errors_over_time: z.object({ interval: z.string(), start: z.string(), counts: z.array(z.number()) }),
    rising_since: z.string().nullable(),
    rise: z.object({ interval: z.string(), baseline_per_interval: z.number(), peak_per_interval: z.number(), peak_at: z.string(), ongoing: z.boolean() }).optional(),
    samples: z.array(sampleOut),
    recommendation: z.array(z.string()),
    fields_used: z.record(z.string(), z.string()),
    /** exact: every error counted per message; lower_bound: `uncounted` errors are in no pattern; estimate: scaled from a sample. */
    counts: z.enum(['exact', 'lower_bound', 'estimate']),
    uncounted: z.number().optional(),
    notes: z.array(z.string()).optional(),
    partial: z.boolean().optional(),
  }),
  targets: (input, config) => logToolTargets(input.index_pattern, config),
  cache: elkLogCache('now-1h'),
  async handler(input, ctx) {
    const { source, scope } = elkLogSource(ctx, input.index_pattern);
    return detectErrorsOnSource(source, { ...input, index_pattern: scope }, ctx.signal);
  },
});
