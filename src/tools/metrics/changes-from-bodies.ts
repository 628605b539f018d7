import type { PromQueryData, PromSeries } from '../../backends/metrics/prometheus.js';
import { metricChanges, type MetricChanges, type MetricChangesOptions } from '../../analysis/metrics/changes.js';
import { parseQueryBody } from './query-body.js';
import { pointsOf } from './series-findings.js';

function key(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

export type BodiesChanges = { ok: true; resultType: PromQueryData['resultType']; changes?: MetricChanges; warnings: string[] } | { ok: false; errorType?: string; error?: string };

/**
 * metrics_changes' analysis from the servers' answer texts, in the analysis thread: the window
 * with its lookback (split at `fromMs` into baseline and window) and the same window a day
 * earlier, matched by label set; parsed here, so no matrix is parsed or copied on the event loop.
 */
export function changesFromBodies(input: { now: string; dayEarlier?: string; options: MetricChangesOptions & { fromMs: number } }): BodiesChanges {
  const now = parseQueryBody(input.now);
  if (!now.ok) return now;
  if (now.data.resultType !== 'matrix') return { ok: true, resultType: now.data.resultType, warnings: now.warnings };
  const before = input.dayEarlier === undefined ? undefined : parseQueryBody(input.dayEarlier);
  if (before && !before.ok) return before;
  const earlier = new Map((before?.data.resultType === 'matrix' ? before.data.result : []).map((s: PromSeries) => [key(s.metric), s]));
  const from = input.options.fromMs;
  const series = now.data.result.map((s) => {
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
