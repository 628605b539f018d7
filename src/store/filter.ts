import { canonicalLevel } from '../core/log-levels.js';
import { toFtsQuery } from './fts-query.js';
import { parseScope } from './scope.js';

/** Which records, in the store's terms: what a LogQuery becomes once its window is epoch milliseconds. */
export interface StoreQuery {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, inclusive. */
  to: number;
  /** Dataset pattern: comma-separated names with `*` (default `*`, every dataset). */
  scope?: string;
  services?: string[];
  /** Any spelling: `WARNING` finds `warn`, as records are stored with their canonical level. */
  levels?: string[];
  traceIds?: string[];
  /** Message words in the log sources' syntax (see fts-query.ts), already checked by checkMessageQuery. */
  text?: string;
}

/**
 * A query turned into SQL conditions besides the time window, which every statement states
 * itself (a spread sample narrows it per slice, a page per cursor). Values only travel as
 * bound parameters; lists as one JSON array each, which keeps a thousand trace ids within
 * SQLite's parameter limit.
 *
 * The conditions come apart by what can answer them: `labels` name only columns that the
 * records and their per-slot counts (logs_rollup) share, so a filter with nothing else is
 * counted from the counts; message words and trace ids are looked up in the FTS index, whose
 * two columns are the message and the trace id.
 */
export interface Filter {
  from: number;
  to: number;
  /** The scope in canonical form. */
  scope: string;
  notes: string[];
  /** Nothing can match: the scope names no dataset, or the text holds no searchable word. */
  none: boolean;
  /** `AND …` conditions on dataset, service and level, or ''. */
  labels: string;
  labelParams: unknown[];
  /** `AND …` condition on trace_id, or '': exact, where the FTS index only finds candidates. */
  traces: string;
  traceParams: unknown[];
  /** FTS5 expression (trace_id column) finding the trace ids; absent when one of them holds no letter or digit to index. */
  traceMatch?: string;
  /** FTS5 expression (message column) every matching message matches. */
  include?: string;
  /** FTS5 expression (message column) no matching message matches. */
  exclude?: string;
}

const MAX_INLINE = 16;

/**
 * `column IN (…)` with its parameters: a short list inline, a long one as one JSON array (a
 * statement per list length, so only up to a bound). Inline, SQLite compares against the
 * values directly instead of building the list as a table each time the statement runs, which
 * the many small statements of a spread sample do (bench/embedded: -25% on them).
 */
export function inList(column: string, values: readonly string[]): { sql: string; params: unknown[] } {
  if (values.length <= MAX_INLINE) return { sql: `${column} IN (${values.map(() => '?').join(', ')})`, params: [...values] };
  return { sql: `${column} IN (SELECT value FROM json_each(?))`, params: [JSON.stringify(values)] };
}
/** What the tokenizer indexes: a value without any of these has no token to look up. */
const SEARCHABLE = /[\p{L}\p{N}]/u;
const phrase = (value: string) => `"${value.replaceAll('"', '""')}"`;

export function buildFilter(query: StoreQuery, datasetNames: () => string[]): Filter {
  const scope = parseScope(query.scope ?? '*');
  const f: Filter = { from: query.from, to: query.to, scope: scope.text, notes: [], none: false, labels: '', labelParams: [], traces: '', traceParams: [] };
  const label = (column: string, values: readonly string[]) => {
    const list = inList(column, values);
    f.labels += ` AND ${list.sql}`;
    f.labelParams.push(...list.params);
  };
  if (!scope.all) {
    const names = datasetNames().filter(scope.matches);
    if (names.length === 0) {
      f.none = true;
      f.notes.push(`${scope.text} matches no dataset.`);
    }
    label('dataset', names);
  }
  if (query.services) label('service', query.services);
  if (query.levels) label('level', [...new Set(query.levels.map(canonicalLevel))]);
  if (query.traceIds) {
    const list = inList('logs.trace_id', query.traceIds);
    f.traces = ` AND ${list.sql}`;
    f.traceParams.push(...list.params);
    if (query.traceIds.every((id) => SEARCHABLE.test(id))) f.traceMatch = `trace_id : (${query.traceIds.map(phrase).join(' OR ')})`;
  }
  if (query.text !== undefined) {
    const fts = toFtsQuery(query.text);
    if (fts.empty) {
      f.none = true;
      f.notes.push(`The message query ${JSON.stringify(query.text.slice(0, 80))} holds no word to search for.`);
    }
    if (fts.include) f.include = `message : (${fts.include})`;
    if (fts.exclude) f.exclude = `message : (${fts.exclude})`;
  }
  return f;
}
