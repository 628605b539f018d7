/**
 * The limits every ingest parser applies, so that no request, line or document can make one
 * record (a row in the store) or one parse arbitrarily large: a record's message is at most
 * 32 KiB of UTF-8, its attributes at most 64 keys and 8 KiB, a request at most 100,000 records.
 * What is cut says so: a message ends with TRUNCATED_MARKER, dropped attributes are counted in
 * `telemcp.dropped_attrs`.
 */

export const MAX_RECORDS_PER_REQUEST = 100_000;
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_ATTR_KEYS = 64;
/** The attributes as JSON text (how the store keeps them), telemcp's own notes included. */
export const MAX_ATTR_BYTES = 8 * 1024;
/** What the notes (`telemcp.time_inferred`, `telemcp.dropped_attrs`) may take of MAX_ATTR_BYTES. */
const RESERVED_BYTES = 96;
/** One attribute value; longer ones are cut with the marker so one field cannot take the whole budget. */
export const MAX_ATTR_VALUE_BYTES = 2 * 1024;
/** Dataset, service, host, level, trace id and attribute keys: names, not text. */
export const MAX_NAME_CHARS = 256;
export const MAX_DATASET_CHARS = 255;
/** Objects nested deeper than this are kept as JSON text instead of being walked further. */
export const MAX_DEPTH = 16;
export const TRUNCATED_MARKER = '…[truncated]';

/** Attribute keys telemcp itself adds; they always fit (the budget keeps room for them). */
export const TIME_INFERRED_ATTR = 'telemcp.time_inferred';
export const DROPPED_ATTRS_ATTR = 'telemcp.dropped_attrs';
const RESERVED_KEYS = 2;

export type AttrValue = string | number | boolean;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A request body as text. Invalid UTF-8 becomes U+FFFD (the decoder is not fatal), so a damaged
 * body is read, not refused; a leading byte-order mark is dropped.
 */
export function decodeBody(body: string | Uint8Array): string {
  const text = typeof body === 'string' ? body : decoder.decode(body);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * A JSON request body (text, bytes, or already parsed by the server) as a value, or why it is
 * not JSON: `what` names the body, `hint` says how to send it.
 */
export function parseJsonBody(body: unknown, what: string, hint: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return { ok: true, value: body };
  try {
    return { ok: true, value: JSON.parse(decodeBody(body)) };
  } catch (err) {
    return { ok: false, message: `${what} is not JSON (${err instanceof Error ? err.message.slice(0, 160) : 'unreadable'}); ${hint}` };
  }
}

/** Lone UTF-16 surrogates (JSON may carry `"\ud800"`) replaced by U+FFFD, so the text is valid UTF-8 when stored. */
export function wellFormed(text: string): string {
  return ANY_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
}

/** UTF-8 length, computed only when the text could be over `max`. */
function fitsBytes(text: string, max: number): boolean {
  return text.length * 3 <= max || Buffer.byteLength(text, 'utf8') <= max;
}

/** `text` cut to at most `maxBytes` of UTF-8, ending with the marker when cut; never splits a character. */
export function capText(text: string, maxBytes = MAX_MESSAGE_BYTES): string {
  const clean = wellFormed(text);
  if (fitsBytes(clean, maxBytes)) return clean;
  const room = new Uint8Array(Math.max(0, maxBytes - encoder.encode(TRUNCATED_MARKER).length));
  // encodeInto writes whole characters only, so `read` ends on a character boundary.
  const { read } = encoder.encodeInto(clean, room);
  return clean.slice(0, read) + TRUNCATED_MARKER;
}

/** A name-like field (service, host, dataset, level, trace id): trimmed, bounded, undefined when empty. */
export function capName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = wellFormed(value.trim());
  if (trimmed === '') return undefined;
  return trimmed.length <= MAX_NAME_CHARS ? trimmed : trimmed.slice(0, MAX_NAME_CHARS);
}

/**
 * A dataset name taken from what a sender wrote (a Loki label, an OTLP attribute): characters a
 * scope cannot select alone (`,` and `*`, which scopes use as list and glob) and control
 * characters become `-`; trimmed and bounded. Undefined when nothing is left.
 */
export function datasetName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const name = wellFormed(raw)
    .replace(/[,*\u0000-\u001f\u007f]/g, '-')
    .trim()
    .slice(0, MAX_DATASET_CHARS)
    .trim();
  return name === '' ? undefined : name;
}

/** JSON text of a value, bounded; for arrays and too-deep objects kept as one attribute. */
export function boundedJson(value: unknown, maxBytes = MAX_ATTR_VALUE_BYTES): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return capText(text, maxBytes);
}

/**
 * A character that makes a string's JSON text longer than the string (a quote, a backslash, a
 * control character) or its UTF-8 longer than its UTF-16 length (anything past ASCII, surrogates
 * included). A string without one is "plain": its JSON text is its length + 2 bytes, with no cap
 * or repair to apply, which is what nearly every attribute of a real log line is.
 */
