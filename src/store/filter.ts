import { canonicalLevel } from '../backends/log-levels.js';
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
 */
export interface Filter {
  from: number;
  to: number;
  /** The scope in canonical form. */
  scope: string;
  notes: string[];
  /** Nothing can match: the scope names no dataset, or the text holds no searchable word. */
  none: boolean;
  /** `AND …` conditions, or ''. */
  conditions: string;
  params: unknown[];
}

const inList = (column: string) => `${column} IN (SELECT value FROM json_each(?))`;

export function buildFilter(query: StoreQuery, datasetNames: () => string[]): Filter {
  const scope = parseScope(query.scope ?? '*');
  const f: Filter = { from: query.from, to: query.to, scope: scope.text, notes: [], none: false, conditions: '', params: [] };
  const add = (condition: string, ...params: unknown[]) => {
    f.conditions += ` AND ${condition}`;
    f.params.push(...params);
  };
  if (!scope.all) {
    const names = datasetNames().filter(scope.matches);
    if (names.length === 0) {
      f.none = true;
      f.notes.push(`${scope.text} matches no dataset.`);
    }
    add(inList('dataset'), JSON.stringify(names));
  }
  if (query.services) add(inList('service'), JSON.stringify(query.services));
  if (query.levels) add(inList('level'), JSON.stringify([...new Set(query.levels.map(canonicalLevel))]));
  if (query.traceIds) add(inList('trace_id'), JSON.stringify(query.traceIds));
  if (query.text !== undefined) {
    const fts = toFtsQuery(query.text);
    if (fts.empty) {
      f.none = true;
      f.notes.push(`The message query ${JSON.stringify(query.text.slice(0, 80))} holds no word to search for.`);
    }
    if (fts.include) add('id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?)', fts.include);
    if (fts.exclude) add('id NOT IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?)', fts.exclude);
  }
  return f;
}
