/**
 * `POST /loki/api/v1/push` with `Content-Type: application/x-protobuf`, what Promtail and Alloy's
 * `loki.write` send by default: a snappy block (snappy-block.ts; Content-Encoding not set, or set
 * to `snappy` as some clients do) holding Loki's `logproto.PushRequest`, field numbers as in Loki's
 * pkg/push/push.proto:
 *
 *   PushRequest      { repeated StreamAdapter streams = 1; string format = 2; }
 *   StreamAdapter    { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
 *   EntryAdapter     { google.protobuf.Timestamp timestamp = 1; string line = 2;
 *                      repeated LabelPairAdapter structuredMetadata = 3; repeated LabelPairAdapter parsed = 4; }
 *   LabelPairAdapter { string name = 1; string value = 2; }
 *
 * A stream's labels are one text, the Prometheus label set `{a="b", c="d"}` (read by parseLabelSet);
 * the other fields (`format`, `hash`, `parsed`, which Loki says clients do not send) are skipped.
 * The streams and entries then become records as JSON pushes do (loki.ts), with the same answers.
 * Sources: https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs,
 * https://github.com/grafana/loki/blob/main/pkg/push/push.proto.
 *
 * The two outer messages are walked by hand, so that entries are counted as they are met and a
 * push over the limit is refused with its exact count without decoding the rest; each entry is
 * decoded by protobufjs from the schema above.
 */
import protobuf from 'protobufjs/light.js';
import { MAX_RECORDS_PER_REQUEST } from './bounds.js';
import { lokiRecords, tooManyEntries, type LokiEntryRead, type LokiPushOptions, type LokiPushResult, type LokiStreamRead } from './loki.js';
import { decompressSnappyBlock } from './snappy-block.js';

export interface LokiProtobufOptions extends LokiPushOptions {
  /** Largest body once decompressed (INGEST_MAX_BYTES), checked against the snappy preamble before decompressing. */
  maxBytes: number;
}

/**
 * Longest label set text read: real ones are a few hundred characters (Loki's defaults allow 15
 * labels of at most 1,024-character names and 2,048-character values); longer ones are refused.
 */
export const MAX_LABEL_SET_CHARS = 16 * 1024;
/** Seconds of the latest time a JSON push can carry (19 digits of nanoseconds), the same bound here. */
const MAX_SECONDS = 9_999_999_999;
/** A reason quotes at most this much of the label set it refuses. */
const QUOTED_CHARS = 80;

const WIRE_LENGTH_DELIMITED = 2;

const ENTRY = protobuf.Root.fromJSON({
  nested: {
    Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
    // Strings read as bytes (the same wire type): protobufjs refuses a string that is not valid
    // UTF-8, and one stray byte in a log file must not refuse the whole push.
    LabelPairAdapter: { fields: { name: { type: 'bytes', id: 1 }, value: { type: 'bytes', id: 2 } } },
    EntryAdapter: {
      fields: {
        timestamp: { type: 'Timestamp', id: 1 },
        line: { type: 'bytes', id: 2 },
        structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
      },
    },
  },
}).lookupType('EntryAdapter');

/** Bytes as protobufjs decodes them: an empty array (not a Uint8Array) when the field is absent. */
type DecodedBytes = Uint8Array | readonly number[];

/** An EntryAdapter as protobufjs decodes it (int64 as a Long when the long package is present, as it is here). */
interface DecodedEntry {
  timestamp?: { seconds: number | { toNumber(): number }; nanos: number } | null;
  line: DecodedBytes;
  structuredMetadata: { name: DecodedBytes; value: DecodedBytes }[];
}

interface RawStream {
  labels: string;
  entries: DecodedEntry[];
}

// ---------------------------------------------------------------------------
// The label set text
// ---------------------------------------------------------------------------

const LABEL_NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const SPACE = /[ \t\r\n]*/y;
const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };
const utf8 = new TextDecoder('utf-8');

/**
 * Bytes as text, invalid UTF-8 as U+FFFD: what the JSON reader makes of the same bytes
 * (decodeBody). An absent bytes field is protobufjs' default, an empty array, not a Uint8Array.
 */
function text(bytes: DecodedBytes): string {
  return bytes.length === 0 ? '' : utf8.decode(bytes as Uint8Array);
}

export type LabelSetResult = { ok: true; labels: Record<string, string> } | { ok: false; reason: string };

class LabelSetError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/**
 * A double-quoted value with Go's escapes, as Prometheus writes label sets (strconv.Quote):
 * `\a \b \f \n \r \t \v \\ \"`, `\xHH` and three-digit octal for single bytes (together they may
 * spell one UTF-8 character), `\uHHHH` and `\UHHHHHHHH`. Returns the value and where it ends.
 */
