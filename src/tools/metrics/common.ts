import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { parseTime } from '../../core/time.js';
import { sanitizeText } from '../../security/sanitize.js';
import { METRIC_SOURCE } from '../../backends/metrics/module.js';
import type { PrometheusApi } from '../../backends/metrics/prometheus.js';
import { durationMs } from '../../backends/metrics/promql-ast.js';
import type { ToolContext } from '../tool.js';

/** `source`: which Prometheus-compatible instance to read, when several are configured. */
export const sourceArg = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/)
  .optional()
  .describe('Named instance to read (PROMETHEUS_INSTANCES); default: the first configured');

/** A time as the tools take it: date math (now-1h), ISO 8601, or epoch seconds/milliseconds. */
export const timeArg = (what: string) => z.string().min(1).max(40).describe(`${what}: now-1h, 2026-12-07T14:00:00Z, or epoch seconds/ms`);

/** A PromQL duration such as 30s, 5m, 1h (or seconds). */
export const durationArg = (what: string) =>
  z
    .string()
    .max(16)
    .refine((v) => (durationMs(v) ?? 0) >= 1000, { message: 'must be a duration of at least 1s, such as 30s, 5m or 1h' })
    .describe(what);

/** The named Prometheus-compatible instance, or the default one. */
export function metricApi(ctx: Pick<ToolContext, 'backends'>, source: string | undefined): { name: string; api: PrometheusApi } {
  const all = ctx.backends.all(METRIC_SOURCE);
  if (all.size === 0) throw new TelemcpError('backend_unavailable', 'No Prometheus-compatible server is configured.', { hint: 'Set PROMETHEUS_URL (Prometheus, VictoriaMetrics, Thanos, Mimir or Cortex).' });
  if (source === undefined) {
    const [name, api] = all.entries().next().value!;
    return { name, api };
  }
  const api = all.get(source);
  if (!api) throw new TelemcpError('invalid_input', `No metrics source named ${JSON.stringify(source.slice(0, 40))}.`, { hint: `Pass source as one of: ${[...all.keys()].join(', ')}, or omit it.` });
  return { name: source, api };
}

export function toMs(text: string, now: Date, field: string, roundUp = false): number {
  return parseTime(text, now, roundUp, field).getTime();
}

/** ISO time of a unix-ms instant, to the second (what a model repeats). */
export function iso(ms: number): string {
  return new Date(Math.round(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Text a server holds that a model will read (annotations, errors): single line, cut, sanitised. */
export function clip(value: unknown, max = 200): string {
  return typeof value === 'string' ? sanitizeText(value.replace(/\s+/g, ' ').trim(), max).text : '';
}
