/**
 * `telemcp ingest`'s line → record assembler: lines go in one at a time (with their 1-based
 * numbers), records and bad-line reports come out through a sink, so a file of any size is read
 * with memory bounded by one record and the first lines held for learning. Pure: the caller reads
 * the file (cli/read-lines.ts strips the `\r` of CRLF and decodes invalid UTF-8 to U+FFFD; a `\r`
 * left at a line's end is dropped here too).
 *
 * Formats (`--format`):
 *  - `ndjson` / `ecs`: one JSON object a line, mapped by document.ts (ECS and flat field names;
 *    `ecs` is the same reader, named for what the file holds);
 *  - `logfmt`: `key=value` pairs (analysis/templates/logfmt.ts), message from `msg`/`message`;
 *  - `syslog`: RFC 3164 / RFC 5424 lines (syslog.ts): host, service = app name, level from PRI,
 *    else from the field of the message that holds one in most of the first lines;
 *  - `plain`: the timestamp and level are read where the layout learned from the first lines puts
 *    them (plain-text.ts; `--timestamp-format` and `--log-format` override the guess);
 *  - `auto`: decided from the first 50 non-blank lines (line-reader.ts's detectFormat, plus
 *    syslog when most sample lines parse as syslog), which are held until then.
 * Plain text and syslog are held longer, up to 1,000 lines or 1 Mi characters, to learn their
 * layout from; a slow stream's lines are passed on before that (detectNow).
 *
 * Multi-line records: a line that continues the previous record is appended to its message with
 * `\n`: a line starting with whitespace (Java's `\tat …`, `\t... 5 more`, Python's `  File "…"`),
 * `at …`, `Caused by:`, `Suppressed:`, `... N more`, an exception line (`java.lang.IllegalStateException: …`,
 * `Exception in thread "main" …`), Python's `Traceback (most recent call last):`, the chained-exception
 * sentences and the exception line that ends a traceback. In a plain-text file whose records start
 * with a timestamp, every line without one continues the record before it. A record holds at most
 * 500 lines and 32 KiB: the line past either bound starts a new record (its time inherited), so a
 * file with one timestamp at the top does not become one record, and no line is lost.
 *
 * A record with no readable time takes the time of the record before it (files are written in
 * time order, and this keeps a stray untimed line next to its neighbours), or the ingest time when
 * no record before it had one; either way it is marked in `telemcp.time_inferred`
 * (`previous_record` / `ingest_time`), so nobody mistakes the guess for the line's own time, and
 * counted by line in `untimed` for the report, beside the lines that joined a timed record.
 *
 * Bad lines — in a structured format, a line that is neither of the format nor a continuation;
 * a JSON object whose `@timestamp` is not a time — are reported with their line number and
 * reason and skipped; the batch goes on. A plain-text line is never bad.
 */
import { LAYOUT_SAMPLE_LINES, learnMessageLevel } from '../analysis/templates/line-layout.js';
import { DETECT_SAMPLE_LINES, detectFormat, readLogfmtPairs, type Doc } from '../analysis/templates/line-reader.js';
import type { LogFormat } from '../analysis/templates/log-format.js';
import { parseLogfmt } from '../analysis/templates/logfmt.js';
import type { StampDefaults, TimeFormat } from '../analysis/templates/time-format.js';
import { AttrCollector, MAX_MESSAGE_BYTES, capName } from './bounds.js';
import { finishRecord, readDocument, type DocumentRecord } from './document.js';
import { levelFromText, normalizeLevel } from './level.js';
import { createPlainReader, type PlainReader } from './plain-text.js';
import type { IngestRecord } from './record.js';
import { SYSLOG_LEVELS, parseSyslogLine } from './syslog.js';

export type FileFormat = 'auto' | 'ndjson' | 'ecs' | 'logfmt' | 'syslog' | 'plain';
export type ResolvedFileFormat = Exclude<FileFormat, 'auto'>;

