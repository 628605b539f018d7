import { WILDCARD } from './mask.js';
import { PREFIXED_VALUE } from './key.js';

/** A distinct generalised token sequence and how many lines had it. */
export interface Shape {
  tokens: string[];
  count: number;
}
export interface Cluster {
  members: number[];
  template: string[];
}

/** Words that vary between otherwise identical messages but carry identifier punctuation are values, not wording. */
const IDENTIFIER_LIKE = /<\*>|[./\\_@:#~$]/;
/** A generalised `key=<*>`: two different keys are two different slots, i.e. different wording. */
const KEY_SLOT = /^([A-Za-z_][\w.-]*)=<\*>$/;

function isVariableColumn(values: Set<string>, position: number): boolean {
  if (position === 0) return firstTokensAgree(values);
  const kinds = new Set<string>();
  for (const v of values) {
    const prefix = PREFIXED_VALUE.exec(v)?.[1];
    if (prefix) kinds.add(prefix);
  }
  let words = 0;
  for (const v of values) {
    // Sentence punctuation at the ends ("initialization.") says nothing; inside a word it does.
    // An empty value ("()" against "(host)") is a value that was missing.
    const core = (KEY_SLOT.exec(v)?.[1] ?? v).replace(/^\W+|\W+$/g, '');
    if (!core) continue;
    // An id of a kind another value shows with a masked value (`ord-dpwgncvf` beside `ord-<*>`).
    const kind = idKindOf(v);
    const sameKindOfId = kind !== undefined && v.length > kind.length && kinds.has(kind);
    if (KEY_SLOT.test(v) || (!IDENTIFIER_LIKE.test(core) && !sameKindOfId)) words++;
  }
  if (words === 0) return true;
  return words >= 4;
}

/**
 * The id kind a word would have (`ord-` of `ord-dpwgncvf`): its leading letters and the separator
 * after them, as PREFIXED_VALUE names kinds. A word has at most one, so a kind is looked up,
 * never searched for among all the kinds of a column.
 */
function idKindOf(word: string): string | undefined {
  const m = ID_KIND.exec(word);
  return m ? m[0] : undefined;
}
const ID_KIND = /^[A-Za-z]{1,12}[-_#:]/;

/**
 * The first token usually names the event ("getTasks:", "DefaultState"), so it only varies as a
 * value when every variant carries a masked value and they share their leading word
 * (`task_<*>_m` / `task_<*>_r`), or start with one.
 */
function firstTokensAgree(values: Set<string>): boolean {
  let lead: string | undefined;
  for (const v of values) {
    if (!v.includes(WILDCARD)) return false;
    if (v.startsWith(WILDCARD)) continue;
    const word = /^[A-Za-z]+/.exec(v)?.[0] ?? '';
    if (word.length < 2 || (lead !== undefined && word !== lead)) return false;
    lead = word;
  }
  return true;
}

/** What a merged position shows: a shared id prefix survives (`ord-<*>`), so later merges still see the kind of id. */
function mergedToken(values: Set<string>): string {
  const shapes = [...values].map((v) => PREFIXED_VALUE.exec(v)).filter((m) => m !== null);
  if (!shapes.length) return WILDCARD;
  const shape = shapes[0][0];
  const prefix = shapes[0][1];
  return [...values].every((v) => v.startsWith(prefix)) && shapes.every((m) => m[0] === shape) ? shape : WILDCARD;
}

/**
 * An id of a known kind that happens to have no digit (`ord-dpwgncvf:` where others read
 * `ord-<*>:`) takes that kind's shape before clustering, so it can never keep a line apart
 * however many other positions also hold such ids.
 */
function adoptIdShapes(template: string[][], len: number): void {
  for (let p = 1; p < len; p++) {
    const kinds = new Map<string, string>();
    for (const t of template) {
      const m = PREFIXED_VALUE.exec(t[p]);
      if (m) kinds.set(m[1], m[0]);
    }
    if (!kinds.size) continue;
    for (const t of template) {
      const word = t[p];
      if (word.includes(WILDCARD)) continue;
      const kind = idKindOf(word);
      const shape = kind === undefined ? undefined : kinds.get(kind);
      if (kind === undefined || shape === undefined) continue;
      const tail = shape.slice(kind.length + WILDCARD.length);
      if (word.endsWith(tail) && /^[A-Za-z0-9]+$/.test(word.slice(kind.length, word.length - tail.length))) t[p] = shape;
    }
  }
}

/**
 * Small dense ids for pairs (any id, an id below `base`). A token sequence gets its id from its
 * first token and the id of the rest, so sequences are compared by one number, not by their text.
 */
class PairIds {
  private readonly ids = new Map<number, number>();
  constructor(private readonly base: number) {}

  id(high: number, low: number): number {
    const key = high * this.base + low;
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = this.ids.size));
    return id;
  }
}

