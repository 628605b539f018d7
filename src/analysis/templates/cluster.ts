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
  const prefixes = [...values].flatMap((v) => PREFIXED_VALUE.exec(v)?.[1] ?? []);
  let words = 0;
  for (const v of values) {
    // Sentence punctuation at the ends ("initialization.") says nothing; inside a word it does.
    // An empty value ("()" against "(host)") is a value that was missing.
    const core = (KEY_SLOT.exec(v)?.[1] ?? v).replace(/^\W+|\W+$/g, '');
    if (!core) continue;
    // An id of a kind another value shows with a masked value (`ord-dpwgncvf` beside `ord-<*>`).
    const sameKindOfId = prefixes.some((p) => v.length > p.length && v.startsWith(p));
    if (KEY_SLOT.test(v) || (!IDENTIFIER_LIKE.test(core) && !sameKindOfId)) words++;
  }
  if (words === 0) return true;
  return words >= 4;
}

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
      for (const [prefix, shape] of kinds) {
        const tail = shape.slice(prefix.length + WILDCARD.length);
        if (word.startsWith(prefix) && word.endsWith(tail) && /^[A-Za-z0-9]+$/.test(word.slice(prefix.length, word.length - tail.length))) {
          t[p] = shape;
          break;
        }
      }
    }
  }
}

/**
 * Groups shapes of one length: shapes that differ in a single position merge when that
 * position looks like a variable (a masked value, identifiers, or many distinct words). Merged
 * clusters take `<*>` there, so merges cascade across positions until nothing changes.
 */
export function clusterBucket(shapes: readonly Shape[]): Cluster[] {
  const parent = shapes.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const template = shapes.map((s) => [...s.tokens]);
  const len = shapes[0]?.tokens.length ?? 0;
  adoptIdShapes(template, len);
  for (let changed = true; changed; ) {
    changed = false;
    for (let p = 0; p < len; p++) {
      const byRest = new Map<string, number[]>();
      for (let i = 0; i < shapes.length; i++) {
        if (find(i) !== i) continue;
        const t = template[i];
        const rest = t.slice(0, p).join(' ') + '\u0000' + t.slice(p + 1).join(' ');
        const list = byRest.get(rest);
        if (list) list.push(i);
        else byRest.set(rest, [i]);
      }
      for (const roots of byRest.values()) {
        if (roots.length < 2) continue;
        const values = new Set(roots.map((r) => template[r][p]));
        // One value: independent merges made the templates identical, so they are one template.
        if (values.size > 1 && !isVariableColumn(values, p)) continue;
        const head = roots[0];
        for (const r of roots.slice(1)) parent[r] = head;
        if (values.size > 1) template[head][p] = mergedToken(values);
        changed = true;
      }
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
