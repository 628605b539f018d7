import type { LogAnswerMeta, LogCounts, LogQuery, LogRecord, LogSource } from '../../backends/capabilities.js';
import { ERROR_LEVELS } from '../../core/log-levels.js';
import { TelemcpError } from '../../core/errors.js';
import { describeWindow, histogramInterval, resolveWindow, DEFAULT_WINDOW_START } from '../../core/time.js';
import { fieldsUsed } from './common.js';
import { runAnalysis } from '../analysis-thread.js';
import { DETECTION_BUCKETS, MAX_SAMPLES, OVER_TIME_BUCKETS, exactness, sampleCounts, type SampleDoc } from './detect-errors-answer.js';

/**
 * Errors read evenly over the window (the LogSource's largest spread sample). With counts per
 * message they only lend the patterns trace ids, on a source that cannot look examples up;
 * without counts, the patterns come from them, counts scaled to the total, and the answer says
 * the counts are estimates.
 */
const PATTERN_SAMPLE = 5000;
/** Messages per pattern kept when none is looked up: none is shown, the biggest is the example. */
const PATTERN_MESSAGES = 1;
/**
 * Messages of a pattern its traced example is looked for among, the most frequent: the
 * lookup's filter stays within a few hundred kB (a keyword holds up to ignore_above characters each).
 */
const EXAMPLE_MESSAGES = 200;
/** Recent errors read for the messages a source cannot count (a text-only field, or longer than its keyword holds). */
const UNCOUNTABLE_SAMPLE = 500;

export interface DetectErrorsInput {
  /** The scope: an index pattern the pipeline guarded, or a dataset pattern; default the source's. */
  index_pattern?: string;
  start_time?: string;
  end_time?: string;
  service_name?: string;
  top_n: number;
}

