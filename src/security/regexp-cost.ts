/**
 * Cost screens for the Lucene regular expressions that Elasticsearch and OpenSearch run
 * (`regexp`, intervals and span_multi `regexp`, terms include/exclude). Hand-written: no
 * library parses Lucene's dialect (`@` any string, `~` complement, `<n-m>` intervals, `"…"`
 * literals, `&` intersection, always anchored), and the screens need only its shape.
 */

const MAX_REPEAT = 100;

/**
 * Lucene compiles a regexp into an automaton; a quantified group that itself contains a
 * quantifier or an alternation (`(.*a){25}`, `(a|aa)+`, `((a)*)+`) is how determinization
 * explodes, and so are large counted repetitions. This is a conservative screen, not a parser:
 * it refuses some harmless patterns (`(a|b)+`; write `[ab]+`) and never accepts those shapes.
 */
export function regexpProblem(pattern: string, maxLength: number): string | null {
  if (pattern.length > maxLength) return `is longer than ${maxLength} characters`;
  const groups: Array<{ quantified: boolean; alternation: boolean }> = [{ quantified: false, alternation: false }];
  for (let i = 0; i < pattern.length; i++) {
    const g = groups[groups.length - 1];
    switch (pattern[i]) {
      case '\\':
        i++;
        break;
      case '"': {
        // Lucene quotes a literal string; quantifiers inside it are characters.
        const end = pattern.indexOf('"', i + 1);
        i = end === -1 ? pattern.length : end;
        break;
      }
      case '[':
        i = classEnd(pattern, i);
        break;
      case '(':
        groups.push({ quantified: false, alternation: false });
        break;
      case ')': {
        if (groups.length === 1) break;
        const inner = groups.pop() as { quantified: boolean; alternation: boolean };
        const next = pattern[i + 1];
        const isQuantified = next === '*' || next === '+' || next === '?' || next === '{';
        if (isQuantified && (inner.quantified || inner.alternation)) {
          return 'nests quantifiers or alternation under a quantifier (like (a+)+ or (a|aa)+)';
        }
        const outer = groups[groups.length - 1];
        outer.quantified ||= inner.quantified || isQuantified;
        outer.alternation ||= inner.alternation;
        break;
      }
      case '|':
        g.alternation = true;
        break;
      case '*':
      case '+':
      case '?':
        g.quantified = true;
        break;
      case '{': {
        const end = pattern.indexOf('}', i + 1);
        const bounds = (end === -1 ? pattern.slice(i + 1) : pattern.slice(i + 1, end)).split(',');
        if (bounds.some((b) => /^\s*\d+\s*$/.test(b) && Number(b) > MAX_REPEAT)) {
          return `repeats more than ${MAX_REPEAT} times`;
        }
        g.quantified = true;
        i = end === -1 ? pattern.length : end;
        break;
      }
      default:
        break;
    }
  }
  return null;
}

/** Index of the `]` closing the class that opens at `start` (or the last index when unclosed). */
function classEnd(pattern: string, start: number): number {
  let j = start + 1;
  if (pattern[j] === '^') j++;
  if (pattern[j] === ']') j++;
  while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
  return Math.min(j, pattern.length);
}

/** What a piece of a regexp can begin with. */
interface Start {
  /** The match can begin with a run of arbitrary characters: decided, nothing later changes it. */
  anywhere: boolean;
  /** The first character matched can be one of many (`.`, `[^x]`, a wide class). */
  broad: boolean;
  /** The piece can match the empty string, so what follows it is also at the start. */
  nullable: boolean;
}

/** A class covering more characters than this is "broad": `[0-9]` is narrow, `[a-z]` is not. */
const NARROW_CLASS_MAX = 10;

/**
 * Whether a Lucene regexp's match can begin anywhere, i.e. with an unbounded run of arbitrary
 * characters: `.*x`, `.+x`, `[^/]*x`, `[a-z]+x`, `@x`, `~(x)`, `(a|.*b)`, `x?.*y`. Such a
 * pattern gives Lucene no prefix to seek to, so it walks every term of the field, which is
 * what a leading wildcard does; the guard refuses both alike. A broad character class counts
 * once it may repeat (`{n}` with n > 1 included); a single leading `.` or `[a-z]` does not.
 */
export function regexpStartsAnywhere(pattern: string): boolean {
  const parser = new StartParser(pattern);
  return parser.union(0).anywhere;
}

