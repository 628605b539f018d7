import { TelemcpError } from '../core/errors.js';
import { MAX_DATASET_CHARS } from '../ingest/bounds.js';
import { globMatches } from '../security/glob.js';

/**
 * A scope on the embedded store names datasets the way an index pattern names indices:
 * comma-separated names with `*` matching any run of characters (`logs-*`, `app,web-*`).
 * Patterns are matched here (with the index guard's glob matcher), against the short list of
 * datasets the store holds, so no user text ever becomes SQL: the query gets the matching
 * names as a bound JSON array.
 */

const MAX_ITEMS = 64;
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface Scope {
  /** Canonical form: items trimmed, duplicates dropped, joined by commas. */
  text: string;
  /** A `*` item: every dataset, the ones written later included. */
  all: boolean;
  matches(dataset: string): boolean;
}

export function parseScope(scope: string): Scope {
  const items = [...new Set(scope.split(',').map((s) => s.trim()))];
  if (items.length > MAX_ITEMS) throw invalid(`scope lists ${items.length} patterns; at most ${MAX_ITEMS} are allowed.`);
  for (const item of items) {
    if (item === '' || item.length > MAX_DATASET_CHARS || CONTROL.test(item)) {
      throw invalid(`scope ${JSON.stringify(scope.slice(0, 80))} holds an empty pattern, one longer than ${MAX_DATASET_CHARS} characters, or a control character.`);
    }
  }
  return { text: items.join(','), all: items.includes('*'), matches: (dataset) => items.some((p) => globMatches(p, dataset)) };
}

function invalid(message: string): TelemcpError {
  return new TelemcpError('invalid_input', message, { hint: 'Pass scope as dataset names or patterns separated by commas, such as logs-* or app,web-*; * is every dataset.' });
}
