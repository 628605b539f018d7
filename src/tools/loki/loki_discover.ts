import { z } from 'zod';
import { LOKI_DISCOVER_GUARD, type DiscoverRequest } from '../../backends/loki/discovery.js';
import { durationMs, MAX_LOGQL_CHARS } from '../../backends/loki/logql-guard.js';
import { TelemcpError } from '../../core/errors.js';
import { parseTime } from '../../core/time.js';
import { defineTool, target, type ToolContext } from '../tool.js';
import { nativeQueryCache } from '../cache-windows.js';

const timeArg = (what: string) => z.string().min(1).max(40).describe(`${what}: now-1h, 2026-12-07T14:00:00Z, or epoch seconds/ms`);

type DiscoverInput = { what: DiscoverRequest['what']; label?: string; selector?: string; start?: string; end?: string; limit: number; step?: string };

export function discoverRequest(input: DiscoverInput, now = new Date()): DiscoverRequest {
  return {
    what: input.what,
    limit: input.limit,
    ...(input.label !== undefined ? { label: input.label } : {}),
    ...(input.selector !== undefined ? { selector: input.selector } : {}),
    ...(input.start !== undefined ? { start: parseTime(input.start, now, false, 'start').getTime() } : {}),
    ...(input.end !== undefined ? { end: parseTime(input.end, now, true, 'end').getTime() } : {}),
    ...(input.step !== undefined ? { stepMs: durationMs(input.step) } : {}),
  };
}

function sourceName(ctx: Pick<ToolContext, 'backends'>, source: string | undefined): string {
  return source ?? ctx.backends.all(LOKI_DISCOVER_GUARD).keys().next().value ?? 'loki';
}

const iso = (ms: number) => new Date(ms).toISOString();

export const lokiDiscover = defineTool({
  name: 'loki_discover',
  title: 'Loki labels, values, series and hits',
  description:
    'What a Loki tenant holds: label names (what: labels), the values of one label (values, label, optional selector), the streams of a selector (series), or exact lines per bucket over time for a selector or log query (hits). Bounded by limit; the window defaults to the last hour.',
  readme:
    'Loki discovery through a guard Loki owns: label names (`labels`), one label\'s values (`values`, within a selector if given), the label sets of a selector\'s streams (`series`), and exact lines per bucket for a selector or log query (`hits`, `count_over_time` at each bucket\'s end); lists sorted and cut to `limit` (default 100, at most 1000) with their full length, the window injected (last hour) and capped (721 h), selectors that match every stream refused before any request',
  toolset: 'loki',
  requires: [LOKI_DISCOVER_GUARD],
  leastRole: 'elk_viewer',
  input: z
    .object({
      what: z.enum(['labels', 'values', 'series', 'hits']),
      label: z.string().min(1).max(128).optional().describe('values: the label, such as service_name'),
      selector: z.string().min(2).max(MAX_LOGQL_CHARS).optional().describe('series and hits (required), values (optional): {service_name="api"}; hits also takes a log query'),
      start: timeArg('Window start (default: end - 1h)').optional(),
      end: timeArg('Window end (default now)').optional(),
      limit: z.number().int().min(1).max(1000).default(100).describe('Names, values or series listed at most'),
      step: z.string().min(2).max(20).optional().describe('hits: bucket width, such as 5m (default: the window over 60 buckets)'),
      source: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).optional().describe('Named instance to read (LOKI_INSTANCES); default: the first configured'),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    what: z.enum(['labels', 'values', 'series', 'hits']),
    source: z.string(),
    window: z.object({ start: z.string(), end: z.string(), injected: z.array(z.string()) }),
    items: z.array(z.union([z.string(), z.record(z.string(), z.string())])).optional(),
    total: z.number().describe('labels/values/series: how many exist in the window; hits: lines matching (exact)'),
    hits: z.object({ bucket_seconds: z.number(), buckets: z.array(z.object({ start: z.string(), count: z.number() })) }).optional(),
    truncated: z.boolean(),
  }),
  cache: nativeQueryCache(LOKI_DISCOVER_GUARD),
  targets: (input) => [target(LOKI_DISCOVER_GUARD, discoverRequest(input), { source: input.source })],
  async handler(input, ctx) {
    const a = ctx.guarded.get(LOKI_DISCOVER_GUARD);
    if (!a) throw new TelemcpError('backend_unavailable', 'No Loki instance checked this request.', { hint: 'Set LOKI_URL.' });
    const base = { what: a.what, source: sourceName(ctx, input.source), window: { start: iso(a.start), end: iso(a.end), injected: a.injected } };
    if (a.what === 'hits') {
      const h = await a.hits(ctx.signal);
      const total = h.counts.reduce((x, y) => x + y, 0);
      const peak = h.counts.reduce((best, c, i) => (c > h.counts[best]! ? i : best), 0);
      return {
        ...base,
        summary: total ? `${total} lines match (exact) in ${h.counts.length} buckets of ${h.bucketMs / 1000}s; the busiest starts ${iso(h.startMs + peak * h.bucketMs)} with ${h.counts[peak]}.` : 'No line matches in the window.',
        total,
        hits: { bucket_seconds: h.bucketMs / 1000, buckets: h.counts.map((count, i) => ({ start: iso(h.startMs + i * h.bucketMs), count })) },
        truncated: false,
      };
    }
    const { items, total } = await a.list(ctx.signal);
    const noun = a.what === 'labels' ? 'label names' : a.what === 'values' ? `values of ${a.label}` : 'streams';
    return {
      ...base,
      summary: `${total} ${noun} in the window${total > items.length ? `; the first ${items.length} listed` : ''}.`,
      items,
      total,
      truncated: total > items.length,
    };
  },
});
