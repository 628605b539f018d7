import type { LogFormat } from './log-format.js';
import { formatLogfmtPair, parseLogfmt, type LogfmtPairs } from './logfmt.js';
import { epochToMs, leadingTimestamp, timeValue, type StampDefaults } from './timestamp.js';

/**
 * From one raw log line to the message the template miner should see, plus what the line says
 * about itself (time, level, service). The header is what makes two lines of one kind look
 * different (every line has its own timestamp), so it is taken off before mining.
 *
 * Formats, detected from the first lines of a file (detectFormat) or named by `--log-format`:
 *  - json: one object per line; the message is the first string among `message`, `msg`, `log`,
 *    `@message`, `event.original`, `body` (dotted names are looked up flat and nested). A message
 *    that is itself a JSON object (an ECS line wrapped by Docker's `log` or a shipper's
 *    `message`) is read as the document; a message field holding an object with a `message`
 *    string (`"body":{"message":…}`) gives that string.
 *  - logfmt: `key=value` pairs; the message is `msg` or `message`, else the pairs other than
 *    time and level.
 *  - plain: a leading timestamp (timestamp.ts lists the forms) and a level word (`ERROR`,
 *    `[error]`, `WARN:`) are taken off; the rest is the message.
 *  - log-format: the Loghub header syntax (log-format.ts); the message is `<Content>`, the time
 *    comes from `<Timestamp>` or `<Month> <Date> <Day> <Time>` when they form a recognised
 *    timestamp, the level from `<Level>`.
 * A line its format cannot read (not JSON in a JSON file, a header that does not match) is mined
 * whole and flagged `parsed: false`, so no line is lost and the caller can count them.
 *
 * readJsonDocument and readLogfmtPairs expose the same field picking with the key each field came
 * from, for callers that keep the other fields (`telemcp ingest` stores them as attributes).
 */
export type DetectedFormat = 'json' | 'logfmt' | 'plain';
export type LineFormat = DetectedFormat | 'log-format';

export interface ParsedLine {
  message: string;
  /** Epoch ms, when the line carried a time telemcp could read. */
  time?: number;
  /** Upper-cased as written (`WARN`, `WARNING`); pino's numeric levels become their names. */
  level?: string;
  service?: string;
  /** False when the line did not fit the format and `message` is the whole line. */
  parsed: boolean;
}

export interface LineReader {
  readonly format: LineFormat;
  /** The line's message and header fields; undefined for a blank line (nothing to mine). */
  read(line: string): ParsedLine | undefined;
  /**
   * `read` for an ASCII line held as bytes [start, end), taken apart in place: fills `out` as
   * read would (the message as a range of the bytes) and returns true; returns false when the
   * line is to be read as text (a blank line, one this cannot split in place). Only readers of
   * formats that can have it.
   */
  readAscii?(bytes: Buffer, start: number, end: number, out: AsciiLine): boolean;
}

/** A ParsedLine of an ASCII line read in place (always `parsed`): the message is bytes [messageStart, messageEnd). */
export interface AsciiLine {
  messageStart: number;
  messageEnd: number;
  time?: number;
  level?: string;
}

export interface LineReaderOptions {
  /**
   * The year for timestamps that carry none (syslog `Jun 17 07:07:00`). Default: the latest year
   * that does not put the line in the future (time-format.ts).
   */
  year?: number;
  /** Epoch ms the lines are read at, for that default. Default: now. */
  now?: number;
}

/** Non-blank lines looked at to detect the format. */
export const DETECT_SAMPLE_LINES = 50;

const MESSAGE_KEYS = ['message', 'msg', 'log', '@message', 'event.original', 'body'];
const TIME_KEYS = ['@timestamp', 'timestamp', 'time', 'ts'];
const LEVEL_KEYS = ['level', 'log.level', 'lvl', 'severity'];
const SERVICE_KEYS = ['service.name', 'service', 'app'];
const LOGFMT_MESSAGE_KEYS = ['msg', 'message'];
/** Left out of a logfmt line's message when it has no `msg`: they differ on every line. */
const LOGFMT_HEADER_KEYS = new Set([...TIME_KEYS, ...LEVEL_KEYS]);
/** pino and bunyan write levels as numbers. */
const NUMERIC_LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_WORDS = 'TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRIT|CRITICAL|ALERT|EMERG|FATAL|SEVERE';
// A bare level word must be upper-case ("error while reading" is a message); bracketed, any case.
const BRACKETED_LEVEL = new RegExp(`\\[(${LEVEL_WORDS})\\](?=\\s|:|$)`, 'iy');
const BARE_LEVEL = new RegExp(`(${LEVEL_WORDS})(?=\\s|:|$)`, 'y');
/** Whitespace and at most one separator (`-`, `|`, `:`) between header parts and the message. */
const SEPARATOR = /\s*(?:[-|:](?=\s|$)\s*)?/y;
const NON_BLANK = /\S/;

