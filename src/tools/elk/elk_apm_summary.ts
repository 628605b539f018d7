import { z } from 'zod';
import type { Config } from '../../config/load.js';
import { MINUTE_MS, describeWindow, histogramInterval, resolveWindow, DEFAULT_WINDOW_START } from '../../core/time.js';
import { SearchEngine } from '../../backends/elasticsearch/search-engine.js';
import { isCoveredByAllowlist } from '../../backends/elasticsearch/index-guard.js';
import { sanitizeText } from '../../security/sanitize.js';
import { defineTool, target } from '../tool.js';
import { elkLogCache } from '../cache-windows.js';
import { INDEX_GUARD, SEARCH_ENGINE } from '../../backends/elasticsearch/module.js';
import { num, pct, searchEngine } from './common.js';

/**
 * APM Server 8.x writes error documents to `logs-apm.error-<namespace>`, beside (not under)
 * `traces-apm*`; 7.x keeps them in `apm-<version>-error-*`, which `apm-*` already covers.
 * So when no index_pattern is given, the APM pattern is searched together with this one,
 * if the allowlist covers it (it is under `logs-*`).
 */
const APM_ERROR_DATA_STREAMS = 'logs-apm.error-*';
const MAX_SERVICES = 20;
/** Transaction names per service whose p95 is computed; the slowest top_n of them are shown. */
const NAME_CANDIDATES = 25;
const TIMELINE_BUCKETS = 30;

/** The default index expression: the configured APM pattern items the allowlist covers, plus 8.x error data streams. */
export function defaultApmIndices(config: Config): string {
  const allow = config.ALLOWED_INDEX_PATTERNS;
  const configured = config.APM_INDEX_PATTERN.split(',').map((s) => s.trim()).filter(Boolean);
  const covered = configured.filter((p) => isCoveredByAllowlist(p, allow));
  // Nothing covered: keep the configured pattern so the guard names what is outside the allowlist.
  if (!covered.length) return configured.join(',');
  if (!covered.includes(APM_ERROR_DATA_STREAMS) && isCoveredByAllowlist(APM_ERROR_DATA_STREAMS, allow)) covered.push(APM_ERROR_DATA_STREAMS);
  return covered.join(',');
}

interface Percentiles {
  values?: { key: number; value: number | string | null }[];
}
interface Bucket<K = string> {
  key: K;
  doc_count: number;
}
interface NameBucket extends Bucket {
  p95?: Percentiles;
  failed?: { doc_count: number };
}
interface TimeBucket extends Bucket<number> {
  p95?: Percentiles;
  failed?: { doc_count: number };
}
interface ErrorGroup extends Bucket {
  sample?: { hits?: { hits?: { _source?: Record<string, unknown> }[] } };
}
interface ServiceBucket extends Bucket {
  tx?: {
    doc_count: number;
    failed?: { doc_count: number };
    latency?: Percentiles;
    timeline?: { buckets: TimeBucket[] };
    names?: { buckets: NameBucket[]; sum_other_doc_count?: number };
  };
  errors?: { doc_count: number; groups?: { buckets: ErrorGroup[]; sum_other_doc_count?: number } };
}
interface ApmResponse {
  timed_out?: boolean;
  _shards?: { failed?: number };
  aggregations?: { services?: { buckets: ServiceBucket[]; sum_other_doc_count?: number } };
}

/** Microseconds (APM's unit) to milliseconds with one decimal; null when the engine had no value. */
function ms(value: number | string | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value / 100) / 10 : null;
}

