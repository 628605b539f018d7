import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { describeWindow, histogramInterval, resolveWindow, DEFAULT_WINDOW_START } from '../../core/time.js';
import { SearchEngine } from '../../backends/elasticsearch/search-engine.js';
import {
  detectLogFields,
  levelFilter,
  readSource,
  scalarText,
  timeRangeFilter,
  timeSort,
  valuesFilter,
  type LogFields,
} from '../../backends/elasticsearch/log-fields.js';
import { ERROR_LEVELS } from '../../backends/log-levels.js';
import type { CountedMessage } from '../../analysis/templates/fold-counts.js';
import { MAX_MESSAGE_GROUPS } from '../../backends/message-counts.js';
import { countMessages } from '../../backends/elasticsearch/message-counts.js';
import { defineTool } from '../tool.js';
import { runAnalysis } from '../analysis-thread.js';
import { logToolTargets, num, searchEngine, storeLogSource } from './common.js';
import { DETECTION_BUCKETS, MAX_SAMPLES, OVER_TIME_BUCKETS, exactness, sampleCounts, sampleOut, type SampleDoc } from './detect-errors-answer.js';
import { detectErrorsOnSource } from './detect-errors-on-source.js';

/**
 * Messages of a pattern its traced sample is looked for among, the most frequent: the lookup's
 * terms filter stays within a few hundred kB (a keyword holds up to ignore_above characters each).
 */
const TRACE_LOOKUP_MESSAGES = 200;
/** Recent errors read when messages cannot be aggregated (text-only field, or too long for the keyword field). */
const TEXT_SAMPLE = 500;
const LONG_SAMPLE = 200;


type Source = Record<string, unknown>;
interface Bucket<K = string> {
  key: K;
  key_as_string?: string;
  doc_count: number;
}
interface ErrorsResponse {
  timed_out?: boolean;
  _shards?: { failed?: number };
  hits?: { total?: number | { value: number; relation: string }; hits?: { _index: string; _source?: Source }[] };
  aggregations?: {
    by_service?: { buckets: Bucket[]; sum_other_doc_count?: number };
    detection?: { buckets: Bucket<number>[] };
    over_time?: { buckets: Bucket<number>[] };
  };
}