class StartParser {
  private i = 0;

  constructor(private readonly p: string) {}

  /** Alternatives (`|`) and intersections (`&`, counted like `|`: fail-closed). */
  union(depth: number): Start {
    const first = this.concat(depth);
    const out = { ...first };
    while (this.i < this.p.length && (this.p[this.i] === '|' || this.p[this.i] === '&')) {
      this.i++;
      const next = this.concat(depth);
      out.anywhere ||= next.anywhere;
      out.broad ||= next.broad;
      out.nullable ||= next.nullable;
    }
    return out;
  }

  private concat(depth: number): Start {
    const out: Start = { anywhere: false, broad: false, nullable: true };
    while (this.i < this.p.length) {
      const c = this.p[this.i];
      if (c === '|' || c === '&') break;
      if (c === ')' && depth > 0) break;
      const item = this.repeat(depth);
      if (out.nullable) {
        out.anywhere ||= item.anywhere;
        out.broad ||= item.broad;
        out.nullable = item.nullable;
      }
    }
    return out;
  }

  /** An atom and any quantifiers after it. */
  private repeat(depth: number): Start {
    const atom = this.atom(depth);
    for (;;) {
      const q = this.quantifier();
      if (!q) return atom;
      if (q.repeats && atom.broad) atom.anywhere = true;
      if (q.optional) atom.nullable = true;
    }
  }

  private quantifier(): { repeats: boolean; optional: boolean } | undefined {
    const c = this.p[this.i];
    if (c === '*') return this.take(1, { repeats: true, optional: true });
    if (c === '+') return this.take(1, { repeats: true, optional: false });
    if (c === '?') return this.take(1, { repeats: false, optional: true });
    if (c !== '{') return undefined;
    const m = /^\{\s*(\d*)\s*(,\s*(\d*)\s*)?\}/.exec(this.p.slice(this.i));
    if (!m) return this.take(1, { repeats: true, optional: true });
    const min = m[1] === '' ? 0 : Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    return this.take(m[0].length, { repeats: max > 1, optional: min === 0 });
  }

  private take<T>(n: number, value: T): T {
    this.i += n;
    return value;
  }

  private atom(depth: number): Start {
    const c = this.p[this.i++];
    switch (c) {
      case '~':
        // The complement of nearly anything matches nearly everything.
        if (this.i < this.p.length) this.repeat(depth);
        return { anywhere: true, broad: true, nullable: true };
      case '@':
        return { anywhere: true, broad: true, nullable: true };
      case '.':
        return { anywhere: false, broad: true, nullable: false };
      case '[': {
        const end = classEnd(this.p, this.i - 1);
        const body = this.p.slice(this.i, end);
        this.i = end + 1;
        return { anywhere: false, broad: isBroadClass(body), nullable: false };
      }
      case '(': {
        const inner = this.union(depth + 1);
        if (this.p[this.i] === ')') this.i++;
        return inner;
      }
      case '"': {
        const end = this.p.indexOf('"', this.i);
        const close = end === -1 ? this.p.length : end;
        const empty = close === this.i;
        this.i = close + 1;
        return { anywhere: false, broad: false, nullable: empty };
      }
      case '<': {
        const end = this.p.indexOf('>', this.i);
        this.i = end === -1 ? this.p.length : end + 1;
        return { anywhere: false, broad: false, nullable: false };
      }
      case '\\':
        this.i++;
        return { anywhere: false, broad: false, nullable: false };
      default:
        return { anywhere: false, broad: false, nullable: false };
    }
  }
}

/** `body` is the text between `[` and `]`. Negated classes and wide ranges are broad. */
function isBroadClass(body: string): boolean {
  if (body.startsWith('^')) return true;
  let count = 0;
  for (let j = 0; j < body.length; j++) {
    let from = body[j];
    if (from === '\\' && j + 1 < body.length) from = body[++j];
    if (body[j + 1] === '-' && j + 2 < body.length) {
      let to = body[j + 2];
      j += 2;
      if (to === '\\' && j + 1 < body.length) to = body[++j];
      count += Math.max(1, (to.codePointAt(0) ?? 0) - (from.codePointAt(0) ?? 0) + 1);
    } else {
      count += 1;
    }
    if (count > NARROW_CLASS_MAX) return true;
  }
  return false;
}
