/**
 * Loghub header syntax: `<Date> <Time> <Level> <Component>: <Content>` names the fields of a log
 * line's header; `<Content>` is the message to mine. Literal runs keep their characters, except
 * that any run of spaces matches any run of whitespace (aligned columns vary in width), and
 * backslash escapes (`\[`) stay escapes, so bracketed fields and optional groups such as
 * `(\[<PID>\])?` written for the benchmark settings work unchanged.
 */
export interface LogFormat {
  /** The format as written. */
  source: string;
  fields: string[];
  /** Splits one line into its named header fields and content; undefined when the line does not match. */
  parse(line: string): Record<string, string> | undefined;
  /**
   * `parse` for an ASCII line held as bytes [start, end), without making strings: writes where
   * each field lies (start and end of fields[i] at 2i, 2i + 1) and returns true, with the fields
   * parse would give. Returns false for a blank line and for a line it cannot split this way,
   * which parse may still match. Absent for formats it cannot split (regex syntax in the
   * literals, text after the last field).
   */
  spans?(bytes: Uint8Array, start: number, end: number, out: Int32Array): boolean;
}

const FIELD = /<(\w+)>/g;

export function compileLogFormat(format: string): LogFormat {
  const fields: string[] = [];
  let pattern = '';
  let last = 0;
  for (const m of format.matchAll(FIELD)) {
    pattern += literal(format.slice(last, m.index));
    const name = m[1];
    if (fields.includes(name)) throw new Error(`log format names <${name}> twice`);
    fields.push(name);
    pattern += `(?<${name}>.*?)`;
    last = m.index + m[0].length;
  }
  pattern += literal(format.slice(last));
  if (!fields.length) throw new Error('log format has no <Field>; it needs at least <Content>');
  let regex: RegExp;
  try {
    regex = new RegExp(`^${pattern}$`, 's');
  } catch (e) {
    throw new Error(`log format is not a valid pattern: ${(e as Error).message}`);
  }
  const literals = plainLiterals(format);
  return {
    source: format,
    fields,
    parse(line) {
      const m = regex.exec(line.trim());
      // The match's own groups object, not a copy: this runs once per line.
      return m?.groups;
    },
    ...(literals ? { spans: (bytes: Uint8Array, start: number, end: number, out: Int32Array) => splitAscii(literals, bytes, start, end, out) } : {}),
  };
}

/** Literal text of the format: spaces become `\s+`; escapes and regex syntax the format author wrote are kept. */
function literal(text: string): string {
  return text.replace(/ +/g, '\\s+');
}

/** A run of whitespace in a literal (a run of spaces in the format); other parts are character codes. */
const WS = -1;
/** Regular expression syntax, and whitespace other than the space, in a literal leave it to the regex. */
const NOT_PLAIN = /[\\^$.*+?()[\]{}|\t\n\v\f\r]|[^\x00-\x7f]/;

/**
 * The literals before each field of a format that names fields and plain ASCII text only, each
 * as its parts; undefined for any other format. A format ending in text has no plain literals.
 */
function plainLiterals(format: string): number[][] | undefined {
  const texts = format.split(/<\w+>/);
  if (texts.at(-1) !== '' || texts.some((t) => NOT_PLAIN.test(t))) return undefined;
  return texts.slice(0, -1).map((text) => {
    const parts: number[] = [];
    for (let i = 0; i < text.length; i++) {
      if (text[i] !== ' ') parts.push(text.charCodeAt(i));
      else if (parts.at(-1) !== WS) parts.push(WS);
    }
    return parts;
  });
}

/** The ASCII characters `\s` matches: tab to carriage return, and space. */
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/** Where a literal matching at `at` ends, or -1. A run of whitespace is taken whole: what follows it in a plain literal is no whitespace. */
function literalEnd(parts: readonly number[], bytes: Uint8Array, at: number, end: number): number {
  let i = at;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    if (part === WS) {
      if (i >= end || !isSpace(bytes[i])) return -1;
      while (i < end && isSpace(bytes[i])) i++;
    } else if (i < end && bytes[i] === part) i++;
    else return -1;
  }
  return i;
}

/**
 * The fields of a trimmed line as the format's regex would match them, when a first try finds
 * them: each field `.*?` ends where the literal after it first matches, and each run of
 * whitespace is taken whole. That is the first path the regex's backtracking search tries to
 * its end (a shorter field fails at once, as its literal does not match there), so when it
 * reaches the last field, which takes the rest of the line, it is the regex's match. When it
 * does not, the regex may still match by backtracking: the caller asks parse.
 */
function splitAscii(literals: readonly number[][], bytes: Uint8Array, start: number, end: number, out: Int32Array): boolean {
  let s = start;
  let e = end;
  while (s < e && isSpace(bytes[s])) s++;
  while (e > s && isSpace(bytes[e - 1])) e--;
  if (s === e) return false;
  let at = literalEnd(literals[0], bytes, s, e);
  if (at < 0) return false;
  const last = literals.length - 1;
  for (let f = 0; f < last; f++) {
    const parts = literals[f + 1];
    const first = parts.length ? parts[0] : undefined;
    let q = at;
    let next: number;
    for (;;) {
      // Straight to where the literal's first part can match: most bytes of a field pass here.
      if (first === WS) while (q < e && !isSpace(bytes[q])) q++;
      else if (first !== undefined) while (q < e && bytes[q] !== first) q++;
      next = literalEnd(parts, bytes, q, e);
      if (next >= 0) break;
      if (q >= e) return false;
      q++;
    }
    out[2 * f] = at;
    out[2 * f + 1] = q;
    at = next;
  }
  out[2 * last] = at;
  out[2 * last + 1] = e;
  return true;
}