function percentile(p: Percentiles | undefined, key: number): number | null {
  return ms(p?.values?.find((v) => v.key === key)?.value);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const text = (value: unknown, max = 300): string | undefined => (typeof value === 'string' && value ? sanitizeText(value, max).text : undefined);

/** The first exception of an APM error (7.x and 8.x store `error.exception` as a list). */
function exceptionOf(source: Record<string, unknown> | undefined): { message?: string; type?: string } {
  const error = (source?.error ?? {}) as Record<string, unknown>;
  const exc = Array.isArray(error.exception) ? error.exception[0] : error.exception;
  const e = (exc ?? {}) as Record<string, unknown>;
  const log = (error.log ?? {}) as Record<string, unknown>;
  return { message: text(e.message) ?? text(log.message) ?? text(error.grouping_name) ?? text(error.culprit), type: text(e.type, 120) };
}

interface TimelinePoint {
  at: number;
  count: number;
  p95: number | null;
  failed: number;
}

export interface Trend {
  baseline_p95_ms: number;
  recent_p95_ms: number;
  baseline_error_rate_pct: number;
  recent_error_rate_pct: number;
  latency_rising: boolean;
  errors_rising: boolean;
  /** Start of the first bucket of the sustained rise. */
  rising_since?: string;
}

/**
 * Compares the last quarter of the window with its first half (medians of the buckets'
 * p95 and failure rate): latency is rising when the recent p95 is at least twice the baseline
 * (and 50 ms more), errors when the failure rate grew by 5 points and at least doubled. The rise started at the earliest bucket from which
 * every non-empty bucket up to the end stays elevated.
 */
export function trendOf(points: TimelinePoint[]): Trend | undefined {
  if (points.length < 6) return undefined;
  const half = points.slice(0, Math.floor(points.length / 2)).filter((p) => p.count > 0 && p.p95 !== null);
  const recent = points.slice(points.length - Math.max(2, Math.floor(points.length / 4))).filter((p) => p.count > 0 && p.p95 !== null);
  if (half.length < 2 || recent.length < 1) return undefined;
  // Medians over buckets, so an incident that began inside the first half does not raise the baseline.
  const baseP95 = median(half.map((p) => p.p95!));
  const recentP95 = median(recent.map((p) => p.p95!));
  const baseErr = median(half.map((p) => p.failed / p.count));
  const recentErr = median(recent.map((p) => p.failed / p.count));
  const latencyRising = recentP95 >= 2 * baseP95 && recentP95 - baseP95 >= 50;
  const errorsRising = recentErr - baseErr >= 0.05 && recentErr >= 2 * baseErr;
  const trend: Trend = {
    baseline_p95_ms: Math.round(baseP95 * 10) / 10,
    recent_p95_ms: Math.round(recentP95 * 10) / 10,
    baseline_error_rate_pct: Math.round(baseErr * 1000) / 10,
    recent_error_rate_pct: Math.round(recentErr * 1000) / 10,
    latency_rising: latencyRising,
    errors_rising: errorsRising,
  };
  if (!latencyRising && !errorsRising) return trend;
  const elevated = (p: TimelinePoint) =>
    (latencyRising && p.p95 !== null && p.p95 >= Math.max(2 * baseP95, baseP95 + 50)) || (errorsRising && p.failed / p.count >= baseErr + (recentErr - baseErr) / 2);
  let since: number | undefined;
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i];
    if (p.count === 0) continue;
    if (!elevated(p)) break;
    since = p.at;
  }
  if (since !== undefined) trend.rising_since = new Date(since).toISOString();
  return trend;
}

const serviceOut = z.object({
  service: z.string(),
  status: z.enum(['ok', 'degraded']),
  transactions: z.number(),
  throughput_per_min: z.number(),
  failed_transactions: z.number(),
  error_rate_pct: z.number(),
  error_docs: z.number(),
  latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() }),
  trend: z
    .object({
      baseline_p95_ms: z.number(),
      recent_p95_ms: z.number(),
      baseline_error_rate_pct: z.number(),
      recent_error_rate_pct: z.number(),
      latency_rising: z.boolean(),
      errors_rising: z.boolean(),
      rising_since: z.string().optional(),
    })
    .optional(),
  slowest_transactions: z.array(z.object({ name: z.string(), count: z.number(), p95_ms: z.number().nullable(), error_rate_pct: z.number() })),
  top_errors: z.array(z.object({ message: z.string(), type: z.string().optional(), count: z.number(), sample_trace_id: z.string().optional() })),
});
type ServiceOut = z.infer<typeof serviceOut>;

