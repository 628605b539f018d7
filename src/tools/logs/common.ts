import { z } from 'zod';
import { resolveWindow, describeWindow, type TimeWindow, DEFAULT_WINDOW_START } from '../../core/time.js';
import type { LogQuery, LogSample, LogSource } from '../../backends/capabilities.js';
import type { ToolContext } from '../tool.js';
import { resolveLogSource } from './sources.js';
import { STORE_READER } from '../../backends/embedded/module.js';
import { globMatches } from '../../security/glob.js';

/** Inputs every log-analysis tool shares, so the model learns them once. */
export const logScopeInput = {
  source: z.string().min(1).max(64).optional().describe('Needed when several log sources exist'),
  scope: z.string().min(1).max(512).optional().describe('Index or dataset pattern'),
  start_time: z.string().min(1).max(64).optional().describe('Default now-1h'),
  end_time: z.string().min(1).max(64).optional().describe('Default now'),
  service_name: z.string().min(1).max(256).regex(/^[^\u0000-\u001f\u007f]+$/).optional(),
};

export const sourceOut = z.object({
  name: z.string(),
  kind: z.string(),
  scope: z.string(),
  /** The embedded store's demo dataset (loaded on first start) is among what was read. */
  demo_data: z.boolean().optional(),
});
export const windowOut = z.object({ start: z.string(), end: z.string(), server_now: z.string() });

export interface ScopedRequest {
  source: LogSource;
  window: TimeWindow;
  query: LogQuery;
}

export function scopedRequest(
  ctx: ToolContext,
  input: { source?: string; scope?: string; start_time?: string; end_time?: string; service_name?: string },
  extra: Partial<LogQuery> = {},
): ScopedRequest {
  const source = resolveLogSource(ctx, input.source);
  const window = resolveWindow(input.start_time, input.end_time, { defaultStart: DEFAULT_WINDOW_START, maxDays: 31 });
  const query: LogQuery = {
    from: window.from,
    to: window.to,
    ...(input.scope ? { scope: input.scope } : {}),
    ...(input.service_name ? { services: [input.service_name] } : {}),
    ...extra,
  };
  return { source, window, query };
}

/**
 * What a result says about where it came from. On the embedded store it also says when the
 * demo dataset was read, so nobody mistakes the generated incident for their own.
 */
export function describeSource(ctx: Pick<ToolContext, 'backends'>, source: LogSource, scope: string): z.infer<typeof sourceOut> {
  const patterns = scope.split(',').map((p) => p.trim());
  // The store's demo datasets as of the reader thread's last answer (this result's read or a later one): no SQLite read here.
  const demo = source.kind === 'embedded' && (ctx.backends.first(STORE_READER)?.demoDatasets() ?? []).some((name) => patterns.some((p) => globMatches(p, name)));
  return { name: source.name, kind: source.kind, scope, ...(demo ? { demo_data: true } : {}) };
}

export { describeWindow };

/** How a tool says its counts come from a sample. */
export function sampleNote(sample: LogSample): string | undefined {
  if (sample.records.length >= sample.total) return undefined;
  return `Templates come from ${sample.records.length} of ${sample.total}${sample.totalExact ? '' : '+'} matching records, sampled evenly over the window (${sample.strategy}); counts are scaled estimates.`;
}

export const DAY_MS = 86_400_000;

/** The same query one day earlier, for baselines that know about daily rhythm. */
export function dayEarlier(query: LogQuery): LogQuery {
  return { ...query, from: new Date(query.from.getTime() - DAY_MS), to: new Date(query.to.getTime() - DAY_MS) };
}
