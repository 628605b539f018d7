import type { LogAnswerMeta, LogQuery, LogRecord, LogSource } from '../../backends/capabilities.js';
import { ERROR_LEVELS } from '../../backends/log-levels.js';
import { describeWindow, histogramInterval, resolveWindow, DEFAULT_WINDOW_START } from '../../core/time.js';
import { STORE_LOG_FIELDS } from './common.js';
import { runAnalysis } from '../analysis-thread.js';
import { DETECTION_BUCKETS, MAX_SAMPLES, OVER_TIME_BUCKETS, sampleGroups, type SampleDoc } from './detect-errors-answer.js';

/**
 * Errors read for patterns: a spread sample (the LogSource's largest), so a long window is
 * covered evenly rather than by its last minutes. Below it every error is read and the counts
 * are exact; above it they are scaled from the sample, and the answer says so.
 */
const PATTERN_SAMPLE = 5000;

export interface DetectErrorsInput {
  index_pattern?: string;
  start_time?: string;
  end_time?: string;
  service_name?: string;
  top_n: number;
}

/**
 * elk_detect_errors on a LogSource (the embedded store when no cluster is configured), in the
 * same shape as on Elasticsearch: exact totals, errors by service and the error histogram
 * from the source's counts, patterns mined from the errors themselves.
 */
export async function detectErrorsOnSource(source: LogSource, input: DetectErrorsInput, signal: AbortSignal) {
  const window = resolveWindow(input.start_time, input.end_time, { defaultStart: DEFAULT_WINDOW_START, maxDays: 31 });
  const win = describeWindow(window);
  const spanMs = window.to.getTime() - window.from.getTime();
  const [outInterval, outMs] = histogramInterval(spanMs, OVER_TIME_BUCKETS);
  const [detInterval, detMs] = histogramInterval(spanMs, DETECTION_BUCKETS);
  const query: LogQuery = {
    from: window.from,
    to: window.to,
    ...(input.index_pattern ? { scope: input.index_pattern } : {}),
    ...(input.service_name ? { services: [input.service_name] } : {}),
    levels: ERROR_LEVELS,
  };
  const bySource = source.capabilities.labels.includes('service');
  const [detection, overTime, byService, spread, newest] = await Promise.all([
    source.histogram(query, { bucketMs: detMs }, signal),
    outMs === detMs ? undefined : source.histogram(query, { bucketMs: outMs }, signal),
    bySource ? source.countBy(query, { by: 'service', limit: input.top_n }, signal) : undefined,
    source.sample(query, { limit: Math.min(PATTERN_SAMPLE, source.capabilities.maxSample), strategy: 'spread' }, signal),
    source.sample(query, { limit: MAX_SAMPLES, strategy: 'newest' }, signal),
  ]);
  const answers: LogAnswerMeta[] = [detection, spread, newest, ...(overTime ? [overTime] : []), ...(byService ? [byService] : [])];
  const notes = [...new Set(answers.flatMap((a) => a.notes))];
  const partial = answers.some((a) => a.partial);
  const totalErrors = detection.total;

  const groups = sampleGroups(spread.records.map(toSample));
  if (spread.records.length < spread.total && spread.records.length > 0) {
    const scale = spread.total / spread.records.length;
    for (const g of groups) g.count = Math.max(1, Math.round(g.count * scale));
    notes.push(`Patterns come from ${spread.records.length} of ${spread.total} errors sampled evenly over the window; their counts and first/last seen are estimates.`);
  }
  const otherServices = byService?.other ?? 0;
  if (otherServices > 0) notes.push(`${otherServices} error(s) come from services beyond the top ${input.top_n}, or carry no service.`);
  if (partial) notes.push('Partial result: the source did not read everything in time; counts are lower bounds.');

  const fine = detection.counts;
  const coarse = overTime ?? detection;
  const evidence = {
    scope: detection.scope,
    window: win,
    totalErrors,
    byService: (byService?.values ?? []).map((v) => ({ service: v.value, count: v.count })),
    recentDocs: newest.records.map(toSample),
    detection: fine.length ? { startMs: detection.start, bucketMs: detMs, interval: detInterval, counts: fine } : undefined,
    overTime: { interval: outInterval, start: new Date(coarse.start).toISOString(), counts: coarse.counts },
    hasTraceField: source.capabilities.traceIds,
    fieldsUsed: { ...STORE_LOG_FIELDS },
    notes,
    partial,
  };
  return runAnalysis('errorsFromGroups', { groups, evidence, input }, signal);
}

function toSample(r: LogRecord): SampleDoc {
  return { time: r.ts, message: r.message, ...(r.service !== undefined ? { service: r.service } : {}), ...(r.level !== undefined ? { level: r.level } : {}), ...(r.traceId !== undefined ? { traceId: r.traceId } : {}) };
}
