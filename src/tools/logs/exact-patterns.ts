import type { LogRecord, MessageCount } from '../../backends/capabilities.js';
import { foldCounts } from '../../analysis/templates/fold-counts.js';
import type { SamplePattern } from './sample-analysis.js';

/**
 * logs_patterns from a source's exact counts per distinct message (LogSource messageCounts):
 * templates, counts, services, levels and first/last seen are exact; the sample the tool also
 * reads only lends each template a trace id, found by exact message. Runs in the analysis thread.
 */
export interface ExactPatternsInput {
  groups: MessageCount[];
  /** Records of a sample of the same window, for trace ids. */
  records: LogRecord[];
  /** Records matching the query (the shares' denominator). */
  total: number;
  topN: number;
}

/** Characters of a template's example, as the sampled patterns keep them. */
const MAX_EXAMPLE = 500;

export function exactPatterns({ groups, records, total, topN }: ExactPatternsInput): { patterns: SamplePattern[]; found: number } {
  const traced = new Map<string, { time: number; traceId: string }>();
  for (const r of records) {
    if (!r.traceId) continue;
    const seen = traced.get(r.message);
    if (!seen || r.ts > seen.time) traced.set(r.message, { time: r.ts, traceId: r.traceId });
  }
  const counted = groups.map((g) => {
    const sample = traced.get(g.message);
    return sample ? { ...g, sample } : g;
  });
  const { templates, found } = foldCounts(counted, { top: topN, maxMessages: 1 });
  const patterns = templates.map((t): SamplePattern => ({
    template: t.pattern,
    count: t.count,
    share: total ? Math.round((t.count / total) * 1000) / 1000 : 0,
    ...(t.firstSeen !== undefined && t.lastSeen !== undefined ? { first_seen: new Date(t.firstSeen).toISOString(), last_seen: new Date(t.lastSeen).toISOString() } : {}),
    services: t.services.slice(0, 5).map((s) => ({ service: s.name, count: s.count })),
    levels: t.levels.map((l) => l.name).sort(),
    example: t.example.slice(0, MAX_EXAMPLE),
    ...(t.values.length ? { values: t.values } : {}),
    ...(t.sample?.traceId ? { trace_id: t.sample.traceId } : {}),
  }));
  return { patterns, found };
}
