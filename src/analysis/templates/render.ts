import { WILDCARD } from './mask.js';

/**
 * The text shown for a cluster. When every member has the same number of tokens, each
 * position is rendered from the masked tokens: kept when they agree, otherwise reduced to
 * what they share at their ends (`uid=<*>,`). Otherwise the generalised key is shown.
 *
 * Members are read once, in order, keeping per position only the first token, whether all
 * agree and the common prefix and suffix: O(tokens of the members) time, O(length) memory, so a
 * cluster of thousands of shapes is never held as arrays of tokens all at once.
 */
export function renderTemplate(key: readonly string[], members: Iterable<readonly string[]>): string {
  let first: readonly string[] | undefined;
  let same: boolean[] = [];
  let prefix: string[] = [];
  let suffix: string[] = [];
  for (const m of members) {
    if (!first) {
      first = m;
      same = m.map(() => true);
      prefix = [...m];
      suffix = [...m];
      continue;
    }
    if (m.length !== first.length) return key.join(' ');
    for (let p = 0; p < m.length; p++) {
      if (m[p] === first[p]) continue;
      same[p] = false;
      prefix[p] = commonPrefix(prefix[p], m[p]);
      suffix[p] = commonSuffix(suffix[p], m[p]);
    }
  }
  if (!first) return key.join(' ');
  const out = first.map((token, p) => displayToken(same[p] ? token : frame(prefix[p], suffix[p])));
  return out.join(' ').replace(/(?:<\*>){2,}/g, WILDCARD);
}

/** Brackets, quotes and sentence punctuation around a value belong to the wording around it. */
const FRAME = /^([(\[{"']*)(.*?)([)\]}"',;:.!?]*)$/s;
const KEY_PREFIX = /^([A-Za-z][\w.-]*[=:])(.+)$/s;

/**
 * A token that holds a value is shown as the whole variable it is part of: `blk_<*>`,
 * `job_<*>_<*>`, `/data/<*>/part-<*>` and `host-<*>.example.com` are one `<*>`, while framing
 * punctuation, a `key=` and separators between values stay (`(uid=<*>)`, `<*>:<*>`, `node-<*>`).
 */
function displayToken(token: string): string {
  if (!token.includes(WILDCARD) || token === WILDCARD) return token;
  const [, open, inner, close] = FRAME.exec(token)!;
  const kv = KEY_PREFIX.exec(inner);
  const key = kv ? kv[1] : '';
  const value = kv ? kv[2] : inner;
  if (!value.includes(WILDCARD)) return token;
  const glued = /[\w]<\*>|<\*>[\w]/.test(value) || /^[/\\]/.test(value) || (value.match(/\./g)?.length ?? 0) >= 2;
  return glued ? `${open}${key}${WILDCARD}${close}` : token;
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

function commonSuffix(a: string, b: string): string {
  let j = 0;
  while (j < a.length && j < b.length && a[a.length - 1 - j] === b[b.length - 1 - j]) j++;
  return a.slice(a.length - j);
}

/** What differing tokens share at their ends, cut back to punctuation, with `<*>` between. */
function frame(prefix: string, suffix: string): string {
  return `${prefix.replace(/[\w<*>]*$/, '')}${WILDCARD}${suffix.replace(/^[\w<*>]*/, '')}`;
}