export const elkApmSummary = defineTool({
  name: 'elk_apm_summary',
  title: 'APM service summary',
  description:
    'APM services in a window: throughput, error rate, latency p50/p95/p99, what is rising since when, slowest transactions, top errors with a trace id. APM 7.x and 8.x.',
  readme: 'per APM service throughput, error rate, latency p50/p95/p99, rising latency/errors and since when, slowest transactions, top errors',
  toolset: 'elk',
  requires: [SEARCH_ENGINE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      index_pattern: z
        .string()
        .min(1)
        .max(512)
        .optional()
        .describe('APM indices. Default: APM_INDEX_PATTERN plus logs-apm.error-* (8.x error documents)'),
      service_name: z.string().min(1).max(256).optional().describe('Only this service (service.name)'),
      start_time: z.string().min(1).max(64).optional().describe('Window start: date math, ISO 8601 or epoch ms. Default now-1h'),
      end_time: z.string().min(1).max(64).optional().describe('Window end. Default now; window ≤ 31 days'),
      top_n: z.number().int().min(1).max(20).default(5).describe('Slowest transactions and top errors per service (1-20)'),
    })
    .strict(),
  output: z.object({
    status: z.enum(['ok', 'degraded', 'empty']),
    summary: z.string(),
    window: z.object({ start: z.string(), end: z.string(), server_now: z.string() }),
    metrics: z.object({
      index_pattern: z.string(),
      services: z.number(),
      transactions: z.number(),
      throughput_per_min: z.number(),
      failed_transactions: z.number(),
      error_rate_pct: z.number(),
      error_docs: z.number(),
      bucket_interval: z.string(),
    }),
    findings: z.array(z.string()),
    services: z.array(serviceOut),
    truncated: z.boolean(),
    partial: z.boolean().optional(),
    recommendation: z.array(z.string()),
  }),
  targets: (input, config) => [target(INDEX_GUARD, input.index_pattern ?? defaultApmIndices(config))],
  cache: elkLogCache('now-1h'),
  async handler(input, ctx) {
    const es = searchEngine(ctx);
    const window = resolveWindow(input.start_time, input.end_time, { defaultStart: DEFAULT_WINDOW_START, maxDays: 31 });
    const from = window.from.getTime();
    const to = window.to.getTime();
    const minutes = Math.max(1 / 60, (to - from) / MINUTE_MS);
    const [interval] = histogramInterval(to - from, TIMELINE_BUCKETS, 10_000);
    // event.outcome exists since APM 7.10; older agents only say HTTP 5xx in transaction.result.
    const failed = {
      filter: {
        bool: {
          should: [{ term: { 'event.outcome': 'failure' } }, { bool: { must_not: { exists: { field: 'event.outcome' } }, filter: { term: { 'transaction.result': 'HTTP 5xx' } } } }],
          minimum_should_match: 1,
        },
      },
    };
    const p95 = { percentiles: { field: 'transaction.duration.us', percents: [95], keyed: false } };

    const res = await es.post<ApmResponse>(
      `/${SearchEngine.encodeIndices(ctx.guarded.get(INDEX_GUARD) ?? '')}/_search`,
      {
        size: 0,
        query: {
          bool: {
            filter: [
              { range: { '@timestamp': { gte: window.from.toISOString(), lte: window.to.toISOString(), format: 'strict_date_optional_time' } } },
              { terms: { 'processor.event': ['transaction', 'error'] } },
              ...(input.service_name ? [{ term: { 'service.name': input.service_name } }] : []),
            ],
          },
        },
        aggs: {
          services: {
            terms: { field: 'service.name', size: MAX_SERVICES },
            aggs: {
              tx: {
                filter: { term: { 'processor.event': 'transaction' } },
                aggs: {
                  failed,
                  latency: { percentiles: { field: 'transaction.duration.us', percents: [50, 95, 99], keyed: false } },
                  timeline: {
                    date_histogram: { field: '@timestamp', fixed_interval: interval, min_doc_count: 0, extended_bounds: { min: from, max: to } },
                    aggs: { p95, failed },
                  },
                  names: { terms: { field: 'transaction.name', size: NAME_CANDIDATES }, aggs: { p95, failed } },
                },
              },
              errors: {
                filter: { term: { 'processor.event': 'error' } },
                aggs: {
                  groups: {
                    terms: { field: 'error.grouping_key', size: input.top_n },
                    aggs: {
                      sample: {
                        top_hits: {
                          size: 1,
                          sort: [{ '@timestamp': { order: 'desc' } }],
                          _source: ['error.exception.message', 'error.exception.type', 'error.log.message', 'error.grouping_name', 'error.culprit', 'trace.id'],
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      ctx.signal,
      { expand_wildcards: 'open', ignore_unavailable: true, allow_partial_search_results: true },
    );

    const buckets = res.aggregations?.services?.buckets ?? [];
    const services: ServiceOut[] = buckets.map((b) => {
      const tx = b.tx;
      const transactions = tx?.doc_count ?? 0;
      const failedTx = tx?.failed?.doc_count ?? 0;
      const errorRate = pct(failedTx, transactions);
      const trend = trendOf(
        (tx?.timeline?.buckets ?? []).map((t) => ({ at: num(t.key), count: t.doc_count, p95: percentile(t.p95, 95), failed: t.failed?.doc_count ?? 0 })),
      );
      const slowest = (tx?.names?.buckets ?? [])
        .map((n) => ({ name: text(n.key, 200) ?? '', count: n.doc_count, p95_ms: percentile(n.p95, 95), error_rate_pct: pct(n.failed?.doc_count ?? 0, n.doc_count) }))
        .sort((x, y) => (y.p95_ms ?? -1) - (x.p95_ms ?? -1) || y.count - x.count)
        .slice(0, input.top_n);
      const topErrors = (b.errors?.groups?.buckets ?? []).map((g) => {
        const source = g.sample?.hits?.hits?.[0]?._source;
        const exc = exceptionOf(source);
        const traceId = text((source?.trace as Record<string, unknown> | undefined)?.id, 64);
        return { message: exc.message ?? `grouping key ${text(g.key, 64)}`, ...(exc.type ? { type: exc.type } : {}), count: g.doc_count, ...(traceId ? { sample_trace_id: traceId } : {}) };
      });
      // A high error rate counts only while it lasts: a spike that is over by the end of the window is reported as recovered.
      const failingNow = transactions >= 10 && errorRate >= 5 && (trend ? trend.recent_error_rate_pct >= 5 : true);
      const degraded = Boolean(trend?.latency_rising || trend?.errors_rising) || failingNow;
      return {
        service: text(b.key, 200) ?? '',
        status: degraded ? ('degraded' as const) : ('ok' as const),
        transactions,
        throughput_per_min: Math.round((transactions / minutes) * 10) / 10,
        failed_transactions: failedTx,
        error_rate_pct: errorRate,
        error_docs: b.errors?.doc_count ?? 0,
        latency_ms: { p50: percentile(tx?.latency, 50), p95: percentile(tx?.latency, 95), p99: percentile(tx?.latency, 99) },
        ...(trend ? { trend } : {}),
        slowest_transactions: slowest,
        top_errors: topErrors,
      };
    });
    // Degraded services first, the earliest rise first: the first to go bad is where a cascade usually starts.
    const since = (s: ServiceOut) => (s.trend?.rising_since ? Date.parse(s.trend.rising_since) : Number.POSITIVE_INFINITY);
    services.sort((a, b) => (a.status === b.status ? 0 : a.status === 'degraded' ? -1 : 1) || since(a) - since(b) || b.error_rate_pct - a.error_rate_pct || b.transactions - a.transactions);

    const totals = services.reduce((t, s) => ({ tx: t.tx + s.transactions, failed: t.failed + s.failed_transactions, errors: t.errors + s.error_docs }), { tx: 0, failed: 0, errors: 0 });
    const degraded = services.filter((s) => s.status === 'degraded');
    const findings = degraded.map((s) => {
      const parts = [`${s.service}: error rate ${s.error_rate_pct}%`, `p95 ${s.latency_ms.p95 ?? 'n/a'}ms`];
      if (s.trend?.latency_rising) parts.push(`latency rising (p95 ${s.trend.baseline_p95_ms}ms → ${s.trend.recent_p95_ms}ms)`);
      if (s.trend?.errors_rising) parts.push(`errors rising (${s.trend.baseline_error_rate_pct}% → ${s.trend.recent_error_rate_pct}%)`);
      if (s.trend?.rising_since) parts.push(`since ${s.trend.rising_since}`);
      if (s.top_errors[0]) parts.push(`top error "${s.top_errors[0].message}" ×${s.top_errors[0].count}`);
      return parts.join(', ');
    });
    for (const s of services) {
      if (s.status === 'ok' && s.transactions >= 10 && s.error_rate_pct >= 5 && s.trend) {
        findings.push(`${s.service}: ${s.error_rate_pct}% of transactions failed in the window but ${s.trend.recent_error_rate_pct}% recently: recovered.`);
      }
    }
    // An error that names another degraded service points downstream of it: say where to look first.
    for (const s of degraded) {
      const named = degraded.find((o) => o.service !== s.service && s.top_errors.some((e) => e.message.includes(o.service)));
      if (named) findings.push(`${s.service}'s top errors name ${named.service}, which is degraded too: look at ${named.service} first.`);
    }

    const recommendation: string[] = [];
    const first = degraded[0];
    if (first) {
      const trace = degraded.flatMap((s) => s.top_errors).find((e) => e.sample_trace_id)?.sample_trace_id;
      recommendation.push(
        `Search the logs of ${degraded.map((s) => s.service).join(', ')}${first.trend?.rising_since ? ` from ${first.trend.rising_since}` : ''} for the top errors (elk_detect_errors with service_name)${trace ? `, and follow trace ${trace} through their logs (a term query on trace.id)` : ''}.`,
      );
    }
    if (totals.failed > 0 && totals.errors === 0) {
      recommendation.push(`Failed transactions but no APM error documents: APM 8.x writes errors to ${APM_ERROR_DATA_STREAMS}; include it in index_pattern (and in ALLOWED_INDEX_PATTERNS).`);
    }
    const empty = totals.tx === 0 && totals.errors === 0;
    if (empty) {
      recommendation.push(
        `No APM transactions or errors in ${ctx.guarded.get(INDEX_GUARD)} for this window${input.service_name ? ` and service ${input.service_name}` : ''}: widen start_time, check service_name, or point index_pattern at the APM data (7.x apm-*, 8.x traces-apm*,logs-apm.error-*).`,
      );
    }
    const truncated = (res.aggregations?.services?.sum_other_doc_count ?? 0) > 0;
    const worst = degraded[0];
    const summary = empty
      ? `No APM data in the window (${ctx.guarded.get(INDEX_GUARD)}).`
      : `${services.length}${truncated ? '+' : ''} service(s), ${totals.tx} transactions (${Math.round((totals.tx / minutes) * 10) / 10}/min), error rate ${pct(totals.failed, totals.tx)}%, ${totals.errors} error docs; ` +
        (worst ? `${degraded.length} degraded, worst first: ${findings[0]}` : 'no service degraded');
    return {
      status: empty ? ('empty' as const) : degraded.length ? ('degraded' as const) : ('ok' as const),
      summary,
      window: describeWindow(window),
      metrics: {
        index_pattern: ctx.guarded.get(INDEX_GUARD) ?? '',
        services: services.length,
        transactions: totals.tx,
        throughput_per_min: Math.round((totals.tx / minutes) * 10) / 10,
        failed_transactions: totals.failed,
        error_rate_pct: pct(totals.failed, totals.tx),
        error_docs: totals.errors,
        bucket_interval: interval,
      },
      findings,
      services,
      truncated,
      ...(res.timed_out || num(res._shards?.failed) > 0 ? { partial: true } : {}),
      recommendation,
    };
  },
});

