/**
 * Alertmanager's label regexes are Go RE2, anchored as `^(?:re)$`. JavaScript's RegExp reads most
 * of RE2 the same way; this rewrites the parts it reads differently (a leading `(?i)`, `\z`,
 * `\Q…\E`, POSIX classes, `\pL`, octal escapes, `(?P<name>`, a `]` opening a class, RE2's ASCII
 * `\s`) and refuses the few it cannot express (mid-pattern flags, `(?U)`, `\C`), so a matcher is
 * never silently read with another meaning.
 */

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** RE2's `\s`: ASCII whitespace without \v (JavaScript's also takes Unicode spaces). */
const RE2_SPACE = '\\t\\n\\f\\r ';
/** Escapes RE2 and JavaScript read alike. */
const SAME_ESCAPES = new Set(['d', 'D', 'w', 'W', 'b', 'B', 'f', 't', 'n', 'r', 'v']);
/** Characters a JavaScript pattern may escape in every mode. */
const JS_SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);

function hex(char: string): string {
  const code = char.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** A literal character, escaped so that it means itself in either mode. */
function literal(char: string): string {
  if (/[A-Za-z0-9_]/.test(char)) return char;
  return JS_SYNTAX.has(char) ? `\\${char}` : hex(char);
}

export class UnsupportedRegex extends Error {}

/** More unbounded quantifiers than this (`.*a.*b.*c.*d`) backtrack polynomially: not run here either. */
const MAX_UNBOUNDED = 3;

/**
 * A quantified group that holds a quantifier or an alternation (`(a+)+`, `(.*x)*`, `(.|a)*z`),
 * or more than MAX_UNBOUNDED unbounded quantifiers: RE2 runs them in linear time, a backtracking
 * engine can take exponential (or high polynomial) time on a crafted value. Such a pattern is not
 * evaluated here at all. Conservative: a harmless `(a|b)+` is refused too (write `[ab]+`).
 */
function nestsQuantifiers(re: string): boolean {
  const unbounded = re.replace(/\\./g, '').replace(/\[(?:\\.|[^\]])*\]/g, 'c').match(/[*+]|\{\d*,\}/g)?.length ?? 0;
  if (unbounded > MAX_UNBOUNDED) return true;
  const stack: boolean[] = [false];
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      i++;
      if (re[i] === '^') i++;
      if (re[i] === ']') i++;
      while (i < re.length && re[i] !== ']') i += re[i] === '\\' ? 2 : 1;
      continue;
    }
    const next = re[i + 1];
    const quantified = next === '*' || next === '+' || (next === '{' && /^\{\d*,\d*\}|^\{\d{2,}\}/.test(re.slice(i + 1)));
    if (c === '(') stack.push(false);
    else if (c === '|') stack[stack.length - 1] = true;
    else if (c === ')' && stack.length > 1) {
      const inner = stack.pop()!;
      if (inner && quantified) return true;
      stack[stack.length - 1] ||= inner || quantified;
    } else if (c === '*' || c === '+' || c === '{') stack[stack.length - 1] = true;
  }
  return false;
}