function quotedValue(text: string, start: number): { value: string; end: number } {
  let out = '';
  let bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length) out += utf8.decode(Uint8Array.from(bytes));
    bytes = [];
  };
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      flushBytes();
      return { value: out, end: i + 1 };
    }
    if (c === '\n') throw new LabelSetError('a quoted value holds a raw newline', i);
    if (c !== '\\') {
      flushBytes();
      out += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) break;
    if (SIMPLE_ESCAPES[e] !== undefined) {
      flushBytes();
      out += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (HEX_DIGITS[e] !== undefined) {
      const digits = text.slice(i + 2, i + 2 + HEX_DIGITS[e]);
      if (!/^[0-9A-Fa-f]+$/.test(digits) || digits.length !== HEX_DIGITS[e]) throw new LabelSetError(`\\${e} needs ${HEX_DIGITS[e]} hex digits`, i);
      const code = parseInt(digits, 16);
      if (e === 'x') bytes.push(code);
      else if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new LabelSetError(`\\${e}${digits} is not a Unicode character`, i);
      else {
        flushBytes();
        out += String.fromCodePoint(code);
      }
      i += 2 + digits.length;
    } else if (e >= '0' && e <= '7') {
      const digits = text.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 0xff) throw new LabelSetError('an octal escape needs three digits up to \\377', i);
      bytes.push(parseInt(digits, 8));
      i += 4;
    } else throw new LabelSetError(`unknown escape \\${e}`, i);
  }
  throw new LabelSetError('a quoted value is not closed', start);
}

/** Where the spaces from `at` end. */
function skipSpace(text: string, at: number): number {
  SPACE.lastIndex = at;
  SPACE.exec(text);
  return SPACE.lastIndex;
}

function readLabelSet(text: string): Record<string, string> {
  const labels = new Map<string, string>();
  let i = skipSpace(text, 0);
  if (text[i] !== '{') throw new LabelSetError('expected {', i);
  i = skipSpace(text, i + 1);
  if (text[i] !== '}') {
    for (;;) {
      LABEL_NAME.lastIndex = i;
      const name = LABEL_NAME.exec(text)?.[0];
      if (!name) throw new LabelSetError('expected a label name', i);
      i = skipSpace(text, i + name.length);
      if (text[i] !== '=' || text[i + 1] === '~') throw new LabelSetError('expected = (a label set has no other matchers)', i);
      i = skipSpace(text, i + 1);
      let value: string;
      if (text[i] === '"') ({ value, end: i } = quotedValue(text, i));
      else if (text[i] === '`') {
        // LogQL's raw string: no escapes, ends at the next backtick.
        const close = text.indexOf('`', i + 1);
        if (close === -1) throw new LabelSetError('a quoted value is not closed', i);
        value = text.slice(i + 1, close);
        i = close + 1;
      } else throw new LabelSetError('expected a quoted value', i);
      if (labels.has(name)) throw new LabelSetError(`duplicate label name ${name}`, i);
      labels.set(name, value);
      i = skipSpace(text, i);
      if (text[i] === '}') break;
      if (text[i] !== ',') throw new LabelSetError('expected , or }', i);
      i = skipSpace(text, i + 1);
    }
  }
  i = skipSpace(text, i + 1);
  if (i < text.length) throw new LabelSetError('unexpected text after }', i);
  // fromEntries defines own properties: a label named __proto__ stays a label.
  return Object.fromEntries(labels);
}

/**
 * A stream's label set text, `{name="value", …}` as Prometheus prints one (the form Loki's
 * syntax.ParseLabels reads): names `[A-Za-z_][A-Za-z0-9_]*`, values double-quoted with Go's
 * escapes or in backticks, any spacing between tokens, no duplicate names, nothing after `}`.
 * `{}` is a valid, empty set (refused by the caller as a stream without labels).
 */
