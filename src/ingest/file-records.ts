/**
 * `telemcp ingest`'s line → record assembler: lines go in one at a time (with their 1-based
 * numbers), records and bad-line reports come out through a sink, so a file of any size is read
 * with memory bounded by one record. Pure: the caller reads the file (cli/read-lines.ts strips the
 * `\r` of CRLF and decodes invalid UTF-8 to U+FFFD; a `\r` left at a line's end is dropped here too).
 *
 * Formats (`--format`):
 *  - `ndjson` / `ecs`: one JSON object a line, mapped by document.ts (ECS and flat field names;
 *    `ecs` is the same reader, named for what the file holds);
 *  - `logfmt`: `key=value` pairs (analysis/templates/logfmt.ts), message from `msg`/`message`;
 *  - `syslog`: RFC 3164 / RFC 5424 lines (syslog.ts): host, service = app name, level from PRI;
 *  - `plain`: a leading timestamp and level word are read off (line-reader.ts), the rest is the message;
 *  - `auto`: decided from the first 50 non-blank lines (line-reader.ts's detectFormat, plus
 *    syslog when most sample lines parse as syslog), which are held until then.
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
 * (`previous_record` / `ingest_time`), so nobody mistakes the guess for the line's own time.
 *
 * Bad lines — in a structured format, a line that is neither of the format nor a continuation;
 * a JSON object whose `@timestamp` is not a time — are reported with their line number and
 * reason and skipped; the batch goes on. A plain-text line is never bad.
 */
import { DETECT_SAMPLE_LINES, createLineReader, detectFormat, readLogfmtPairs, type Doc } from '../analysis/templates/line-reader.js';
import { parseLogfmt } from '../analysis/templates/logfmt.js';
import { AttrCollector, MAX_MESSAGE_BYTES, capName } from './bounds.js';
import { finishRecord, readDocument, type DocumentRecord } from './document.js';
import { levelFromText, normalizeLevel } from './level.js';
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
  /** The year of timestamps that carry none (syslog's `Jun 17 07:07:00`). Default: the current UTC year. */
  defaultYear?: number;
  /** The time given to records when no record before them had one (epoch ms). Default: now. */
  receivedAt?: number;
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
}

export const MAX_LINES_PER_RECORD = 500;

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

function isSyslogSample(sample: readonly string[], year: number): boolean {
  const lines = sample.filter((l) => !BLANK.test(l));
  const syslog = lines.filter((l) => parseSyslogLine(l, year) !== undefined).length;
  return lines.length > 0 && syslog * 2 >= lines.length;
}

/** The format `auto` settles on for a sample of a file's first non-blank lines. */
export function detectFileFormat(sample: readonly string[], year = new Date().getUTCFullYear()): ResolvedFileFormat {
  const detected = detectFormat(sample);
  if (detected === 'json') return 'ndjson';
  if (detected === 'logfmt') return 'logfmt';
  return isSyslogSample(sample, year) ? 'syslog' : 'plain';
}

export function createFileRecordAssembler(opts: FileRecordOptions, sink: FileRecordSink): FileRecordAssembler {
  const year = opts.defaultYear ?? new Date().getUTCFullYear();
  const receivedAt = opts.receivedAt ?? Date.now();
  const plain = createLineReader('plain', { year });
  const defaultService = capName(opts.service);
  let format: ResolvedFileFormat | undefined = opts.format === 'auto' ? undefined : opts.format;
  const held: [string, number][] = [];
  let pending: Pending | undefined;
  let lastTs: number | undefined;

  function flush(): void {
    if (!pending) return;
    const { record: draft, parts, firstLine } = pending;
    pending = undefined;
    const inferred = draft.ts === undefined ? (lastTs === undefined ? 'ingest_time' : 'previous_record') : undefined;
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
    return CONTINUATION.test(line) || TRACEBACK.test(line) || endsTraceback();
  }

  /** The first unindented line after a traceback's frames is its exception (`ValueError: …`). */
  function endsTraceback(): boolean {
    if (!pending?.inTraceback) return false;
    pending.inTraceback = false;
    return true;
  }

  function fromDocument(doc: Doc): Started {
    const read = readDocument(doc, { dataset: opts.dataset, year, service: opts.service });
    return read.ok ? { ok: true, record: read.record, timed: read.record.ts !== undefined } : read;
  }

  function fromLogfmt(line: string): Started | undefined {
    const pairs = parseLogfmt(line);
    if (!pairs) return undefined;
    const { message, messageKey, header } = readLogfmtPairs(pairs, year);
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
    const parsed = parseSyslogLine(line, year);
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
    const level = parsed.severity !== undefined ? SYSLOG_LEVELS[parsed.severity] : levelFromText(parsed.message);
    if (level) record.level = level;
    const host = capName(parsed.host);
    if (host) record.host = host;
    return { ok: true, timed: parsed.time !== undefined, record };
  }

  function fromPlain(line: string): Started {
    const read = plain.read(line)!;
    const record: DocumentRecord = { dataset: opts.dataset, message: read.message, attrs: new AttrCollector() };
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
        if (pending && (CONTINUATION.test(line) || TRACEBACK.test(line))) return append(line, lineNumber);
        const started = fromPlain(line) as Extract<Started, { ok: true }>;
        if (!started.timed && (pending?.joinsUntimed || endsTraceback())) return append(line, lineNumber);
        return begin(started, lineNumber, started.timed);
      }
    }
  }

  function settle(): void {
    format = detectFileFormat(
      held.map(([l]) => l),
      year,
    );
    for (const [line, n] of held) handle(line, n, format);
    held.length = 0;
  }

  return {
    get format() {
      return format;
    },
    push(raw, lineNumber) {
      let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      if (BLANK.test(line)) return;
      if (format) return handle(line, lineNumber, format);
      held.push([line, lineNumber]);
      if (held.length >= DETECT_SAMPLE_LINES) settle();
    },
    end() {
      if (!format && held.length) settle();
      flush();
    },
    detectNow() {
      if (!format && held.length) settle();
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