/**
 * elk_detect_errors on any LogSource: exact totals, errors by service and the error histogram
 * from the source's counts; patterns mined from its exact counts per distinct message, the
 * messages it cannot count read from a sample of them, each top pattern lent a traced example
 * (looked up where the source can, else found in a spread sample); scaled from a spread sample
 * on a source that cannot count messages, and labelled so.
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
  const notes: string[] = [];
  const counting = source.capabilities.messageCounts && source.messageCounts ? source.messageCounts.bind(source) : undefined;
  const lookup = counting && source.examples ? source.examples.bind(source) : undefined;
  const [detection, overTime, byService, newest, counted, spread] = await Promise.all([
    // On the epoch's grid, so the rise starts at a round minute; a coarser grid whose buckets are whole fine ones is added up, not asked for.
    source.histogram(query, { bucketMs: detMs, align: true }, signal),
    outMs % detMs === 0 ? undefined : source.histogram(query, { bucketMs: outMs, align: true }, signal),
    source.capabilities.labels.includes('service') ? countServices(source, query, input.top_n, notes, signal) : undefined,
    source.sample(query, { limit: MAX_SAMPLES, strategy: 'newest' }, signal),
    counting?.(query, { maxGroups: source.capabilities.messageCounts!.maxGroups, uncountableSample: Math.min(UNCOUNTABLE_SAMPLE, source.capabilities.maxSample) }, signal),
    lookup ? undefined : source.sample(query, { limit: Math.min(PATTERN_SAMPLE, source.capabilities.maxSample), strategy: 'spread' }, signal),
  ]);
  const answers: LogAnswerMeta[] = [detection, newest, ...[overTime, byService, counted, spread].filter((a): a is NonNullable<typeof a> => a !== undefined)];
  notes.unshift(...new Set(answers.flatMap((a) => a.notes)));
  let partial = answers.some((a) => a.partial);
  const totalErrors = detection.total;
  const docs = spread?.records.map(toSample) ?? [];

  // Counts per message where the source has them, the messages it cannot count from their sample; else the spread sample, scaled.
  const groups = counted ? [...counted.groups, ...sampleCounts((counted.uncountableRecords ?? []).map(toSample))] : sampleCounts(docs);
  const sampledUncountable = counted?.uncountableRecords?.length ?? 0;
  if (counted && counted.uncountable > sampledUncountable) {
    notes.push(`${counted.uncountable} error(s) have messages that cannot be counted per message; their patterns come from the ${sampledUncountable} most recent of them.`);
  }
  let scaled = false;
  if (!counted && spread && spread.records.length < spread.total && spread.records.length > 0) {
    const scale = spread.total / spread.records.length;
    for (const g of groups) g.count = Math.max(1, Math.round(g.count * scale));
    scaled = true;
    notes.push(`Patterns come from ${spread.records.length} of ${spread.total} errors sampled evenly over the window; their counts and first/last seen are estimates.`);
  }
  const label = scaled ? { counts: 'estimate' as const, uncounted: spread!.total - spread!.records.length } : exactness(totalErrors, groups.reduce((n, g) => n + g.count, 0), partial);
  const otherServices = byService?.other ?? 0;
  if (otherServices > 0) notes.push(`${otherServices} error(s) come from services beyond the top ${input.top_n}, or carry no service.`);

  const coarse = overTime ?? addUp(detection.start, detection.counts, detMs, outMs);
  const roles = detection.fields;
  const evidence = {
    scope: detection.scope,
    window: win,
    totalErrors,
    byService: (byService?.values ?? []).map((v) => ({ service: v.value, count: v.count })),
    recentDocs: newest.records.map(toSample),
    detection: detection.counts.length ? { startMs: detection.start, bucketMs: detMs, interval: detInterval, counts: detection.counts } : undefined,
    overTime: { interval: outInterval, start: new Date(coarse.start).toISOString(), counts: coarse.counts },
    hasTraceField: roles ? roles.trace_id !== undefined : source.capabilities.traceIds,
    fieldsUsed: fieldsUsed(roles, false),
    ...label,
    notes,
    partial,
  };
  const options = { top: input.top_n, maxMessages: lookup ? EXAMPLE_MESSAGES : PATTERN_MESSAGES };
  if (!lookup) {
    if (partial) notes.push(PARTIAL_NOTE);
    return runAnalysis('errorsFromCounts', { groups, docs: counted ? docs : [], options, evidence, input }, signal);
  }
  // Counted patterns carry no record: the newest traced one of each is looked up, for those patterns only.
  const patterns = await runAnalysis('foldCounts', { groups, options }, signal);
  const wanted = patterns.filter((p) => !p.sample && p.messages.length > 0);
  if (wanted.length) {
    const found = await lookup(query, wanted.map((p) => p.messages), signal);
    wanted.forEach((p, i) => {
      const record = found.records[i];
      if (record) p.sample = toSample(record);
    });
    notes.push(...found.notes.filter((n) => !notes.includes(n)));
    partial ||= found.partial;
  }
  if (partial) notes.push(PARTIAL_NOTE);
  return runAnalysis('errorsAnswer', { evidence: { ...evidence, patterns, partial }, input }, signal);
}

const PARTIAL_NOTE = 'Partial result: the source did not read everything in time; counts are lower bounds.';

/** Errors per service; none, and a note why, where the scope has no service field the source can count by. */
async function countServices(source: LogSource, query: LogQuery, limit: number, notes: string[], signal: AbortSignal): Promise<LogCounts | undefined> {
  try {
    return await source.countBy(query, { by: 'service', limit }, signal);
  } catch (err) {
    if (!(err instanceof TelemcpError) || err.code !== 'invalid_input') throw err;
    notes.push(`Errors are not counted per service: ${err.message}`);
    return undefined;
  }
}

/** A fine histogram on the epoch's grid added up into the coarser grid's buckets, each a whole number of fine ones. */
function addUp(fineStart: number, counts: number[], fineMs: number, coarseMs: number): { start: number; counts: number[] } {
  const start = Math.floor(fineStart / coarseMs) * coarseMs;
  const out: number[] = [];
  counts.forEach((c, i) => {
    const j = Math.floor((fineStart + i * fineMs - start) / coarseMs);
    out[j] = (out[j] ?? 0) + c;
  });
  return { start, counts: out };
}

function toSample(r: LogRecord): SampleDoc {
  return { time: r.ts, message: r.message, ...(r.service !== undefined ? { service: r.service } : {}), ...(r.level !== undefined ? { level: r.level } : {}), ...(r.traceId !== undefined ? { traceId: r.traceId } : {}) };
}
