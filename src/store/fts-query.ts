/**
 * The message-query syntax every log source accepts (`"phrase"`, `-not`, `a|b`, `prefix*`,
 * all words required) as FTS5 MATCH expressions. User text only ever appears inside FTS5
 * strings (`"…"`, inner quotes doubled), so `NEAR(`, `OR`, `^`, `:` or a stray `"` are words to
 * search for, never FTS5 syntax; the operators come from this module alone. Parentheses group
 * nothing here and are ignored. Length and wildcard limits are checkMessageQuery's, which the
 * log sources apply before a query gets here.
 */

import { SEARCHABLE, parseMessageQuery, type MessageWord } from '../core/message-query.js';

export interface FtsQuery {
  /** What every matching message contains; absent when the query only excludes. */
  include?: string;
  /** What no matching message contains. */
  exclude?: string;
  /** No word of the query can match anything (only punctuation): nothing matches. */
  empty: boolean;
}


export function toFtsQuery(query: string): FtsQuery {
  const include: string[] = [];
  const exclude: string[] = [];
  for (const group of parseMessageQuery(query)) {
    const parts = group.words.filter((w) => SEARCHABLE.test(w.text)).map(ftsString);
    // Like Elasticsearch, a word that analyses to nothing is dropped rather than matching nothing.
    if (parts.length === 0) continue;
    (group.negated ? exclude : include).push(parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`);
  }
  return {
    ...(include.length ? { include: include.join(' AND ') } : {}),
    ...(exclude.length ? { exclude: exclude.join(' OR ') } : {}),
    empty: include.length === 0 && exclude.length === 0,
  };
}

function ftsString(word: MessageWord): string {
  return `"${word.text.replaceAll('"', '""')}"${word.prefix ? '*' : ''}`;
}

