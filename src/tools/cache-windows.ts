import { DEFAULT_WINDOW_START, parseTime } from '../core/time.js';
import { SEARCH_ENGINE } from '../backends/elasticsearch/module.js';
import type { Capability } from '../backends/module.js';
import { cacheByWindow, type CacheEnv, type CachePolicy, type CacheWindow } from './query-cache.js';
import { resolveLogSource } from './logs/sources.js';
import { metricApi } from './metrics/common.js';

/**
 * The query-cache opt-ins of the windowed tools (tools/query-cache.ts), one per family of
 * arguments: each resolves the window and the source the way its tools do, so the key names what
 * the handler will read. The embedded store is never cached: its data change with every ingest
 * (old timestamps included), and it is local, so there is little to save.
 */

const HOUR_MS = 3_600_000;
/**
 * Search pages carry a next_cursor whose Elasticsearch point in time lives a minute after its
 * last use: a page kept longer would hand out a cursor that has expired.
 */
export const SEARCH_PAGE_TTL_MS = 30_000;
/**
 * A page after the first is asked once (an agent pages on, it does not ask a page again), and the
 * cursor that names it already fixes its window: nothing to save, so it is not kept.
 */
const isNextPage = (input: { cursor?: string }) => input.cursor !== undefined;
/** Date math is relative to now; ISO 8601 and epoch times are not. */
const isRelative = (expr: string) => expr.trim().startsWith('now');

/** A window whose ends are each an expression or missing (then `defaultStart`/now, both relative). */
function windowOf(start: string | undefined, end: string | undefined, defaultStart: string, env: CacheEnv, source: string): CacheWindow {
  const from = start ?? defaultStart;
  const to = end ?? 'now';
  return {
    from: parseTime(from, env.now, false).getTime(),
    to: parseTime(to, env.now, true).getTime(),
    fromRelative: isRelative(from),
    toRelative: isRelative(to),
    source,
  };
}

type LogWindowInput = { source?: string; start_time?: string; end_time?: string; cursor?: string };

/** logs_* and incident_summary: `source` (the only one by default), start_time/end_time. */
export function logToolCache(opts: { maxTtlMs?: number } = {}): CachePolicy<LogWindowInput> {
  return cacheByWindow(
    ['start_time', 'end_time'],
    (input, env) => {
      if (isNextPage(input)) return undefined;
      const source = resolveLogSource(env, input.source);
      return source.kind === 'embedded' ? undefined : windowOf(input.start_time, input.end_time, DEFAULT_WINDOW_START, env, source.name);
    },
    opts,
  );
}

/** elk_* log tools: the Elasticsearch/OpenSearch cluster, or the embedded store without one (never cached). */
export function elkLogCache(defaultStart: string, opts: { maxTtlMs?: number } = {}): CachePolicy<{ start_time?: string; end_time?: string; cursor?: string }> {
  return cacheByWindow(
    ['start_time', 'end_time'],
    (input, env) => {
      if (isNextPage(input)) return undefined;
      const engine = env.backends.first(SEARCH_ENGINE);
      return engine ? windowOf(input.start_time, input.end_time, defaultStart, env, engine.kind) : undefined;
    },
    opts,
  );
}

/**
 * The native query tools (vlogs_query, vlogs_discover, loki_query, loki_discover): start defaults
 * to an hour before end (as their guards inject it); `source` is the first instance providing the
 * tool's guard by default.
 */
export function nativeQueryCache(guard: Capability<unknown>): CachePolicy<{ start?: string; end?: string; source?: string }> {
  return cacheByWindow(['start', 'end'], (input, env) => {
    const source = input.source ?? env.backends.all(guard).keys().next().value;
    if (source === undefined) return undefined;
    const to = input.end ?? 'now';
    const toMs = parseTime(to, env.now, true).getTime();
    const fromMs = input.start === undefined ? toMs - HOUR_MS : parseTime(input.start, env.now, false).getTime();
    return { from: fromMs, to: toMs, fromRelative: input.start === undefined ? isRelative(to) : isRelative(input.start), toRelative: isRelative(to), source };
  });
}

type MetricWindowInput = { start?: string; end?: string; source?: string };

/** Prometheus tools over a window (start default now-1h). */
export const metricWindowCache: CachePolicy<MetricWindowInput> = cacheByWindow(['start', 'end'], (input, env) =>
  windowOf(input.start, input.end, 'now-1h', env, metricApi(env, input.source).name),
);

/** promql_query: range queries only; an instant query answers "now" (or one instant) and is not kept. */
export const promqlRangeCache: CachePolicy<MetricWindowInput & { time?: string }> = cacheByWindow(['start', 'end'], (input, env) =>
  input.start === undefined || input.time !== undefined ? undefined : windowOf(input.start, input.end, input.start, env, metricApi(env, input.source).name),
);