export interface FileRecordOptions {
  format: FileFormat;
  /** The dataset every record of the file goes to. */
  dataset: string;
  /** The service of records that name none (plain text always; JSON, logfmt and syslog lines without one). */
  service?: string;
  /** The year of timestamps that carry none (syslog's `Jun 17 07:07:00`). Default: the latest that does not put them after receivedAt. */
  defaultYear?: number;
  /** The time given to records when no record before them had one (epoch ms). Default: now. */
  receivedAt?: number;
  /** The format of plain-text timestamps (`--timestamp-format`), instead of the one learned. */
  timestampFormat?: TimeFormat;
  /** The header of plain-text lines (`--log-format`), instead of the layout learned. */
  logFormat?: LogFormat;
}

/** Lines that had no timestamp of their own, by what they got. */
export interface UntimedLines {
  /** Joined to a timed record (continuations): its time. */
  continued: number;
  /** In a record without a time: the previous record's. */
  previousRecord: number;
  /** In a record without a time and none before it: the ingest time. */
  ingestTime: number;
}

export interface BadLine {
  /** 1-based line number. */
  line: number;
  reason: string;
}

export interface FileRecordSink {
  /** A finished record and the number of the line it started on. */
  record(record: IngestRecord, line: number): void;
  bad(bad: BadLine): void;
}

export interface FileRecordAssembler {
  push(line: string, lineNumber: number): void;
  /** Emits the last record (and, for `auto`, everything held for detection). */
  end(): void;
  /**
   * For `auto`: decides the format from the lines held so far instead of waiting for 50, and
   * passes them on. A slow stream (`tail -f | telemcp ingest -`) calls it when lines have waited
   * long enough, so they are stored as they come rather than once 50 have arrived.
   */
  detectNow(): void;
  /** The format lines are read as; undefined while `auto` is still sampling. */
  readonly format: ResolvedFileFormat | undefined;
  /** How plain-text or syslog lines are read, in words, once learned; undefined for other formats or when none was learned. */
  readonly layout: string | undefined;
  readonly untimed: Readonly<UntimedLines>;
}

export const MAX_LINES_PER_RECORD = 500;
/** Characters held to learn a layout from, at most (besides LAYOUT_SAMPLE_LINES): long lines must not hold the memory. */
export const LAYOUT_SAMPLE_CHARS = 1 << 20;

// Shapes of a line that continues the record before it, tried on every line as one alternation:
// whitespace-led frames, `at …`, `Caused by:`, `Suppressed:`, `... N more`, `Exception in thread "…"`,
// a qualified exception class, Python's chained-exception sentences.
const CONTINUATION_SHAPES = [
  '\\s+\\S',
  'at\\s+\\S',
  'Caused by:',
  'Suppressed:',
  '\\.\\.\\. \\d+ (?:more|common frames omitted)',
  'Exception in thread "',
  '(?:[a-zA-Z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error|Throwable)(?::|$)',
  'During handling of the above exception, another exception occurred:',
  'The above exception was the direct cause of the following exception:',
];
const CONTINUATION = new RegExp(`^(?:${CONTINUATION_SHAPES.join('|')})`);
const TRACEBACK = /^Traceback \(most recent call last\):/;
const BLANK = /^\s*$/;

interface Pending {
  /** The record as its first line gave it; the message is made of `parts` when it is emitted. */
  record: DocumentRecord;
  parts: string[];
  bytes: number;
  firstLine: number;
  /** Untimed lines after it are its continuation (plain text whose records start with a time). */
  joinsUntimed: boolean;
  inTraceback: boolean;
}

type Started = { ok: true; record: DocumentRecord; timed: boolean } | { ok: false; reason: string };

function utf8Length(text: string): number {
  return text.length * 3 <= MAX_MESSAGE_BYTES ? text.length : Buffer.byteLength(text, 'utf8');
}

function jsonLine(line: string): { doc: Doc } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    return { reason: `not JSON: ${text.length > 160 ? `${text.slice(0, 160)}…` : text}` };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { doc: value as Doc };
  return { reason: `a JSON ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value}, not an object` };
}

function isSyslogSample(sample: readonly string[], dates: StampDefaults): boolean {
  const lines = sample.filter((l) => !BLANK.test(l));
  const syslog = lines.filter((l) => parseSyslogLine(l, dates) !== undefined).length;
  return lines.length > 0 && syslog * 2 >= lines.length;
}

