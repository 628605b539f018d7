import { WILDCARD } from './mask.js';

/**
 * The text shown for a cluster. When every member has the same number of tokens, each
 * position is rendered from the masked tokens: kept when they agree, otherwise reduced to
 * what they share at their ends (`uid=<*>,`). Otherwise the generalised key is shown.
 */
export function renderTemplate(key: readonly string[], members: readonly string[][]): string {
  const n = members[0].length;
  if (!members.every((m) => m.length === n)) return key.join(' ');
  const out: string[] = [];
  for (let p = 0; p < n; p++) {
    const first = members[0][p];
    out.push(displayToken(members.every((m) => m[p] === first) ? first : commonFrame(members.map((m) => m[p]))));
  }
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

/** Common prefix and suffix of differing tokens, cut back to punctuation, with `<*>` between. */
function commonFrame(values: string[]): string {
  let pre = values[0];
  let suf = values[0];
  for (const v of values) {
    let i = 0;
    while (i < pre.length && i < v.length && pre[i] === v[i]) i++;
    pre = pre.slice(0, i);
    let j = 0;
    while (j < suf.length && j < v.length && suf[suf.length - 1 - j] === v[v.length - 1 - j]) j++;
    suf = suf.slice(suf.length - j);
  }
  pre = pre.replace(/[\w<*>]*$/, '');
  suf = suf.replace(/^[\w<*>]*/, '');
  return `${pre}${WILDCARD}${suf}`;
}
