import { TelemcpError } from '../../core/errors.js';
import { sanitizeText } from '../../security/sanitize.js';
import { capability, type Guard } from '../module.js';
import type { LokiApi } from './client.js';
import { countBuckets } from './counts.js';
import { DEFAULT_LOGQL_LIMITS, checkLogql, type LogqlLimits } from './logql-guard.js';
import { LABEL_NAME, windowParams } from './logql.js';

/**
 * The guard of loki_discover: what streams and labels a Loki tenant holds, bounded, checked
 * before any request. A selector, where one is given, must narrow as loki_query's must (series
 * and hits over a selector that matches every stream are refused), the window is injected and
 * capped, and every list is cut to `limit` with the full length reported.
 */

export type DiscoverWhat = 'labels' | 'values' | 'series' | 'hits';

export interface DiscoverRequest {
  what: DiscoverWhat;
  /** For `values`. */
  label?: string;
  /** A stream selector (or, for hits, a log query): required for series and hits, optional for values. */
  selector?: string;
  start?: number;
  end?: number;
  limit: number;
  /** For hits: the bucket width, ms; missing: the window over about 60 buckets. */
  stepMs?: number;
}

export interface ApprovedDiscover {
  what: DiscoverWhat;
  start: number;
  end: number;
  injected: string[];
  limit: number;
  label?: string;
  selector?: string;
  stepMs?: number;
  /** Names (labels, values) or label sets (series), the first `limit`, and how many there are. */
  list(signal: AbortSignal): Promise<{ items: (string | Record<string, string>)[]; total: number }>;
  /** For hits: exact lines per bucket, buckets from `start`. */
  hits(signal: AbortSignal): Promise<{ startMs: number; bucketMs: number; counts: number[] }>;
}

const MAX_HIT_BUCKETS = 1000;
const DEFAULT_HIT_BUCKETS = 60;
/** Characters of a value listed. */
const VALUE_CHARS = 256;

function invalid(message: string, hint: string): TelemcpError {
  return new TelemcpError('invalid_input', message, { hint });
}

export function normalizeDiscover(req: DiscoverRequest, limits: LogqlLimits = DEFAULT_LOGQL_LIMITS, now = Date.now()): Omit<ApprovedDiscover, 'list' | 'hits'> {
  const injected: string[] = [];
  const end = req.end ?? now;
  let start = req.start;
  if (start === undefined) {
    start = end - limits.defaultWindowMs;
    injected.push('window');
  }
  if (!(end > start)) throw invalid('end must be after start.', 'Swap them, or use start now-1h with end now.');
  if (end - start > limits.maxRangeMs) throw invalid(`The window spans more than ${limits.maxRangeMs / 3_600_000}h (Loki's max_query_length).`, 'Ask for a shorter window.');
  if (req.what === 'values' && (req.label === undefined || !LABEL_NAME.test(req.label))) throw invalid('values needs label, a Loki label name.', 'Pass label: "service_name"; list the names with what: "labels".');
  if ((req.what === 'series' || req.what === 'hits') && req.selector === undefined) throw invalid(`${req.what} needs selector, a stream selector such as {service_name="api"}.`, 'Pass selector; list the labels with what: "labels" first.');
  if (req.selector !== undefined) {
    const scanned = checkLogql(req.selector, limits);
    if (!scanned.log) throw invalid('selector must be a stream selector or log query, not a metric query.', 'Pass {service_name="api"}; hits counts it per bucket itself.');
    if (req.what !== 'hits' && !/^\s*\{[^{}]*\}\s*$/s.test(req.selector)) throw invalid(`${req.what} takes a stream selector alone, without pipeline stages.`, 'Pass {service_name="api"}.');
  }
  let stepMs = req.stepMs;
  if (req.what === 'hits') {
    if (stepMs === undefined) {
      stepMs = Math.max(1000, Math.ceil((end - start) / DEFAULT_HIT_BUCKETS / 1000) * 1000);
      injected.push('step');
    }
    if (!Number.isInteger(stepMs) || stepMs < 1) throw invalid('step must be a whole number of milliseconds ≥ 1.', 'Use a step such as 1m.');
    if (Math.ceil((end - start) / stepMs) > MAX_HIT_BUCKETS) throw invalid(`This step cuts the window into more than ${MAX_HIT_BUCKETS} buckets.`, `Use a step of at least ${Math.ceil((end - start) / MAX_HIT_BUCKETS / 1000)}s.`);
  }
  return { what: req.what, start, end, injected, limit: req.limit, ...(req.label !== undefined ? { label: req.label } : {}), ...(req.selector !== undefined ? { selector: req.selector.trim() } : {}), ...(stepMs !== undefined ? { stepMs } : {}) };
}

export function discoverGuard(api: LokiApi, opts: { limits?: Partial<LogqlLimits> } = {}): Guard<DiscoverRequest, ApprovedDiscover> {
  const limits = { ...DEFAULT_LOGQL_LIMITS, ...opts.limits };
  return (req) => {
    const n = normalizeDiscover(req, limits);
    const window = windowParams(n.start, n.end);
    const cut = <T>(items: T[]) => ({ items: items.slice(0, n.limit), total: items.length });
    return {
      ...n,
      async list(signal) {
        if (n.what === 'labels') return cut((await api.labels(window, signal)).sort().map((v) => sanitizeText(v, VALUE_CHARS).text));
        if (n.what === 'values') return cut((await api.labelValues(n.label!, { ...window, ...(n.selector ? { query: n.selector } : {}) }, signal)).sort().map((v) => sanitizeText(v, VALUE_CHARS).text));
        if (n.what === 'series') {
          const series = (await api.series([n.selector!], window, signal)).map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [sanitizeText(k, 64).text, sanitizeText(String(v), VALUE_CHARS).text])));
          return cut(series.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)));
        }
        throw invalid('hits is counted, not listed.', 'Read hits.');
      },
      async hits(signal) {
        const bucketMs = n.stepMs!;
        const buckets = Math.max(1, Math.ceil((n.end - n.start) / bucketMs));
        const counts = (await countBuckets(api, n.selector!, [], { start: n.start, bucketMs, n: buckets, from: n.start, toEx: n.end + 1 }, signal)).get('[]')?.counts ?? new Array<number>(buckets).fill(0);
        return { startMs: n.start, bucketMs, counts };
      },
    };
  };
}

/** What an instance provides: the discovery guard of loki_discover. */
export const LOKI_DISCOVER_GUARD = capability<Guard<DiscoverRequest, ApprovedDiscover>>('guard:loki-discover');
