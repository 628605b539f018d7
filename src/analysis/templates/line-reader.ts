import type { LogFormat } from './log-format.js';
import { formatLogfmtPair, parseLogfmt } from './logfmt.js';
import { leadingTimestamp, timeValue } from './timestamp.js';

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
}

export interface LineReaderOptions {
  /** The year for timestamps that carry none (syslog `Jun 17 07:07:00`). Default: the current UTC year. */
  year?: number;
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

type Doc = Record<string, unknown>;

function withoutBom(line: string): string {
  return line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
}

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The line as a JSON object, or undefined (not JSON, or JSON but not an object). */
function jsonObject(text: string): Doc | undefined {
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
function field(doc: Doc, path: string): unknown {
  if (Object.hasOwn(doc, path)) return doc[path];
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (!isObject(value) || !Object.hasOwn(value, part)) return undefined;
    value = value[part];
  }
  return value;
}

function firstString(get: (key: string) => unknown, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = get(key);
    if (typeof value === 'string') return value;
  }
  return undefined;
}

function levelName(value: unknown): string | undefined {
  if (typeof value === 'number') return NUMERIC_LEVELS[value] ?? String(value);
  return typeof value === 'string' && value !== '' ? value.toUpperCase() : undefined;
}

function firstTime(get: (key: string) => unknown, year: number): number | undefined {
  for (const key of TIME_KEYS) {
    const time = timeValue(get(key), year);
    if (time !== undefined) return time;
  }
  return undefined;
}

/** The message field's text, and the document it holds when the text is itself a JSON object. */
function messageField(doc: Doc): { text: string; wrapped?: Doc } | undefined {
  for (const key of MESSAGE_KEYS) {
    const value = field(doc, key);
    if (typeof value === 'string') return { text: value, wrapped: jsonObject(value) };
    if (isObject(value) && typeof value.message === 'string') return { text: value.message };
  }
  return undefined;
}

/** The optional header fields of a ParsedLine, without keys for what the line did not say. */
function headerFields(time: number | undefined, level: string | undefined, service?: string): Pick<ParsedLine, 'time' | 'level' | 'service'> {
  return { ...(time !== undefined ? { time } : {}), ...(level ? { level } : {}), ...(service ? { service } : {}) };
}

function readJson(line: string, year: number): ParsedLine {
  const outer = jsonObject(line);
  if (!outer) return { message: line, parsed: false };
  const found = messageField(outer);
  // A wrapped document with a message of its own is the real line: its fields come first, the
  // wrapper's fill the gaps. One without (`"msg":"{\"a\":1}"`) is just the message text.
  const inner = found?.wrapped && messageField(found.wrapped);
  const doc = inner ? found.wrapped! : outer;
  const message = inner ? inner.text : found?.text;
  const get = (key: string): unknown => field(doc, key) ?? field(outer, key);
  const header = headerFields(firstTime(get, year), levelName(LEVEL_KEYS.map(get).find((v) => v !== undefined)), firstString(get, SERVICE_KEYS));
  // Shippers keep the line's newline in the message (Docker's `log`); it is not part of the text.
  return message === undefined ? { message: line, ...header, parsed: false } : { message: message.trimEnd(), ...header, parsed: true };
}

function readLogfmt(line: string, year: number): ParsedLine {
  const pairs = parseLogfmt(line);
  if (!pairs) return { message: line, parsed: false };
  const values = new Map<string, string>();
  for (const [key, value] of pairs) if (!values.has(key)) values.set(key, value);
  const get = (key: string): unknown => values.get(key);
  const message =
    firstString(get, LOGFMT_MESSAGE_KEYS) ??
    pairs
      .filter(([key]) => !LOGFMT_HEADER_KEYS.has(key))
      .map(([key, value]) => formatLogfmtPair(key, value))
      .join(' ');
  return { message, ...headerFields(firstTime(get, year), levelName(firstString(get, LEVEL_KEYS)), firstString(get, SERVICE_KEYS)), parsed: true };
}

function stickyMatch(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

function readPlain(line: string, year: number): ParsedLine {
  let at = 0;
  const stamp = leadingTimestamp(line, year);
  if (stamp) at = stamp.end + (stickyMatch(SEPARATOR, line, stamp.end)?.[0].length ?? 0);
  const level = stickyMatch(BRACKETED_LEVEL, line, at) ?? stickyMatch(BARE_LEVEL, line, at);
  if (level) at += level[0].length + (stickyMatch(SEPARATOR, line, at + level[0].length)?.[0].length ?? 0);
  // A line that is only a header keeps its text, so it is still mined as something.
  const message = at < line.length ? line.slice(at) : line;
  return { message, ...headerFields(stamp?.time, level?.[1].toUpperCase()), parsed: true };
}

function currentYear(opts: LineReaderOptions): number {
  return opts.year ?? new Date().getUTCFullYear();
}

/** A reader for one of the formats detectFormat returns. */
export function createLineReader(format: DetectedFormat, opts: LineReaderOptions = {}): LineReader {
  const year = currentYear(opts);
  const readers: Record<DetectedFormat, (line: string, year: number) => ParsedLine> = { json: readJson, logfmt: readLogfmt, plain: readPlain };
  const read = readers[format];
  return {
    format,
    read(raw) {
      const line = withoutBom(raw);
      return NON_BLANK.test(line) ? read(line, year) : undefined;
    },
  };
}

const HEADER_TIME_FIELDS = ['Month', 'Date', 'Day', 'Time'];

/** A reader for a `--log-format` (compileLogFormat); the format must name `<Content>`. */
export function createLogFormatReader(format: LogFormat, opts: LineReaderOptions = {}): LineReader {
  const year = currentYear(opts);
  const timeFields = HEADER_TIME_FIELDS.filter((f) => format.fields.includes(f));
  return {
    format: 'log-format',
    read(raw) {
      const line = withoutBom(raw);
      if (!NON_BLANK.test(line)) return undefined;
      const fields = format.parse(line);
      if (fields?.Content === undefined) return { message: line, parsed: false };
      const time = timeValue(fields.Timestamp, year) ?? (timeFields.length ? timeValue(timeFields.map((f) => fields[f]).join(' '), year) : undefined);
      return { message: fields.Content, ...headerFields(time, levelName(fields.Level)), parsed: true };
    },
  };
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
