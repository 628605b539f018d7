/**
 * Strict JSON for request bodies. JSON.parse silently keeps the last of two equal keys, so
 * `{"query":{"match_all":{}},"query":{"script":…}}` would show a guard one query while a
 * backend parser that keeps the first (or rejects) sees another (SECURITY.md H-11). It also
 * accepts `__proto__` keys that a later spread or merge turns into prototype pollution (H-69),
 * and it nests as deep as memory allows. This scanner checks the raw text first, in one pass
 * with an explicit stack (never recursion, so 10,000 levels cannot overflow the call stack),
 * and only then lets JSON.parse build the value. The scanner owns structure, keys, numbers and
 * literals; JSON.parse, run next on the same text, owns what is inside strings.
 */
import { TelemcpError } from '../core/errors.js';

export interface StrictJsonOptions {
  /** Containers may nest this many levels: `{}` is 1, `{"a":[]}` is 2. */
  maxDepth: number;
  /** UTF-8 size limit of the text; larger input is refused before any scanning. */
  maxBytes?: number;
}

/** Keys that address an object's prototype chain; refused wherever they appear. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Levels each front door's envelope adds above a tool's arguments: none for `telemcp call
 * --input`, `{"input":…}` for REST, `{"params":{"arguments":…}}` for JSON-RPC (MCP and seed 000's
 * mcp.execute alike).
 */
export const ENVELOPE_LEVELS = { cli: 0, rest: 1, jsonrpc: 2 } as const;

/**
 * The depth limit a front door parses its text with. MAX_JSON_DEPTH bounds a search body (the
 * query guard's limit), which sits one level inside the arguments; shifting the limit by each
 * door's envelope makes the same arguments pass or fail the depth check at every door alike
 * (SECURITY.md A-07), instead of a body near the limit being refused as too deep at one door
 * and reaching the role check or the query guard at another.
 */
export function frontDoorMaxDepth(maxJsonDepth: number, door: keyof typeof ENVELOPE_LEVELS): number {
  return maxJsonDepth + 1 + ENVELOPE_LEVELS[door];
}

/** JSON-RPC "Parse error": a front door answers malformed bodies with this code. */
export const JSONRPC_PARSE_ERROR = -32700;

const MAX_PATH_CHARS = 200;
const MAX_KEY_CHARS_IN_MESSAGE = 64;
/** Below this many keys a linear search beats allocating a Set (most objects are small). */
const SMALL_OBJECT_KEYS = 16;

/** `$.query.bool.filter[0]["odd key"]`: where a problem is, bounded so a 10,000-deep path stays short. */
export function formatJsonPath(segments: ReadonlyArray<string | number>): string {
  let path = '$';
  for (const seg of segments) {
    if (typeof seg === 'number') path += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) path += `.${seg}`;
    else path += `[${quoteForMessage(seg)}]`;
  }
  if (path.length <= MAX_PATH_CHARS) return path;
  const half = MAX_PATH_CHARS / 2;
  return `${path.slice(0, half)}…${path.slice(-half)}`;
}

/** User text echoed in an error: JSON-quoted (no control characters survive) and bounded. */
export function quoteForMessage(value: string): string {
  const cut = value.length > MAX_KEY_CHARS_IN_MESSAGE ? `${value.slice(0, MAX_KEY_CHARS_IN_MESSAGE)}…` : value;
  return JSON.stringify(cut);
}

export function parseStrictJson(text: string, opts: StrictJsonOptions): unknown {
  if (opts.maxBytes !== undefined && exceedsUtf8Bytes(text, opts.maxBytes)) {
    throw new TelemcpError('request_too_large', `JSON body is larger than ${opts.maxBytes} bytes`, {
      hint: `send at most ${opts.maxBytes} bytes: narrow the query or split it into several calls`,
      details: { max_bytes: opts.maxBytes },
    });
  }
  scan(text, opts.maxDepth);
  try {
    return JSON.parse(text);
  } catch (err) {
    // The scanner checked everything but the inside of strings, so that is what failed here.
    // V8's own message is not passed on: some forms quote the input.
    const position = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
    throw malformed('control character or invalid escape inside a string', position === undefined ? -1 : Number(position));
  }
}

/** UTF-8 is never shorter than UTF-16 code units and never more than 3 bytes per unit. */
function exceedsUtf8Bytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(text, 'utf8') > maxBytes;
}

