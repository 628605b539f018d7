import { TelemcpError } from '../../core/errors.js';
import type { LogSource } from '../../backends/capabilities.js';
import type { SearchEngine } from '../../backends/elasticsearch/search-engine.js';
import type { Config } from '../../config/load.js';
import type { ToolContext, ToolTargets } from '../tool.js';

export function searchEngine(ctx: ToolContext): SearchEngine {
  const engine = ctx.backends.search;
  if (!engine) throw new TelemcpError('backend_unavailable', 'No Elasticsearch/OpenSearch is configured.', { hint: 'Set ES_URL or OPENSEARCH_URL.' });
  return engine;
}

/**
 * The log source elk's log tools (elk_search_logs, elk_detect_errors) read when no
 * Elasticsearch/OpenSearch is configured: the embedded store, with index_pattern read as a
 * pattern over its datasets. Undefined when a cluster is configured (it always wins).
 */
export function storeLogSource(ctx: Pick<ToolContext, 'backends'>): LogSource | undefined {
  return ctx.backends.search ? undefined : ctx.backends.logSources.get('embedded');
}

/** The embedded store's columns, by the names elk's log tools report in fields_used and accept in `fields`. */
export const STORE_LOG_FIELDS = { timestamp: 'timestamp', service: 'service', level: 'level', message: 'message', trace_id: 'trace_id' } as const;

/**
 * What elk's log tools ask the pipeline's index guard to check: their index_pattern when a cluster
 * answers them. On the embedded store (no cluster) it is a dataset pattern, which the store
 * checks itself, so there is no index expression to guard.
 */
export function logToolTargets(indexPattern: string | undefined, config: Config): ToolTargets {
  return config.ES_URL || config.OPENSEARCH_URL ? { indices: indexPattern ?? config.LOG_INDEX_PATTERN } : {};
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  const units = ['b', 'kb', 'mb', 'gb', 'tb', 'pb'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)}${units[unit]}`;
}

export function num(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}

export function pct(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0;
}

/** Offset cursors are opaque to the caller so their format can change without breaking clients. */
export function encodeOffsetCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodeOffsetCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.o <= 100_000) return parsed.o;
  } catch {
    // fall through to the error below
  }
  throw new TelemcpError('invalid_input', 'cursor is not a cursor this tool returned.', { hint: 'Pass next_cursor from the previous result unchanged, or omit it to start over.' });
}

/** Severity for a health colour, worst first when sorted. */
export const HEALTH_RANK: Record<string, number> = { red: 0, yellow: 1, green: 2 };