/** The format `auto` settles on for a sample of a file's first non-blank lines. */
export function detectFileFormat(sample: readonly string[], dates: StampDefaults = { now: Date.now() }): ResolvedFileFormat {
  const detected = detectFormat(sample);
  if (detected === 'json') return 'ndjson';
  if (detected === 'logfmt') return 'logfmt';
  return isSyslogSample(sample, dates) ? 'syslog' : 'plain';
}

/** A syslog file's layout in words, from its first line and the message field that holds a level (learnMessageLevel). */
function describeSyslog(first: string, levelField: number | undefined, dates: StampDefaults): string {
  const pri = /^<\d{1,3}>/.exec(first);
  const kind = pri && /^\d{1,2} /.test(first.slice(pri[0].length))
    ? 'RFC 5424 syslog'
    : /^[A-Z][a-z]{2} /.test(first.slice(pri?.[0].length ?? 0))
      ? `RFC 3164 syslog, MMM d HH:mm:ss (no year: ${dates.year ?? 'the latest that is not in the future'})`
      : 'RFC 3164 syslog with an RFC 3339 time';
  const level = [...(pri ? ['level from PRI'] : []), ...(levelField !== undefined ? [`level in field ${levelField + 1} of the message`] : [])];
  return `${kind}, ${level.length ? level.join(', else ') : 'no level'}`;
}

/** Whether a line continues the record before it by its shape alone (a stack frame, a traceback's start). */
function continuesByShape(line: string): boolean {
  return CONTINUATION.test(line) || TRACEBACK.test(line);
}

