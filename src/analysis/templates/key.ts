import { WILDCARD } from './mask.js';

/** Tokens that hold a masked value or a digit, or look like a path, group as one variable. */
const VALUE_TOKEN = /<\*>|\d|^[\w.-]*\/[\w.-]*\//;

/** `key=value`: the value is what varies; the key names the slot and stays in the key. */
const KEY_VALUE = /^([A-Za-z_][\w.-]*=)./;

/**
 * A short word prefix and a value (`ord-<*>`, `blk_<*>`, `node-<*>`): the prefix names the kind
 * of id, so it stays, and an id of the same kind that happens to have no digit (`ord-dpwgncvf`)
 * can be recognised as one by the clusterer.
 */
export const PREFIXED_VALUE = /^([A-Za-z]{1,12}[-_#:])<\*>[,;:.)\]]*$/;

/**
 * The clustering key of a masked token sequence: tokens that carry a value become `<*>`, and a
 * run of the same masked token becomes one, so lists of any length (`blk_1 blk_2 …`) share a key.
 */
export function generalize(tokens: readonly string[]): string[] {
  const out: string[] = [];
  let previous = '';
  for (const t of tokens) {
    const kv = KEY_VALUE.exec(t);
    // The first token usually names the event, so it keeps its wording ("getTasks:<*>").
    const g = kv ? `${kv[1]}${WILDCARD}` : !out.length || PREFIXED_VALUE.test(t) ? t : VALUE_TOKEN.test(t) ? WILDCARD : t;
    // A repeated value shape is a list; lists vary in length, so a run counts once.
    if (g.includes(WILDCARD) && out.at(-1) === g && t === previous) continue;
    out.push(g);
    previous = t;
  }
  return out;
}