export function parseLabelSet(text: string): LabelSetResult {
  const quoted = text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}…` : text;
  if (text.length > MAX_LABEL_SET_CHARS) return { ok: false, reason: `the label set is ${text.length} characters, more than ${MAX_LABEL_SET_CHARS}` };
  try {
    return { ok: true, labels: readLabelSet(text) };
  } catch (err) {
    if (!(err instanceof LabelSetError)) throw err;
    return { ok: false, reason: `error parsing labels '${quoted}' with error: ${err.message} at character ${err.at + 1}` };
  }
}

// ---------------------------------------------------------------------------
// The message
// ---------------------------------------------------------------------------

/** A field's wire type checked: Loki's decoder refuses a known field sent with another, and so does this one. */
function expectLengthDelimited(tag: number, what: string): void {
  if ((tag & 7) !== WIRE_LENGTH_DELIMITED) throw new Error(`${what} has wire type ${tag & 7}, not 2`);
}

/** The streams of a PushRequest, with at most `maxRecords` entries decoded and all of them counted. */
function readPushRequest(data: Buffer, maxRecords: number): { streams: RawStream[]; total: number } {
  const reader = protobuf.Reader.create(data);
  const streams: RawStream[] = [];
  let total = 0;
  const readStreamAdapter = (end: number): RawStream => {
    const stream: RawStream = { labels: '', entries: [] };
    while (reader.pos < end) {
      const tag = reader.uint32();
      if (tag >>> 3 === 1) {
        expectLengthDelimited(tag, 'StreamAdapter.labels');
        stream.labels = text(reader.bytes());
      } else if (tag >>> 3 === 2) {
        expectLengthDelimited(tag, 'StreamAdapter.entries');
        const length = reader.uint32();
        if (++total <= maxRecords) stream.entries.push(ENTRY.decode(reader, length) as unknown as DecodedEntry);
        else reader.skip(length);
      } else if (tag >>> 3 === 0) throw new Error('field number 0 in a StreamAdapter');
      else reader.skipType(tag & 7);
    }
    if (reader.pos !== end) throw new Error('a StreamAdapter runs past its length');
    return stream;
  };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1) {
      expectLengthDelimited(tag, 'PushRequest.streams');
      const length = reader.uint32();
      if (reader.pos + length > reader.len) throw new Error('a StreamAdapter runs past the end of the body');
      streams.push(readStreamAdapter(reader.pos + length));
    } else if (tag >>> 3 === 0) throw new Error('field number 0 in the PushRequest');
    else reader.skipType(tag & 7);
  }
  return { streams, total };
}

/** Epoch ms of a Timestamp, or undefined when it is absent, malformed or outside the times a JSON push can carry. */
function timestampMs(ts: DecodedEntry['timestamp']): number | undefined {
  if (!ts) return undefined;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  if (seconds < 0 || seconds > MAX_SECONDS || ts.nanos < 0 || ts.nanos > 999_999_999) return undefined;
  const ms = seconds * 1000 + Math.floor(ts.nanos / 1e6);
  return ms > 0 ? ms : undefined;
}

function readEntry(entry: DecodedEntry, at: string): LokiEntryRead {
  const ts = timestampMs(entry.timestamp);
  if (ts === undefined) {
    const given = entry.timestamp ? `${String(entry.timestamp.seconds)}s ${entry.timestamp.nanos}ns` : 'missing';
    return { reason: `${at}.timestamp (${given}) is not a time after 1970-01-01T00:00:00.001Z and before 2286-11-20` };
  }
  const line = text(entry.line);
  if (line.trim() === '') return { reason: `${at}.line: the log line is empty` };
  // fromEntries defines own properties (a name __proto__ stays a key); a repeated name keeps its last value, as in a JSON object.
  const meta = Object.fromEntries(entry.structuredMetadata.map((p) => [text(p.name), text(p.value)]));
  return { ts, line, meta };
}

function readStream(stream: RawStream, s: number): LokiStreamRead {
  const parsed = parseLabelSet(stream.labels);
  if (!parsed.ok) return { reason: `streams[${s}]: ${parsed.reason}` };
  if (Object.keys(parsed.labels).length === 0) return { reason: `streams[${s}].labels has no labels; at least one label pair is required per stream` };
  return { labels: parsed.labels, entries: stream.entries.map((e, i) => readEntry(e, `streams[${s}].entries[${i}]`)) };
}

/** A snappy-compressed protobuf push as records and the entries that were refused, answered as a JSON push is. */
export function parseLokiProtobufPush(body: Uint8Array, opts: LokiProtobufOptions): LokiPushResult {
  const maxRecords = opts.maxRecords ?? MAX_RECORDS_PER_REQUEST;
  const snappy = decompressSnappyBlock(body, opts.maxBytes);
  if (!snappy.ok && snappy.tooLarge) return { ok: false, status: 413, message: `${snappy.reason} (INGEST_MAX_BYTES); send smaller batches (Promtail batchsize, Alloy loki.write batch_size)` };
  if (!snappy.ok) return { ok: false, status: 400, message: `${snappy.reason}; a protobuf push is a snappy block of a logproto.PushRequest` };
  let read: { streams: RawStream[]; total: number };
  try {
    read = readPushRequest(snappy.data, maxRecords);
  } catch (err) {
    return { ok: false, status: 400, message: `the push body is not a valid protobuf logproto.PushRequest (${err instanceof Error ? err.message.slice(0, 160) : 'unreadable'})` };
  }
  if (read.total > maxRecords) return tooManyEntries(read.total, maxRecords);
  return { ok: true, ...lokiRecords(read.streams.map(readStream), opts.receivedAt) };
}