/** The JavaScript source and flags for the RE2 pattern `re`, anchored as Alertmanager anchors it. */
export function translateRegex(re: string): { source: string; flags: string } {
  if (nestsQuantifiers(re)) throw new UnsupportedRegex('nested quantifiers, not run by a backtracking engine');
  let flags = '';
  let rest = re;
  for (let m = /^\(\?([imsU]+)\)/.exec(rest); m; m = /^\(\?([imsU]+)\)/.exec(rest)) {
    for (const f of m[1]) {
      if (f === 'U') throw new UnsupportedRegex('the U (ungreedy) flag');
      if (f === 'm') {
        if (/(?<!\\)[$^]/.test(rest.slice(m[0].length))) throw new UnsupportedRegex('the m flag with ^ or $ inside');
        continue;
      }
      if (!flags.includes(f)) flags += f;
    }
    rest = rest.slice(m[0].length);
  }
  let unicode = false;
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '\\') {
      const n = rest[i + 1];
      if (n === undefined) throw new UnsupportedRegex('a trailing backslash');
      i++;
      if (n === 'Q') {
        const end = rest.indexOf('\\E', i + 1);
        const text = end === -1 ? rest.slice(i + 1) : rest.slice(i + 1, end);
        for (const ch of text) out += literal(ch);
        i = end === -1 ? rest.length : end + 1;
      } else if (n === 'z' && !inClass) out += '$';
      else if (n === 'A' && !inClass) out += '^';
      else if (n === 's') out += inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
      else if (n === 'S' && !inClass) out += `[^${RE2_SPACE}]`;
      else if (n === 'p' || n === 'P') {
        let name: string;
        if (rest[i + 1] === '{') {
          const end = rest.indexOf('}', i + 2);
          if (end === -1) throw new UnsupportedRegex('an unterminated \\p{');
          name = rest.slice(i + 2, end);
          i = end;
        } else {
          name = rest[i + 1] ?? '';
          i++;
        }
        const negated = name.startsWith('^');
        if (negated) name = name.slice(1);
        if (!/^[A-Za-z_]+$/.test(name)) throw new UnsupportedRegex(`the class \\${n}{${name}}`);
        const kind = negated !== (n === 'P') ? 'P' : 'p';
        out += name.length <= 2 || name === 'Any' ? `\\${kind}{${name === 'Any' ? 'Any' : name}}` : `\\${kind}{Script=${name}}`;
        unicode = true;
      } else if (n === 'x') {
        if (rest[i + 1] === '{') {
          const end = rest.indexOf('}', i + 2);
          if (end === -1) throw new UnsupportedRegex('an unterminated \\x{');
          out += hex(String.fromCodePoint(parseInt(rest.slice(i + 2, end), 16)));
          i = end;
        } else {
          out += `\\x${rest.slice(i + 1, i + 3)}`;
          i += 2;
        }
      } else if (/[0-7]/.test(n)) {
        const digits = /^[0-7]{1,3}/.exec(rest.slice(i))![0];
        out += hex(String.fromCharCode(parseInt(digits, 8)));
        i += digits.length - 1;
      } else if (n === 'a') out += '\\x07';
      else if (n === 'C') throw new UnsupportedRegex('\\C');
      else if (SAME_ESCAPES.has(n) || (inClass && n === 'S')) out += `\\${n}`;
      else out += literal(n);
      continue;
    }
    if (inClass) {
      if (c === '[' && rest[i + 1] === ':') {
        const end = rest.indexOf(':]', i + 2);
        const name = end === -1 ? undefined : rest.slice(i + 2, end);
        if (name === undefined || !(name in POSIX)) throw new UnsupportedRegex(`the class [:${name ?? ''}:]`);
        out += POSIX[name];
        i = end + 1;
      } else if (c === ']') {
        out += c;
        inClass = false;
      } else out += c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (rest[i + 1] === '^') {
        out += '^';
        i++;
      }
      // RE2 reads a `]` right after the opening bracket as a member; JavaScript as an empty class.
      if (rest[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && rest[i + 1] === '?') {
      if (rest.startsWith('(?P<', i)) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest[i + 2] !== ':' && rest[i + 2] !== '<') throw new UnsupportedRegex('flags inside the pattern');
    }
    out += c;
  }
  return { source: `^(?:${out})$`, flags: flags + (unicode ? 'u' : '') };
}

/**
 * The compiled, anchored regex; throws UnsupportedRegex when it cannot be read faithfully. Unicode
 * mode first, so `.` and classes take whole characters as RE2 does; a pattern only the legacy mode
 * accepts (a lone `{` or `]`, literal in RE2 too) is read in that mode.
 */
export function compileRegex(re: string): RegExp {
  const { source, flags } = translateRegex(re);
  try {
    return new RegExp(source, flags.includes('u') ? flags : `${flags}u`);
  } catch (err) {
    if (flags.includes('u')) throw new UnsupportedRegex((err as Error).message);
    try {
      return new RegExp(source, flags);
    } catch {
      throw new UnsupportedRegex((err as Error).message);
    }
  }
}