export const elkDetectErrors = defineTool({
  name: 'elk_detect_errors',
  title: 'Detect error patterns',
  description:
    'Error-level logs in a window (default last hour), aggregated server-side: total, errors by service, top message patterns (numbers, ids, IPs, durations → <*>) with counts, first/last seen and a trace_id, errors over time, the minute errors started rising, samples and next steps.',
  toolset: 'elk',
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
  async handler(input, ctx) {
    const store = storeLogSource(ctx);
    if (store) return detectErrorsOnSource(store, input, ctx.signal);
    const es = searchEngine(ctx);
    const indices = ctx.guarded.indices ?? '';
    const window = resolveWindow(input.start_time, input.end_time, { defaultStart: DEFAULT_WINDOW_START, maxDays: 31 });
    const win = describeWindow(window);
    const fields = await detectLogFields(es, indices, ctx.config.LOG_FIELDS, ctx.signal);
    const notes = [...fields.notes];
    const fieldsUsed = Object.fromEntries(
      (['timestamp', 'service', 'level', 'message', 'trace_id'] as const).flatMap((r) => {
        const f = r === 'timestamp' ? fields.timestamp : fields[r];
        return f ? [[r, f.name]] : [];
      }),
    );
    const spanMs = window.to.getTime() - window.from.getTime();
    const [outInterval, outMs] = histogramInterval(spanMs, OVER_TIME_BUCKETS);
    const emptyResult = (why: string) => ({
      summary: why,
      window: win,
      total_errors: 0,
      errors_by_service: [],
      top_error_messages: [],
      errors_over_time: { interval: outInterval, start: new Date(Math.floor(window.from.getTime() / outMs) * outMs).toISOString(), counts: [] },
      rising_since: null,
      samples: [],
      recommendation: [why],
      fields_used: fieldsUsed,
      counts: 'exact' as const,
      ...(notes.length ? { notes } : {}),
    });
    if (fields.indexCount === 0) return emptyResult(`index_pattern ${indices} matches no open index; list indices with elk_indices_summary.`);
    const ts = fields.timestamp;
    if (!ts) throw new TelemcpError('invalid_input', `No date field (@timestamp, timestamp, …) in ${indices}.`, { hint: 'Name it with LOG_FIELDS=timestamp=<field>, or choose another index_pattern.' });
    if (!fields.level) throw new TelemcpError('invalid_input', `No log level field (log.level, log_level, level, …) in ${indices}, so errors cannot be told apart.`, { hint: 'Name it with LOG_FIELDS=level=<field>.' });
    if (input.service_name !== undefined && !fields.service) {
      throw new TelemcpError('invalid_input', 'No service field (service.name, service_name, …) in this index pattern.', { hint: 'Drop service_name, or name the field with LOG_FIELDS=service=<field>.' });
    }

    const filter = [timeRangeFilter(ts.name, window.from, window.to), levelFilter(fields.level, ERROR_LEVELS)];
    if (input.service_name !== undefined && fields.service) filter.push(valuesFilter(fields.service, [input.service_name]));
    const query = { bool: { filter } };
    const [detInterval, detMs] = histogramInterval(spanMs, DETECTION_BUCKETS);
    const msgKeyword = fields.message?.keyword;
    const svcKeyword = fields.service?.keyword;
    const sourceFields = [ts.name, fields.service?.name, fields.level.name, fields.message?.name, fields.trace_id?.name].filter((f): f is string => Boolean(f));
    const histogram = (interval: string) => ({
      date_histogram: { field: ts.name, fixed_interval: interval, min_doc_count: 0, extended_bounds: { min: window.from.getTime(), max: window.to.getTime() } },
    });
    const aggs: Record<string, unknown> = { detection: histogram(detInterval) };
    if (outInterval !== detInterval) aggs.over_time = histogram(outInterval);
    if (svcKeyword) aggs.by_service = { terms: { field: svcKeyword, size: input.top_n } };
    const timeout = `${Math.max(1, Math.floor(ctx.config.BACKEND_TIMEOUT_MS / 1000) - 1)}s`;
    const search = (body: Record<string, unknown>) =>
      es.post<ErrorsResponse>(
        `/${SearchEngine.encodeIndices(indices)}/_search`,
        { timeout, sort: [timeSort(ts, 'desc')], _source: { includes: sourceFields }, ...body },
        ctx.signal,
        { expand_wildcards: 'open', ignore_unavailable: true, allow_partial_search_results: true },
      );
    // Sample sizes are ours, not the caller's: when huge messages (stack traces) make a sample
    // exceed BACKEND_MAX_RESPONSE_BYTES, read a tenth as many instead of failing the call.
    const shrinking = async (size: number, body: Record<string, unknown>) => {
      try {
        return { res: await search({ ...body, size }), size };
      } catch (err) {
        if (!(err instanceof TelemcpError) || err.code !== 'response_too_large' || size <= MAX_SAMPLES) throw err;
        const smaller = Math.max(MAX_SAMPLES, Math.floor(size / 10));
        notes.push(`Error messages are very large: patterns come from a sample of ${smaller} instead of ${size}.`);
        return { res: await search({ ...body, size: smaller }), size: smaller };
      }
    };
    // Patterns: every distinct message counted exactly (a composite aggregation paged to its end,
    // message-counts.ts) beside the histograms, plus a bounded sample of the messages the keyword
    // field cannot hold (longer than its ignore_above); a text-only field leaves a sample of recent errors.
    const [{ res }, counted] = await Promise.all([
      shrinking(msgKeyword ? MAX_SAMPLES : TEXT_SAMPLE, { track_total_hits: true, query, aggs }),
      msgKeyword ? countMessages(es, { indices, fields, timestamp: ts, query, timeout }, MAX_MESSAGE_GROUPS, ctx.signal) : undefined,
    ]);
    const totalRaw = res.hits?.total;
    const totalErrors = typeof totalRaw === 'number' ? totalRaw : num(totalRaw?.value);
    const recentDocs = (res.hits?.hits ?? []).map((h) => toSample(h._source, fields));
    let partial = num(res._shards?.failed) > 0 || res.timed_out === true || counted?.partial === true;

    const groups: CountedMessage<SampleDoc>[] = [];
    const aggsOut = res.aggregations ?? {};
    if (msgKeyword && counted) {
      groups.push(...counted.groups);
      notes.push(...counted.notes);
      if (counted.uncountable > 0) {
        const { res: longRes, size: longSize } = await shrinking(LONG_SAMPLE, { track_total_hits: false, query: { bool: { filter, must_not: [{ exists: { field: msgKeyword } }] } } });
        partial ||= num(longRes._shards?.failed) > 0;
        groups.push(...sampleCounts((longRes.hits?.hits ?? []).map((h) => toSample(h._source, fields))));
        if (counted.uncountable > longSize) notes.push(`${counted.uncountable} error messages are too long to aggregate; their patterns are counted from the ${longSize} most recent.`);
      }
    } else if (fields.message) {
      groups.push(...sampleCounts(recentDocs));
      if (totalErrors > recentDocs.length) notes.push(`${fields.message.name} is text-only (no keyword sub-field), so patterns are counted from the ${recentDocs.length} most recent of ${totalErrors} errors.`);
    }
    const patterns = await runAnalysis('foldCounts', { groups, options: { top: input.top_n, maxMessages: TRACE_LOOKUP_MESSAGES } }, ctx.signal);
    // The newest traced document of each top pattern, fetched for those patterns only (one
    // filter per pattern over its most frequent messages): a sample inside each message group
    // would cost more than the rest of the search on large indices.
    if (msgKeyword) {
      const wanted = patterns.filter((p) => !p.sample);
      const traceField = fields.trace_id?.keyword ?? fields.trace_id?.name;
      if (wanted.length) {
        const byPattern = Object.fromEntries(
          wanted.map((p, i) => [`p${i}`, { bool: { filter: [{ terms: { [msgKeyword]: p.messages } }, ...(traceField ? [{ exists: { field: traceField } }] : [])] } }]),
        );
        const traced = await search({
          size: 0,
          track_total_hits: false,
          query,
          aggs: { samples: { filters: { filters: byPattern }, aggs: { hit: { top_hits: { size: 1, sort: [timeSort(ts, 'desc')], _source: { includes: sourceFields } } } } } },
        });
        const buckets = (traced.aggregations as { samples?: { buckets?: Record<string, { hit?: { hits?: { hits?: { _source?: Source }[] } } }> } } | undefined)?.samples?.buckets ?? {};
        wanted.forEach((p, i) => {
          const hit = buckets[`p${i}`]?.hit?.hits?.hits?.[0];
          if (hit) p.sample = toSample(hit._source, fields);
        });
      }
    }

    const detection = aggsOut.detection?.buckets ?? [];
    const overTime = aggsOut.over_time?.buckets ?? detection;
    const byService = (aggsOut.by_service?.buckets ?? []).map((b) => ({ service: String(b.key), count: b.doc_count }));
    const otherServices = num(aggsOut.by_service?.sum_other_doc_count);
    if (otherServices > 0) notes.push(`${otherServices} error(s) come from services beyond the top ${input.top_n}.`);
    if (!svcKeyword && fields.service) notes.push(`${fields.service.name} is text-only, so errors cannot be counted per service.`);
    if (partial) notes.push('Partial result: some shards failed or the search timed out; counts are lower bounds.');
    const evidence = {
      scope: indices,
      window: win,
      totalErrors,
      byService,
      patterns,
      recentDocs,
      detection: detection.length ? { startMs: detection[0].key, bucketMs: detMs, interval: detInterval, counts: detection.map((b) => b.doc_count) } : undefined,
      overTime: { interval: outInterval, start: overTime.length ? new Date(overTime[0].key).toISOString() : win.start, counts: overTime.map((b) => b.doc_count) },
      hasTraceField: fields.trace_id !== undefined,
      fieldsUsed,
      ...exactness(totalErrors, groups.reduce((n, g) => n + g.count, 0), partial),
      notes,
      partial,
    };
    return runAnalysis('errorsAnswer', { evidence, input }, ctx.signal);
  },
});

function toSample(source: Source | undefined, fields: LogFields): SampleDoc {
  const text = (name: string | undefined) => (name ? scalarText(readSource(source, name)) : undefined);
  const rawTime = text(fields.timestamp?.name);
  const time = rawTime === undefined ? undefined : /^\d+$/.test(rawTime) ? Number(rawTime) : Date.parse(rawTime);
  return {
    time: Number.isFinite(time) ? time : undefined,
    traceId: text(fields.trace_id?.name),
    service: text(fields.service?.name),
    level: text(fields.level?.name),
    message: text(fields.message?.name),
  };
}

