import type { Envelope, PromQueryData, PromSeries } from '../../backends/metrics/prometheus.js';
import { metricChanges, type MetricChanges, type MetricChangesOptions } from '../../analysis/metrics/changes.js';
import { pointsOf } from './series-findings.js';

function key(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

type Parsed = { ok: true; result: PromSeries[]; resultType: PromQueryData['resultType']; warnings: string[] } | { ok: false; errorType?: string; error?: string };

function parse(body: string): Parsed {
  let env: Envelope<PromQueryData>;
  try {
    env = JSON.parse(body) as Envelope<PromQueryData>;
  } catch {
    return { ok: false, errorType: 'not_json' };
  }
  if (env.status !== 'success' || !env.data) return { ok: false, errorType: env.errorType, error: env.error };
  const result = env.data.resultType === 'matrix' || env.data.resultType === 'vector' ? env.data.result : [];
  return { ok: true, result, resultType: env.data.resultType, warnings: [...(env.warnings ?? []), ...(env.infos ?? [])].slice(0, 10) };
}

export type BodiesChanges = { ok: true; resultType: PromQueryData['resultType']; changes?: MetricChanges; warnings: string[] } | { ok: false; errorType?: string; error?: string };

/**
 * metrics_changes' analysis from the servers' answer texts, in the analysis thread: the window
 * with its lookback (split at `fromMs` into baseline and window) and the same window a day
 * earlier, matched by label set; parsed here, so no matrix is parsed or copied on the event loop.
 */
export function changesFromBodies(input: { now: string; dayEarlier?: string; options: MetricChangesOptions & { fromMs: number } }): BodiesChanges {
  const now = parse(input.now);
  if (!now.ok) return now;
  if (now.resultType !== 'matrix') return { ok: true, resultType: now.resultType, warnings: now.warnings };
  const before = input.dayEarlier === undefined ? undefined : parse(input.dayEarlier);
  if (before && !before.ok) return before;
  const earlier = new Map((before?.result ?? []).map((s) => [key(s.metric), s]));
  const from = input.options.fromMs;
  const series = now.result.map((s) => {
    const all = pointsOf(s);
    return {
      labels: s.metric,
      preceding: all.filter((p) => p.t < from),
      points: all.filter((p) => p.t >= from),
      ...(before ? { dayEarlier: earlier.has(key(s.metric)) ? pointsOf(earlier.get(key(s.metric))!) : [] } : {}),
    };
  });
  return { ok: true, resultType: 'matrix', changes: metricChanges(series, input.options), warnings: [...now.warnings, ...(before?.warnings ?? [])] };
}