class Frame {
  /** Key (object) or index (array) under which this container sits in its parent. */
  readonly at: string | number | null;
  readonly isObject: boolean;
  /** Last member key read (objects) — where a child container sits. */
  key = '';
  /** Element index (arrays). */
  index = 0;
  keys: string[] | null = null;
  keySet: Set<string> | null = null;

  constructor(isObject: boolean, at: string | number | null) {
    this.isObject = isObject;
    this.at = at;
  }

  /** False when the key was already present. */
  addKey(key: string): boolean {
    if (this.keySet) {
      if (this.keySet.has(key)) return false;
      this.keySet.add(key);
      return true;
    }
    const keys = (this.keys ??= []);
    if (keys.includes(key)) return false;
    keys.push(key);
    if (keys.length > SMALL_OBJECT_KEYS) {
      this.keySet = new Set(keys);
      this.keys = null;
    }
    return true;
  }

  get position(): string | number {
    return this.isObject ? this.key : this.index;
  }
}

/** Character codes the scanner compares against (charCodeAt is the fast path in V8). */
const CH_TAB = 0x09;
const CH_LF = 0x0a;
const CH_CR = 0x0d;
const CH_SPACE = 0x20;
const CH_QUOTE = 0x22;
const CH_PLUS = 0x2b;
const CH_COMMA = 0x2c;
const CH_MINUS = 0x2d;
const CH_DOT = 0x2e;
const CH_ZERO = 0x30;
const CH_NINE = 0x39;
const CH_COLON = 0x3a;
const CH_UPPER_E = 0x45;
const CH_L_BRACKET = 0x5b;
const CH_BACKSLASH = 0x5c;
const CH_R_BRACKET = 0x5d;
const CH_LOWER_E = 0x65;
const CH_L_BRACE = 0x7b;
const CH_R_BRACE = 0x7d;

/**
 * One left-to-right pass over the grammar of RFC 8259 (string contents aside, see scanString).
 * Every branch advances `i`, so the work is linear in the text; the stack holds one frame per
 * open container, at most maxDepth.
 */
function scan(text: string, maxDepth: number): void {
  const n = text.length;
  const stack: Frame[] = [];
  let i = skipWhitespace(text, 0);

  value: for (;;) {
    if (i >= n) throw malformed('unexpected end of input', i);
    const c = text.charCodeAt(i);
    if (c === CH_L_BRACE || c === CH_L_BRACKET) {
      const parent = stack.length > 0 ? stack[stack.length - 1] : null;
      if (stack.length >= maxDepth) throw tooDeep(stack, parent, maxDepth);
      const frame = new Frame(c === CH_L_BRACE, parent ? parent.position : null);
      stack.push(frame);
      i = skipWhitespace(text, i + 1);
      const close = frame.isObject ? CH_R_BRACE : CH_R_BRACKET;
      if (text.charCodeAt(i) === close) {
        stack.pop();
        i++;
      } else {
        if (frame.isObject) i = readMember(text, i, frame, stack);
        continue value;
      }
    } else if (c === CH_QUOTE) {
      i = scanString(text, i);
    } else if (c === CH_MINUS || (c >= CH_ZERO && c <= CH_NINE)) {
      i = scanNumber(text, i);
    } else if (text.startsWith('true', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else if (text.startsWith('null', i)) {
      i += 4;
    } else {
      throw malformed(`unexpected character ${describeChar(text, i)}`, i);
    }

    // A value is complete: close finished containers until one expects another element.
    for (;;) {
      i = skipWhitespace(text, i);
      const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
      if (top === undefined) {
        if (i !== n) throw malformed(`unexpected ${describeChar(text, i)} after the JSON value`, i);
        return;
      }
      const d = text.charCodeAt(i);
      if (d === CH_COMMA) {
        i = skipWhitespace(text, i + 1);
        if (top.isObject) i = readMember(text, i, top, stack);
        else top.index++;
        continue value;
      }
      if (d === (top.isObject ? CH_R_BRACE : CH_R_BRACKET)) {
        stack.pop();
        i++;
        continue;
      }
      if (i >= n) throw malformed('unexpected end of input', i);
      throw malformed(`expected ',' or '${top.isObject ? '}' : ']'}' but found ${describeChar(text, i)}`, i);
    }
  }
}

/** Reads `"key"` `:` and returns the position of the member's value. */
function readMember(text: string, i: number, frame: Frame, stack: Frame[]): number {
  if (text.charCodeAt(i) !== CH_QUOTE) {
    throw malformed(i >= text.length ? 'unexpected end of input' : `expected a quoted key but found ${describeChar(text, i)}`, i);
  }
  const end = scanString(text, i);
  // Keys are compared decoded: "scr\u0069pt" and "script" are the same key to every parser.
  const raw = text.slice(i + 1, end - 1);
  const key = raw.includes('\\') ? decodeKey(text.slice(i, end), i) : raw;
  if (isPrototypeKey(key)) {
    const path = formatJsonPath([...pathOf(stack), key]);
    throw new TelemcpError('invalid_input', `key ${quoteForMessage(key)} is not allowed (at ${path})`, {
      hint: `remove the key ${quoteForMessage(key)} at ${path}: __proto__, constructor and prototype are refused to prevent prototype pollution`,
      details: { path },
    });
  }
  if (!frame.addKey(key)) {
    const path = formatJsonPath([...pathOf(stack), key]);
    throw new TelemcpError('invalid_input', `duplicate key ${quoteForMessage(key)} at ${path}`, {
      hint: `remove the duplicate key ${quoteForMessage(key)} at ${path}: each key may appear once per object`,
      details: { path },
    });
  }
  frame.key = key;
  let j = skipWhitespace(text, end);
  if (text.charCodeAt(j) !== CH_COLON) {
    throw malformed(j >= text.length ? 'unexpected end of input' : `expected ':' but found ${describeChar(text, j)}`, j);
  }
  j = skipWhitespace(text, j + 1);
  return j;
}

function decodeKey(quoted: string, position: number): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw malformed('invalid escape in key', position);
  }
}

