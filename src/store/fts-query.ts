/**
 * The message-query syntax every log source accepts (`"phrase"`, `-not`, `a|b`, `prefix*`,
 * all words required) as FTS5 MATCH expressions. User text only ever appears inside FTS5
 * strings (`"…"`, inner quotes doubled), so `NEAR(`, `OR`, `^`, `:` or a stray `"` are words to
 * search for, never FTS5 syntax; the operators come from this module alone. Parentheses group
 * nothing here and are ignored. Length and wildcard limits are checkMessageQuery's, which the
 * log sources apply before a query gets here.
 */

export interface FtsQuery {
  /** What every matching message contains; absent when the query only excludes. */
  include?: string;
  /** What no matching message contains. */
  exclude?: string;
  /** No word of the query can match anything (only punctuation): nothing matches. */
  empty: boolean;
}

interface Word {
  text: string;
  prefix: boolean;
}

/** Words joined by `|`; a leading `-` negates the whole group. */
interface Group {
  words: Word[];
  negated: boolean;
}

/** The tokenizer (unicode61) keeps letters and digits only: a word without any yields no token, and an empty FTS5 phrase matches nothing. */
const SEARCHABLE = /[\p{L}\p{N}]/u;
const SEPARATOR = /[\s()]/;

export function toFtsQuery(query: string): FtsQuery {
  const include: string[] = [];
  const exclude: string[] = [];
  for (const group of parseGroups(query)) {
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

function ftsString(word: Word): string {
  return `"${word.text.replaceAll('"', '""')}"${word.prefix ? '*' : ''}`;
}

function parseGroups(query: string): Group[] {
  const groups: Group[] = [];
  let open: Group | undefined;
  let joined = false;
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    if (SEPARATOR.test(c)) {
      i++;
      continue;
    }
    if (c === '|') {
      joined = open !== undefined;
      i++;
      continue;
    }
    let negated = false;
    for (; query[i] === '-' || query[i] === '+'; i++) if (query[i] === '-') negated = true;
    const read = query[i] === '"' ? readPhrase(query, i + 1) : readWord(query, i);
    i = read.end;
    if (read.word.text === '') continue;
    if (joined && open) open.words.push(read.word);
    else groups.push((open = { words: [read.word], negated }));
    joined = false;
  }
  return groups;
}

/** Up to the closing quote (or the end); `\` escapes the next character; `*` right after the quote makes the last word a prefix. */
function readPhrase(query: string, start: number): { word: Word; end: number } {
  let text = '';
  let i = start;
  while (i < query.length && query[i] !== '"') {
    if (query[i] === '\\' && i + 1 < query.length) i++;
    text += query[i++];
  }
  i++;
  const prefix = query[i] === '*';
  return { word: { text, prefix }, end: prefix ? i + 1 : i };
}

/** Up to whitespace, `|` or a parenthesis; `\` escapes the next character; an unescaped trailing `*` makes it a prefix. */
function readWord(query: string, start: number): { word: Word; end: number } {
  let text = '';
  let prefix = false;
  let i = start;
  while (i < query.length && !SEPARATOR.test(query[i]) && query[i] !== '|') {
    if (query[i] === '\\' && i + 1 < query.length) {
      text += query[i + 1];
      i += 2;
      continue;
    }
    if (query[i] === '*' && (i + 1 === query.length || SEPARATOR.test(query[i + 1]) || query[i + 1] === '|')) prefix = true;
    else text += query[i];
    i++;
  }
  return { word: { text, prefix }, end: i };
}