/**
 * Passes over the positions, at most. A pass merges what the previous one made possible at
 * earlier positions (a merge at position 5 can make two clusters differ only at position 2).
 * Each of the Loghub-2k systems settles in one pass (a second finds nothing to merge), so this
 * only caps inputs built to cascade.
 */
const MAX_PASSES = 4;

/**
 * Groups shapes of one length: shapes that differ in a single position merge when that
 * position looks like a variable (a masked value, identifiers, or many distinct words). Merged
 * clusters take `<*>` there, so merges cascade across positions until nothing changes.
 *
 * Work: per pass, every cluster is keyed once per position by two ids, that of the tokens
 * before the position and that of the tokens after it (PairIds), so a pass costs
 * O(shapes × length) map operations rather than O(shapes × length²) characters of text; with
 * MAX_PASSES, one call is O(shapes × length) whatever the input. `work.steps` counts them.
 */
export function clusterBucket(shapes: readonly Shape[], work: { steps: number } = { steps: 0 }): Cluster[] {
  const parent = shapes.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const template = shapes.map((s) => [...s.tokens]);
  const len = shapes[0]?.tokens.length ?? 0;
  adoptIdShapes(template, len);
  // Tokens as numbers, interned once: the passes compare numbers only.
  const tokenIds = new Map<string, number>();
  const tokenId = (token: string): number => {
    let id = tokenIds.get(token);
    if (id === undefined) tokenIds.set(token, (id = tokenIds.size));
    return id;
  };
  const ids = new Int32Array(shapes.length * len);
  template.forEach((t, i) => t.forEach((token, p) => (ids[i * len + p] = tokenId(token))));
  for (let pass = 0, changed = true; changed && pass < MAX_PASSES; pass++) {
    changed = false;
    const roots = parent.flatMap((p, i) => (p === i ? [i] : []));
    const live = roots.length;
    // after[k * (len + 1) + p]: the id of root k's tokens from position p on (the empty tail is 0).
    const after = new Int32Array(live * (len + 1));
    for (let p = len - 1; p >= 0; p--) {
      const pairs = new PairIds(live);
      for (let k = 0; k < live; k++) after[k * (len + 1) + p] = pairs.id(ids[roots[k] * len + p], after[k * (len + 1) + p + 1]);
    }
    // before[k]: the id of root k's tokens before the current position, as merges left them.
    const before = new Int32Array(live);
    for (let p = 0; p < len; p++) {
      const byRest = new Map<number, number[]>();
      for (let k = 0; k < live; k++) {
        if (parent[roots[k]] !== roots[k]) continue;
        const rest = before[k] * live + after[k * (len + 1) + p + 1];
        const list = byRest.get(rest);
        if (list) list.push(roots[k]);
        else byRest.set(rest, [roots[k]]);
      }
      for (const group of byRest.values()) {
        if (group.length < 2) continue;
        const values = new Set(group.map((r) => template[r][p]));
        // One value: independent merges made the templates identical, so they are one template.
        if (values.size > 1 && !isVariableColumn(values, p)) continue;
        const head = group[0];
        for (const r of group.slice(1)) parent[r] = head;
        if (values.size > 1) {
          template[head][p] = mergedToken(values);
          ids[head * len + p] = tokenId(template[head][p]);
        }
        changed = true;
      }
      const pairs = new PairIds(live);
      for (let k = 0; k < live; k++) if (parent[roots[k]] === roots[k]) before[k] = pairs.id(ids[roots[k] * len + p], before[k]);
      work.steps += 3 * live;
    }
  }
  const clusters = new Map<number, Cluster>();
  shapes.forEach((_, i) => {
    const root = find(i);
    const c = clusters.get(root);
    if (c) c.members.push(i);
    else clusters.set(root, { members: [i], template: template[root] });
  });
  return [...clusters.values()];
}