/**
 * Equality after a length test: a Set lookup would hash every freshly sliced key, which
 * profiling showed to cost more than the rest of the key handling together.
 */
function isPrototypeKey(key: string): boolean {
  const len = key.length;
  return (len === 9 || len === 11) && (key === '__proto__' || key === 'prototype' || key === 'constructor');
}

/** Keys from the root down to the current position of the innermost open container. */
function pathOf(stack: readonly Frame[]): Array<string | number> {
  const segments: Array<string | number> = [];
  for (let k = 1; k < stack.length; k++) segments.push(stack[k].at as string | number);
  return segments;
}

function skipWhitespace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== CH_SPACE && c !== CH_LF && c !== CH_CR && c !== CH_TAB) return i;
    i++;
  }
}

/**
 * `i` is at the opening quote; returns the index after the closing quote. The closing quote is
 * the first `"` not escaped by an odd run of backslashes; indexOf finds candidates at memchr
 * speed (the per-character loop this replaced ran at a sixth of JSON.parse's speed on log
 * lines). Escapes and control characters inside strings are left to JSON.parse, which runs
 * next on the same text and rejects them; keys are decoded (and so checked) here.
 */
function scanString(text: string, i: number): number {
  let j = text.indexOf('"', i + 1);
  for (;;) {
    if (j === -1) throw malformed('unterminated string', i);
    let k = j - 1;
    while (text.charCodeAt(k) === CH_BACKSLASH) k--;
    if (((j - 1 - k) & 1) === 0) return j + 1;
    j = text.indexOf('"', j + 1);
  }
}

