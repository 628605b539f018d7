/**
 * The message-query syntax every log source accepts, read into groups of words: `"phrase"` (a
 * `\` escapes the next character), `-word` excludes, `a|b` is either, a trailing `*` makes a
 * word a prefix, all groups are required, parentheses group nothing. Each source turns the groups
 * into its own query language (FTS5 for the embedded store, LogsQL for VictoriaLogs) with every
 * word inside its own string literal, so no word is ever syntax there.
 */

export interface MessageWord {
  text: string;
  prefix: boolean;
}

/** Words joined by `|`; a leading `-` negates the whole group. */
export interface MessageGroup {
  words: MessageWord[];
  negated: boolean;
}

/** A word without a letter or digit yields no token in a full-text index: sources drop it. */
export const SEARCHABLE = /[\p{L}\p{N}]/u;
const SEPARATOR = /[\s()]/;

export function parseMessageQuery(query: string): MessageGroup[] {
  const groups: MessageGroup[] = [];
  let open: MessageGroup | undefined;
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
function readPhrase(query: string, start: number): { word: MessageWord; end: number } {
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
function readWord(query: string, start: number): { word: MessageWord; end: number } {
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