export type Doc = Record<string, unknown>;

/** A field of a structured line and the (dotted) key it was read from. */
export interface PickedField<T> {
  key: string;
  value: T;
}

/** Time, level and service of a structured line, each with its key; absent when the line has none. */
export interface HeaderFields {
  time?: PickedField<number>;
  level?: PickedField<string>;
  service?: PickedField<string>;
}

/** A JSON log document as readJson reads it. */
export interface JsonDocumentFields {
  /** The document the fields come from: the one the message field wraps (Docker's `log`), else the line's own. */
  doc: Doc;
  /** The key of the line's object that carried the wrapped document, when doc is a wrapped one. */
  carrier?: string;
  /** Its key is dotted when the text sits in an object (`body.message`). */
  message?: PickedField<string>;
  /** Looked up in doc first, then in the wrapper. */
  header: HeaderFields;
}

/** logfmt pairs as readLogfmt reads them. */
export interface LogfmtFields {
  message: string;
  /** The pair the message came from; undefined when it was composed from the pairs. */
  messageKey?: string;
  header: HeaderFields;
}

function withoutBom(line: string): string {
  return line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
}

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The line as a JSON object, or undefined (not JSON, or JSON but not an object). */
export function jsonObject(text: string): Doc | undefined {
  const start = text.search(NON_BLANK);
  if (text[start] !== '{') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `a.b` as a flat key (`{"a.b":…}`, as Filebeat and many shippers write) or nested (`{"a":{"b":…}}`). */
export function documentField(doc: Doc, path: string): unknown {
  if (Object.hasOwn(doc, path)) return doc[path];
  let value: unknown = doc;
  let start = 0;
  // Walked without splitting the path: this runs for every candidate key of every line.
  while (start <= path.length) {
    const dot = path.indexOf('.', start);
    const part = dot === -1 ? path.slice(start) : path.slice(start, dot);
    if (!isObject(value) || !Object.hasOwn(value, part)) return undefined;
    value = value[part];
    if (dot === -1) break;
    start = dot + 1;
  }
  return value;
}

function pick<T>(get: (key: string) => unknown, keys: readonly string[], read: (value: unknown) => T | undefined): PickedField<T> | undefined {
  for (const key of keys) {
    const value = read(get(key));
    if (value !== undefined) return { key, value };
  }
  return undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function levelName(value: unknown): string | undefined {
  if (typeof value === 'number') return NUMERIC_LEVELS[value] ?? String(value);
  return typeof value === 'string' && value !== '' ? value.toUpperCase() : undefined;
}

/** The time, level and service of a structured line, from the first key of each kind that holds a usable value. */
export function readHeaderFields(get: (key: string) => unknown, dates: StampDefaults): HeaderFields {
  const time = pick(get, TIME_KEYS, (value) => timeValue(value, dates));
  const level = pick(get, LEVEL_KEYS, levelName);
  const service = pick(get, SERVICE_KEYS, nonEmptyString);
  return { ...(time ? { time } : {}), ...(level ? { level } : {}), ...(service ? { service } : {}) };
}

/** The message field's text and key, and the document it holds when the text is itself a JSON object. */
function messageField(doc: Doc): (PickedField<string> & { wrapped?: Doc }) | undefined {
  for (const key of MESSAGE_KEYS) {
    const value = documentField(doc, key);
    if (typeof value === 'string') return { key, value, wrapped: jsonObject(value) };
    if (isObject(value) && typeof value.message === 'string') return { key: `${key}.message`, value: value.message };
  }
  return undefined;
}

/**
 * A ParsedLine without keys for what the line did not say. Built by assignment rather than by
 * spreading partial objects: this runs once per line, and the spreads cost more than the rest of
 * the line's reading (bench/loghub/e2e.ts).
 */
function parsedLine(message: string, parsed: boolean, time: number | undefined, level: string | undefined, service?: string): ParsedLine {
  const line: ParsedLine = { message, parsed };
  if (time !== undefined) line.time = time;
  if (level) line.level = level;
  if (service) line.service = service;
  return line;
}

function fromHeader(message: string, parsed: boolean, header: HeaderFields): ParsedLine {
  return parsedLine(message, parsed, header.time?.value, header.level?.value, header.service?.value);
}

/** The message and header fields of a JSON log line's object. */
export function readJsonDocument(outer: Doc, dates: StampDefaults): JsonDocumentFields {
  const found = messageField(outer);
  // A wrapped document with a message of its own is the real line: its fields come first, the
  // wrapper's fill the gaps. One without (`"msg":"{\"a\":1}"`) is just the message text.
  const inner = found?.wrapped && messageField(found.wrapped);
  const doc = inner ? found.wrapped! : outer;
  const get = doc === outer ? (key: string): unknown => documentField(doc, key) : (key: string): unknown => documentField(doc, key) ?? documentField(outer, key);
  const message = inner || found;
  return {
    doc,
    ...(inner ? { carrier: found.key } : {}),
    ...(message ? { message: { key: message.key, value: message.value } } : {}),
    header: readHeaderFields(get, dates),
  };
}

function readJson(line: string, dates: StampDefaults): ParsedLine {
  const outer = jsonObject(line);
  if (!outer) return { message: line, parsed: false };
  const { message, header } = readJsonDocument(outer, dates);
  // Shippers keep the line's newline in the message (Docker's `log`); it is not part of the text.
  return message === undefined ? fromHeader(line, false, header) : fromHeader(message.value.trimEnd(), true, header);
}

/** The message and header fields of a logfmt line's pairs (the first of a repeated key counts). */
export function readLogfmtPairs(pairs: LogfmtPairs, dates: StampDefaults): LogfmtFields {
  const values = new Map<string, string>();
  for (const [key, value] of pairs) if (!values.has(key)) values.set(key, value);
  const get = (key: string): unknown => values.get(key);
  const header = readHeaderFields(get, dates);
  const found = pick(get, LOGFMT_MESSAGE_KEYS, (value) => (typeof value === 'string' ? value : undefined));
  if (found) return { message: found.value, messageKey: found.key, header };
  const message = pairs
    .filter(([key]) => !LOGFMT_HEADER_KEYS.has(key))
    .map(([key, value]) => formatLogfmtPair(key, value))
    .join(' ');
  return { message, header };
}

function readLogfmt(line: string, dates: StampDefaults): ParsedLine {
  const pairs = parseLogfmt(line);
  if (!pairs) return { message: line, parsed: false };
  const { message, header } = readLogfmtPairs(pairs, dates);
  return fromHeader(message, true, header);
}

function stickyMatch(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

function readPlain(line: string, dates: StampDefaults): ParsedLine {
  let at = 0;
  const stamp = leadingTimestamp(line, dates);
  if (stamp) at = stamp.end + (stickyMatch(SEPARATOR, line, stamp.end)?.[0].length ?? 0);
  const level = stickyMatch(BRACKETED_LEVEL, line, at) ?? stickyMatch(BARE_LEVEL, line, at);
  if (level) at += level[0].length + (stickyMatch(SEPARATOR, line, at + level[0].length)?.[0].length ?? 0);
  // A line that is only a header keeps its text, so it is still mined as something.
  const message = at < line.length ? line.slice(at) : line;
  return parsedLine(message, true, stamp?.time, level?.[1].toUpperCase());
}

function stampDefaults(opts: LineReaderOptions): StampDefaults {
  const now = opts.now ?? Date.now();
  return opts.year === undefined ? { now } : { now, year: opts.year };
}

/** A reader for one of the formats detectFormat returns. */
export function createLineReader(format: DetectedFormat, opts: LineReaderOptions = {}): LineReader {
  const dates = stampDefaults(opts);
  const readers: Record<DetectedFormat, (line: string, dates: StampDefaults) => ParsedLine> = { json: readJson, logfmt: readLogfmt, plain: readPlain };
  const read = readers[format];
  return {
    format,
    read(raw) {
      const line = withoutBom(raw);
      return NON_BLANK.test(line) ? read(line, dates) : undefined;
    },
  };
}

const HEADER_TIME_FIELDS = ['Month', 'Date', 'Day', 'Time'];

/** A reader for a `--log-format` (compileLogFormat); the format must name `<Content>`. */
export function createLogFormatReader(format: LogFormat, opts: LineReaderOptions = {}): LineReader {
  const dates = stampDefaults(opts);
  const timeFields = HEADER_TIME_FIELDS.filter((f) => format.fields.includes(f));
  const reader: LineReader = {
    format: 'log-format',
    read(raw) {
      const line = withoutBom(raw);
      if (!NON_BLANK.test(line)) return undefined;
      const fields = format.parse(line);
      if (fields?.Content === undefined) return { message: line, parsed: false };
      const time = timeValue(fields.Timestamp, dates) ?? (timeFields.length ? timeValue(timeFields.map((f) => fields[f]).join(' '), dates) : undefined);
      return parsedLine(fields.Content, true, time, levelName(fields.Level));
    },
  };
  const split = format.spans;
  if (!split) return reader;
  const spans = new Int32Array(2 * format.fields.length);
  const at = (field: string) => 2 * format.fields.indexOf(field);
  const content = at('Content');
  const stamp = at('Timestamp');
  const level = at('Level');
  const timeAt = timeFields.map(at);
  const text = (bytes: Buffer, i: number) => bytes.toString('latin1', spans[i], spans[i + 1]);
  // Most lines have the level of the line before: its name is kept with the text it came from.
  let lastLevel = { text: '', name: undefined as string | undefined };
  const levelAt = (bytes: Buffer, i: number): string | undefined => {
    if (!spells(bytes, spans[i], spans[i + 1], lastLevel.text)) {
      const raw = text(bytes, i);
      lastLevel = { text: raw, name: levelName(raw) };
    }
    return lastLevel.name;
  };
  reader.readAscii = (bytes, start, end, out) => {
    if (!split(bytes, start, end, spans)) return false;
    out.messageStart = spans[content];
    out.messageEnd = spans[content + 1];
    out.time =
      (stamp >= 0 ? asciiTime(bytes, spans[stamp], spans[stamp + 1], dates) : undefined) ??
      (timeAt.length ? timeValue(timeAt.map((i) => text(bytes, i)).join(' '), dates) : undefined);
    out.level = level >= 0 ? levelAt(bytes, level) : undefined;
    return true;
  };
  return reader;
}

/** Whether ASCII bytes [start, end) spell `text`. */
function spells(bytes: Buffer, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Up to 15 digits are an exact integer, as Number() reads them. */
const MAX_EXACT_DIGITS = 15;

/** timeValue of an ASCII field: an epoch number of digits alone (the usual `<Timestamp>`) is read without making its text. */
function asciiTime(bytes: Buffer, start: number, end: number, dates: StampDefaults): number | undefined {
  if (end > start && end - start <= MAX_EXACT_DIGITS) {
    let n = 0;
    let i = start;
    for (; i < end; i++) {
      const digit = bytes[i] - 0x30;
      if (digit < 0 || digit > 9) break;
      n = n * 10 + digit;
    }
    if (i === end) return epochToMs(n);
  }
  return timeValue(bytes.toString('latin1', start, end), dates);
}

/**
 * The format of a file from its first lines: JSON or logfmt when at least half of the non-blank
 * sample lines are (a JSON log may carry stack-trace lines; a plain log may hold one logfmt-looking
 * line), plain text otherwise. A logfmt line must hold two pairs, so `key=value` prose is not logfmt.
 */
export function detectFormat(sample: readonly string[]): DetectedFormat {
  let lines = 0;
  let json = 0;
  let logfmt = 0;
  for (const raw of sample) {
    const line = withoutBom(raw);
    if (!NON_BLANK.test(line)) continue;
    lines++;
    if (jsonObject(line)) json++;
    else if ((parseLogfmt(line)?.length ?? 0) >= 2) logfmt++;
  }
  if (lines === 0) return 'plain';
  if (json * 2 >= lines) return 'json';
  if (logfmt * 2 >= lines) return 'logfmt';
  return 'plain';
}