function isDigit(c: number): boolean {
  return c >= CH_ZERO && c <= CH_NINE;
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` */
function scanNumber(text: string, i: number): number {
  let j = i;
  if (text.charCodeAt(j) === CH_MINUS) j++;
  const first = text.charCodeAt(j);
  if (first === CH_ZERO) j++;
  else if (isDigit(first)) while (isDigit(text.charCodeAt(j))) j++;
  else throw malformed('invalid number', i);
  if (text.charCodeAt(j) === CH_DOT) {
    j++;
    if (!isDigit(text.charCodeAt(j))) throw malformed('invalid number', i);
    while (isDigit(text.charCodeAt(j))) j++;
  }
  const e = text.charCodeAt(j);
  if (e === CH_LOWER_E || e === CH_UPPER_E) {
    j++;
    const sign = text.charCodeAt(j);
    if (sign === CH_PLUS || sign === CH_MINUS) j++;
    if (!isDigit(text.charCodeAt(j))) throw malformed('invalid number', i);
    while (isDigit(text.charCodeAt(j))) j++;
  }
  return j;
}

function describeChar(text: string, i: number): string {
  if (i >= text.length) return 'end of input';
  return JSON.stringify(String.fromCodePoint(text.codePointAt(i) as number));
}

function malformed(reason: string, position: number): TelemcpError {
  const where = position >= 0 ? ` at position ${position}` : '';
  return new TelemcpError('invalid_input', `malformed JSON: ${reason}${where}`, {
    hint: 'send one valid JSON document (RFC 8259): double-quoted keys and strings, no trailing commas or comments',
    details: position >= 0 ? { jsonrpc_code: JSONRPC_PARSE_ERROR, position } : { jsonrpc_code: JSONRPC_PARSE_ERROR },
  });
}

function tooDeep(stack: readonly Frame[], parent: Frame | null, maxDepth: number): TelemcpError {
  const segments = pathOf(stack);
  if (parent) segments.push(parent.position);
  const path = formatJsonPath(segments);
  return new TelemcpError('invalid_input', `JSON nests deeper than ${maxDepth} levels (at ${path})`, {
    hint: `nest at most ${maxDepth} levels: flatten the query (e.g. one bool with several clauses instead of bools inside bools)`,
    details: { path, max_depth: maxDepth },
  });
}

/**
 * The JSON-RPC id of a message that the strict parser refused (duplicate keys, depth): the
 * lenient parser still finds it, so the error can name the request and the client does not
 * wait for an answer that never comes. Only called on the refusal path.
 */
export function jsonRpcIdOfRefused(text: string): string | number | null {
  try {
    return jsonRpcIdOf(JSON.parse(text));
  } catch {
    return null;
  }
}

/**
 * The id to answer a refused message with: its own when that is a valid JSON-RPC id (a string
 * or a number), else null, as JSON-RPC 2.0 asks when the id cannot be determined. An invalid id
 * (`{}`, `true`, `[1]`) is never echoed back.
 */
export function jsonRpcIdOf(message: unknown): string | number | null {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return null;
  const id = (message as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

/**
 * The `id` of a JSON-RPC message read from the start of its text only, for a message too large
 * to read whole (a stdio line over MAX_REQUEST_BYTES): the top-level members are walked until
 * "id" is met. Null when the prefix ends first, is not an object, or the id is not valid.
 */
export function jsonRpcIdOfPrefix(prefix: string): string | number | null {
  try {
    let i = skipWhitespace(prefix, 0);
    if (prefix.charCodeAt(i) !== CH_L_BRACE) return null;
    i++;
    for (;;) {
      i = skipWhitespace(prefix, i);
      if (prefix.charCodeAt(i) !== CH_QUOTE) return null;
      const keyEnd = scanString(prefix, i);
      const key = JSON.parse(prefix.slice(i, keyEnd)) as string;
      i = skipWhitespace(prefix, keyEnd);
      if (prefix.charCodeAt(i) !== CH_COLON) return null;
      i = skipWhitespace(prefix, i + 1);
      const valueEnd = skipValue(prefix, i);
      // A value that reaches the end of the prefix may continue past it (a number's digits).
      if (valueEnd === -1 || valueEnd >= prefix.length) return null;
      if (key === 'id') return jsonRpcIdOf({ id: JSON.parse(prefix.slice(i, valueEnd)) as unknown });
      i = skipWhitespace(prefix, valueEnd);
      if (prefix.charCodeAt(i) !== CH_COMMA) return null;
      i++;
    }
  } catch {
    return null;
  }
}

/** Where a number or literal ends. */
const SCALAR_END = /[\s,}\]]/g;

/** Index after the JSON value starting at `i`, or -1 when the text ends inside it. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === CH_QUOTE) return scanString(text, i);
  if (c !== CH_L_BRACE && c !== CH_L_BRACKET) {
    SCALAR_END.lastIndex = i;
    return SCALAR_END.exec(text)?.index ?? -1;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const d = text.charCodeAt(j);
    if (d === CH_QUOTE) j = scanString(text, j) - 1;
    else if (d === CH_L_BRACE || d === CH_L_BRACKET) depth++;
    else if ((d === CH_R_BRACE || d === CH_R_BRACKET) && --depth === 0) return j + 1;
  }
  return -1;
}