export function createFileRecordAssembler(opts: FileRecordOptions, sink: FileRecordSink): FileRecordAssembler {
  const receivedAt = opts.receivedAt ?? Date.now();
  const dates: StampDefaults = opts.defaultYear === undefined ? { now: receivedAt } : { now: receivedAt, year: opts.defaultYear };
  const defaultService = capName(opts.service);
  const untimed: UntimedLines = { continued: 0, previousRecord: 0, ingestTime: 0 };
  let format: ResolvedFileFormat | undefined = opts.format === 'auto' ? undefined : opts.format;
  /** Lines held until the format, and for plain text and syslog the layout, are known. */
  const held: [string, number][] = [];
  let heldChars = 0;
  let learned = false;
  let plain: PlainReader | undefined;
  let syslogLevel: ReturnType<typeof learnMessageLevel>;
  let syslogLayout: string | undefined;
  let pending: Pending | undefined;
  let lastTs: number | undefined;

  function flush(): void {
    if (!pending) return;
    const { record: draft, parts, firstLine } = pending;
    pending = undefined;
    const inferred = draft.ts === undefined ? (lastTs === undefined ? 'ingest_time' : 'previous_record') : undefined;
    if (inferred === 'ingest_time') untimed.ingestTime += parts.length;
    else if (inferred === 'previous_record') untimed.previousRecord += parts.length;
    else untimed.continued += parts.length - 1;
    const ts = draft.ts ?? lastTs ?? receivedAt;
    lastTs = ts;
    sink.record(finishRecord(draft, ts, parts.length === 1 ? parts[0] : parts.join('\n'), inferred), firstLine);
  }

  function begin(started: Extract<Started, { ok: true }>, line: number, joinsUntimed: boolean): void {
    flush();
    const { message } = started.record;
    pending = { record: started.record, parts: [message], bytes: utf8Length(message), firstLine: line, joinsUntimed, inTraceback: TRACEBACK.test(message) };
  }

  /** Appends a continuation line; past a record's bounds it starts the next record instead. */
  function append(line: string, lineNumber: number): void {
    const p = pending!;
    const bytes = utf8Length(line) + 1;
    if (p.parts.length >= MAX_LINES_PER_RECORD || p.bytes + bytes > MAX_MESSAGE_BYTES) {
      // The rest of an over-long record: same source, its time inherited, no level of its own.
      const { dataset, service, host, traceId } = p.record;
      const record: DocumentRecord = { dataset, message: line, attrs: new AttrCollector() };
      if (service) record.service = service;
      if (host) record.host = host;
      if (traceId) record.traceId = traceId;
      const inTraceback = p.inTraceback;
      begin({ ok: true, record, timed: false }, lineNumber, p.joinsUntimed);
      pending!.inTraceback = inTraceback;
      return;
    }
    p.parts.push(line);
    p.bytes += bytes;
    if (TRACEBACK.test(line)) p.inTraceback = true;
  }

  /** Whether a line continues the pending record by its shape alone. */
  function continues(line: string): boolean {
    if (!pending) return false;
    return continuesByShape(line) || endsTraceback();
  }

  /** The first unindented line after a traceback's frames is its exception (`ValueError: …`). */
  function endsTraceback(): boolean {
    if (!pending?.inTraceback) return false;
    pending.inTraceback = false;
    return true;
  }

  function fromDocument(doc: Doc): Started {
    const read = readDocument(doc, { dataset: opts.dataset, dates, service: opts.service });
    return read.ok ? { ok: true, record: read.record, timed: read.record.ts !== undefined } : read;
  }

  function fromLogfmt(line: string): Started | undefined {
    const pairs = parseLogfmt(line);
    if (!pairs) return undefined;
    const { message, messageKey, header } = readLogfmtPairs(pairs, dates);
    const values = new Map<string, string>();
    for (const [key, value] of pairs) if (!values.has(key)) values.set(key, value);
    const host = ['host', 'hostname', 'host.name'].find((k) => values.get(k));
    const trace = ['trace_id', 'traceID', 'traceId', 'trace.id'].find((k) => values.get(k));
    const used = new Set([messageKey, header.time?.key, header.level?.key, header.service?.key, host, trace].filter((k): k is string => k !== undefined));
    const attrs = new AttrCollector(used);
    // Without `msg` the message is made of the pairs themselves; they are not repeated as attributes.
    if (messageKey !== undefined) for (const [key, value] of values) attrs.add(key, value);
    // `msg=""` leaves the line itself as the message: a record's message is never empty.
    const record: DocumentRecord = { dataset: opts.dataset, message: message.trim() === '' ? line : message, attrs };
    if (header.time) record.ts = header.time.value;
    const service = capName(header.service?.value) ?? defaultService;
    if (service) record.service = service;
    const level = normalizeLevel(header.level?.value) ?? levelFromText(message);
    if (level) record.level = level;
    const traceId = capName(trace && values.get(trace));
    if (traceId) record.traceId = traceId;
    const hostName = capName(host && values.get(host));
    if (hostName) record.host = hostName;
    return { ok: true, timed: header.time !== undefined, record };
  }

  function fromSyslog(line: string): Started | undefined {
    const parsed = parseSyslogLine(line, dates);
    if (!parsed) return undefined;
    const attrs = new AttrCollector();
    if (parsed.procId !== undefined) attrs.add('process.pid', /^\d+$/.test(parsed.procId) ? Number(parsed.procId) : parsed.procId);
    if (parsed.msgId !== undefined) attrs.add('syslog.msgid', parsed.msgId);
    if (parsed.facility !== undefined) attrs.add('syslog.facility', parsed.facility);
    for (const [key, value] of Object.entries(parsed.structured ?? {})) attrs.add(key, value);
    const record: DocumentRecord = { dataset: opts.dataset, message: parsed.message.trim() === '' ? line : parsed.message, attrs };
    if (parsed.time !== undefined) record.ts = parsed.time;
    const service = capName(parsed.app) ?? defaultService;
    if (service) record.service = service;
    const level = parsed.severity !== undefined ? SYSLOG_LEVELS[parsed.severity] : normalizeLevel(syslogLevel?.read(parsed.message));
    if (level) record.level = level;
    const host = capName(parsed.host);
    if (host) record.host = host;
    return { ok: true, timed: parsed.time !== undefined, record };
  }

  /** A plain-text line as a record; one that does not match the `--log-format` header is its own message, untimed. */
  function fromPlain(line: string): Extract<Started, { ok: true }> {
    const read = plain!.read(line) ?? { message: line };
    const attrs = new AttrCollector();
    if (read.fields) for (const [key, value] of read.fields) attrs.add(key, value);
    const record: DocumentRecord = { dataset: opts.dataset, message: read.message, attrs };
    if (read.time !== undefined) record.ts = read.time;
    if (defaultService) record.service = defaultService;
    const level = normalizeLevel(read.level);
    if (level) record.level = level;
    return { ok: true, timed: read.time !== undefined, record };
  }

  function structured(line: string, lineNumber: number, started: Started | undefined, notOfFormat: string): void {
    if (started?.ok) return begin(started, lineNumber, false);
    if (started && !started.ok) return sink.bad({ line: lineNumber, reason: started.reason });
    if (continues(line)) return append(line, lineNumber);
    sink.bad({ line: lineNumber, reason: pending ? notOfFormat : `${notOfFormat}, and no record before it to continue` });
  }

  function handle(line: string, lineNumber: number, as: ResolvedFileFormat): void {
    switch (as) {
      case 'ndjson':
      case 'ecs': {
        const parsed = jsonLine(line);
        if ('doc' in parsed) return structured(line, lineNumber, fromDocument(parsed.doc), 'not a JSON object');
        if (continues(line)) return append(line, lineNumber);
        return sink.bad({ line: lineNumber, reason: parsed.reason });
      }
      case 'logfmt':
        return structured(line, lineNumber, fromLogfmt(line), 'not logfmt (key=value pairs)');
      case 'syslog':
        return structured(line, lineNumber, fromSyslog(line), 'not a syslog line (RFC 3164 or RFC 5424)');
      case 'plain': {
        // A timestamped line always starts a record, even right after a traceback's frames.
        if (pending && continuesByShape(line)) return append(line, lineNumber);
        const started = fromPlain(line);
        if (!started.timed && (pending?.joinsUntimed || endsTraceback())) return append(line, lineNumber);
        return begin(started, lineNumber, started.timed);
      }
    }
  }

  /** Plain text and syslog are held for LAYOUT_SAMPLE_LINES lines; the other formats need none. */
  function needsLayout(): boolean {
    return format === 'plain' || format === 'syslog';
  }

  /** Decides what is still open (the format, the layout) from the lines held, and passes them on. */
  function settle(): void {
    const sample = held.map(([l]) => l);
    format ??= detectFileFormat(sample.slice(0, DETECT_SAMPLE_LINES), dates);
    if (format === 'plain') {
      plain = createPlainReader(sample, { dates, timestampFormat: opts.timestampFormat, logFormat: opts.logFormat, continues: continuesByShape });
    } else if (format === 'syslog') {
      const messages = sample.map((l) => parseSyslogLine(l, dates)).filter((p) => p !== undefined && p.severity === undefined).map((p) => p!.message);
      syslogLevel = learnMessageLevel(messages);
      syslogLayout = describeSyslog(sample[0] ?? '', syslogLevel?.field, dates);
    }
    learned = true;
    for (const [line, n] of held) handle(line, n, format);
    held.length = 0;
    heldChars = 0;
  }

  return {
    get format() {
      return format;
    },
    get layout() {
      if (format === 'plain') return plain?.layout;
      return format === 'syslog' ? syslogLayout : undefined;
    },
    get untimed() {
      return untimed;
    },
    push(raw, lineNumber) {
      let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      if (BLANK.test(line)) return;
      if (learned) return handle(line, lineNumber, format!);
      held.push([line, lineNumber]);
      heldChars += line.length;
      if (!format && held.length >= DETECT_SAMPLE_LINES) format = detectFileFormat(held.slice(0, DETECT_SAMPLE_LINES).map(([l]) => l), dates);
      if (format && (!needsLayout() || held.length >= LAYOUT_SAMPLE_LINES || heldChars >= LAYOUT_SAMPLE_CHARS)) settle();
    },
    end() {
      if (!learned && held.length) settle();
      flush();
    },
    detectNow() {
      if (!learned && held.length) settle();
    },
  };
}

export interface FileRecordsResult {
  format: ResolvedFileFormat;
  records: IngestRecord[];
  bad: BadLine[];
}

/** All records of a file's lines at once (small inputs, tests); numbers lines from 1. */
export function parseFileLines(lines: Iterable<string>, opts: FileRecordOptions): FileRecordsResult {
  const records: IngestRecord[] = [];
  const bad: BadLine[] = [];
  const assembler = createFileRecordAssembler(opts, { record: (r) => records.push(r), bad: (b) => bad.push(b) });
  let n = 0;
  for (const line of lines) assembler.push(line, ++n);
  assembler.end();
  return { format: assembler.format ?? (opts.format === 'auto' ? 'plain' : opts.format), records, bad };
}
