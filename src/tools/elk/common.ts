import { TelemcpError } from '../../core/errors.js';
import type { LogFieldRoles, LogSource } from '../../backends/capabilities.js';
import type { SearchEngine } from '../../backends/elasticsearch/search-engine.js';
import { INDEX_GUARD, SEARCH_ENGINE } from '../../backends/elasticsearch/module.js';
import type { Config } from '../../config/load.js';
import { target, type ToolContext, type ToolTarget } from '../tool.js';

export function searchEngine(ctx: ToolContext): SearchEngine {
  const engine = ctx.backends.first(SEARCH_ENGINE);
  if (!engine) throw new TelemcpError('backend_unavailable', 'No Elasticsearch/OpenSearch is configured.', { hint: 'Set ES_URL or OPENSEARCH_URL.' });
  return engine;
}

/**
 * The log source elk's log tools (elk_search_logs, elk_detect_errors) read, and the scope they
 * ask it for. A configured cluster always wins: its source, with the index pattern the pipeline
 * guarded as the scope. Without one, the embedded store, with index_pattern read as a pattern
 * over its datasets (the store checks it itself).
 */
export function elkLogSource(ctx: Pick<ToolContext, 'backends' | 'guarded'>, indexPattern: string | undefined): { source: LogSource; scope: string | undefined } {
  const search = ctx.backends.first(SEARCH_ENGINE);
  const logSources = ctx.backends.logSources;
  const source = search ? [...logSources.values()].find((s) => s.kind === search.kind) : logSources.get('embedded');
  if (!source) throw new TelemcpError('backend_unavailable', 'No Elasticsearch/OpenSearch is configured, and the embedded store is off.', { hint: 'Set ES_URL or OPENSEARCH_URL, or EMBEDDED_STORE=on.' });
  return { source, scope: search ? ctx.guarded.get(INDEX_GUARD) : indexPattern };
}

/** The roles elk's log tools report in fields_used, in seed 000's order. */
const FIELDS_USED_ROLES = ['timestamp', 'service', 'level', 'message', 'trace_id'] as const;

/**
 * fields_used: which field played which role, as the source said. `withExact` also names a
 * role's exact-value field when filters used another (`message (message.keyword)`).
 */
export function fieldsUsed(roles: LogFieldRoles | undefined, withExact: boolean): Record<string, string> {
  return Object.fromEntries(
    FIELDS_USED_ROLES.flatMap((role) => {
      const f = roles?.[role];
      return f ? [[role, withExact && f.exact ? `${f.name} (${f.exact})` : f.name]] : [];
    }),
  );
}

/**
 * What elk's log tools ask the cluster's index guard to check: their index_pattern when a cluster
 * answers them. On the embedded store (no cluster) it is a dataset pattern, which the store
 * checks itself, so there is no index expression to guard.
 */
export function logToolTargets(indexPattern: string | undefined, config: Config): ToolTarget[] {
  return [target(INDEX_GUARD, indexPattern ?? config.LOG_INDEX_PATTERN, { ifProvided: true })];
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
