import type { LogAnswerMeta, LogQuery, LogRecord, LogSource } from '../../backends/capabilities.js';
import { ERROR_LEVELS } from '../../backends/log-levels.js';
import { describeWindow, histogramInterval, resolveWindow, DEFAULT_WINDOW_START } from '../../core/time.js';
import { STORE_LOG_FIELDS } from './common.js';
import { runAnalysis } from '../analysis-thread.js';
import { DETECTION_BUCKETS, MAX_SAMPLES, OVER_TIME_BUCKETS, exactness, sampleCounts, type SampleDoc } from './detect-errors-answer.js';

/**
 * Errors read evenly over the window (the LogSource's largest spread sample). With counts per
 * message they only lend the patterns trace ids; without, the patterns come from them, counts
 * scaled to the total, and the answer says the counts are estimates.
 */
const PATTERN_SAMPLE = 5000;
/** Messages per pattern kept for the answer: none is shown, the biggest is the example. */
const PATTERN_MESSAGES = 1;

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
 * from the source's counts, patterns mined from its exact counts per distinct message.
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
  const counting = source.capabilities.messageCounts && source.messageCounts ? source.messageCounts.bind(source) : undefined;
  const [detection, overTime, byService, spread, newest, counted] = await Promise.all([
    source.histogram(query, { bucketMs: detMs }, signal),
    outMs === detMs ? undefined : source.histogram(query, { bucketMs: outMs }, signal),
    bySource ? source.countBy(query, { by: 'service', limit: input.top_n }, signal) : undefined,
    source.sample(query, { limit: Math.min(PATTERN_SAMPLE, source.capabilities.maxSample), strategy: 'spread' }, signal),
    source.sample(query, { limit: MAX_SAMPLES, strategy: 'newest' }, signal),
    counting?.(query, { maxGroups: source.capabilities.messageCounts!.maxGroups }, signal),
  ]);
  const answers: LogAnswerMeta[] = [detection, spread, newest, ...(overTime ? [overTime] : []), ...(byService ? [byService] : []), ...(counted ? [counted] : [])];
  const notes = [...new Set(answers.flatMap((a) => a.notes))];
  const partial = answers.some((a) => a.partial);
  const totalErrors = detection.total;
  const docs = spread.records.map(toSample);

  // Counts per message where the source has them (and can count some message); else the sample, scaled.
  const exact = counted !== undefined && (counted.total === 0 || counted.uncountable < counted.total);
  const groups = exact ? counted.groups : sampleCounts(docs);
  let scaled = false;
  if (!exact && spread.records.length < spread.total && spread.records.length > 0) {
    const scale = spread.total / spread.records.length;
    for (const g of groups) g.count = Math.max(1, Math.round(g.count * scale));
    scaled = true;
    notes.push(`Patterns come from ${spread.records.length} of ${spread.total} errors sampled evenly over the window; their counts and first/last seen are estimates.`);
  }
  const label = scaled ? { counts: 'estimate' as const, uncounted: spread.total - spread.records.length } : exactness(totalErrors, groups.reduce((n, g) => n + g.count, 0), partial);
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
    ...label,
    notes,
    partial,
  };
  return runAnalysis('errorsFromCounts', { groups, docs: exact ? docs : [], options: { top: input.top_n, maxMessages: PATTERN_MESSAGES }, evidence, input }, signal);
}

function toSample(r: LogRecord): SampleDoc {
  return { time: r.ts, message: r.message, ...(r.service !== undefined ? { service: r.service } : {}), ...(r.level !== undefined ? { level: r.level } : {}), ...(r.traceId !== undefined ? { traceId: r.traceId } : {}) };
}
