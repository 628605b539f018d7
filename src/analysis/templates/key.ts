import { WILDCARD } from './mask.js';


/** Tokens that hold a masked value or a digit, or look like a path, group as one variable. */
const VALUE_TOKEN = /<\*>|\d|^[\w.-]*\/[\w.-]*\//;

/** `key=value`: the value is what varies; the key names the slot and stays in the key. */
const KEY_VALUE = /^([A-Za-z_][\w.-]*=)./;

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
    const g = kv ? `${kv[1]}${WILDCARD}` : !out.length ? t : VALUE_TOKEN.test(t) ? WILDCARD : t;
    // A repeated value shape is a list; lists vary in length, so a run counts once.
    if (g === WILDCARD && out.at(-1) === WILDCARD && t === previous) continue;
    out.push(g);
    previous = t;
  }
  return out;
}