const NOT_PLAIN = /["\\\u0000-\u001f\u0080-\uffff]/;

/** UTF-8 bytes of a string's JSON text, quotes included. */
function jsonBytes(text: string): number {
  return NOT_PLAIN.test(text) ? Buffer.byteLength(JSON.stringify(text), 'utf8') : text.length + 2;
}

/**
 * How many dotted keys joinKey keeps (at most MAX_NAME_CHARS each, so a stream of ever-new keys
 * holds a few MiB at worst): documents of one shape need a few dozen; past this, keys are built each time.
 */
const MAX_JOINED_KEYS = 4096;
const joinedKeys = new Map<string, Map<string, string>>();
let joinedCount = 0;

/**
 * `parent.child`, the same string each time for the same pair. Documents of one shape repeat
 * their keys on every line; a reused key is already flat and hashed, so the lookups it goes
 * through (skip list, first-wins set, the result's property) cost less than on a new string.
 */
function joinKey(parent: string, child: string): string {
  let children = joinedKeys.get(parent);
  let key = children?.get(child);
  if (key !== undefined) return key;
  key = `${parent}.${child}`;
  if (joinedCount < MAX_JOINED_KEYS && key.length <= MAX_NAME_CHARS) {
    if (!children) joinedKeys.set(parent, (children = new Map()));
    children.set(child, key);
    joinedCount++;
  }
  return key;
}

/**
 * Collects a record's attributes within the bounds: nested objects are flattened to dotted
 * keys, arrays kept as JSON text, nulls skipped. The first value given for a key wins (callers add
 * the most specific source first), and what does not fit is counted, not silently lost.
 * Runs for every field of every ingested document, so sizes are counted without building JSON
 * (jsonBytes) and the result is built as a plain object in one pass.
 */
export class AttrCollector {
  /** Keys as given, to keep the first value of each; created on the first attribute (most plain-text records have none). */
  private seen: Set<string> | undefined;
  private readonly keys: string[] = [];
  private readonly values: AttrValue[] = [];
  /** JSON size of the attributes so far, braces included. */
  private bytes = 2;
  private dropped = 0;

  constructor(private readonly skip?: ReadonlySet<string>) {}

  /** One field; an object value is walked (`a: {b: 1}` → `a.b`). */
  add(key: string, value: unknown, depth = 0): void {
    if (value === null || value === undefined || this.skip?.has(key)) return;
    switch (typeof value) {
      case 'string':
        // A plain value within the value cap needs neither capText nor a second look at its size.
        if (value.length <= MAX_ATTR_VALUE_BYTES && !NOT_PLAIN.test(value)) return this.put(key, value, value.length + 2);
        return this.putValue(key, capText(value, MAX_ATTR_VALUE_BYTES));
      case 'number':
        return this.putValue(key, Number.isFinite(value) ? value : String(value));
      case 'boolean':
        return this.put(key, value, value ? 4 : 5);
      case 'object': {
        if (Array.isArray(value) || depth >= MAX_DEPTH) return this.putValue(key, boundedJson(value));
        const object = value as Record<string, unknown>;
        for (const child of Object.keys(object)) this.add(joinKey(key, child), object[child], depth + 1);
        return;
      }
      default:
        this.putValue(key, String(value));
    }
  }

  /** Every field of an object, flattened. */
  addAll(doc: Record<string, unknown>): void {
    for (const key of Object.keys(doc)) this.add(key, doc[key]);
  }

  private putValue(key: string, value: AttrValue): void {
    this.put(key, value, typeof value === 'string' ? jsonBytes(value) : String(value).length);
  }

  /** `valueBytes`: the value's JSON size; the entry costs `"key":value,` as the store writes it. */
  private put(key: string, value: AttrValue, valueBytes: number): void {
    this.seen ??= new Set();
    if (this.seen.has(key)) return;
    const size = jsonBytes(key) + valueBytes + 2;
    if (key.length > MAX_NAME_CHARS || this.keys.length >= MAX_ATTR_KEYS - RESERVED_KEYS || this.bytes + size > MAX_ATTR_BYTES - RESERVED_BYTES) {
      this.dropped++;
      return;
    }
    this.seen.add(key);
    this.bytes += size;
    this.keys.push(wellFormed(key));
    this.values.push(value);
  }

  /** The attributes (plus telemcp's own notes), or undefined when there are none. */
  result(notes?: Record<string, AttrValue>): Record<string, AttrValue> | undefined {
    if (this.keys.length === 0 && !this.dropped && !notes) return undefined;
    const out: Record<string, AttrValue> = {};
    for (let i = 0; i < this.keys.length; i++) setOwn(out, this.keys[i], this.values[i]);
    if (this.dropped > 0) setOwn(out, DROPPED_ATTRS_ATTR, this.dropped);
    if (notes) for (const key of Object.keys(notes)) setOwn(out, key, notes[key]);
    return out;
  }
}

/** An own property, also for the key `__proto__` (which an assignment would take as the prototype). */
function setOwn(out: Record<string, AttrValue>, key: string, value: AttrValue): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
