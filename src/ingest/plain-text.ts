/**
 * How `telemcp ingest` reads the lines of a plain-text file, decided once from its first lines
 * (and, through learnSourceLayout, how Loki lines and OTLP bodies sent over HTTP are read):
 *  - with a `--log-format` (the Loghub header syntax, log-format.ts): the message is `<Content>`,
 *    the time `<Timestamp>` or the date and time fields (`<Date> <Time>`, `<Month> <Date> <Time>`, …)
 *    joined in their order, in the format learned from the sample (or `--timestamp-format`), the
 *    level `<Level>` when it holds a level word, the other fields attributes; a line that does
 *    not match the header is no record of its own (a continuation);
 *  - else the layout line-layout.ts learns from the sample (with `--timestamp-format`, the field
 *    where that format reads);
 *  - else, when no layout could be learned, line-reader.ts's plain reader: a leading timestamp in
 *    one of the common forms and a level word after it.
 */
import { LAYOUT_SAMPLE_LINES, learnLineLayout, learnTimestamp, levelWord, readerWithoutLayout } from '../analysis/templates/line-layout.js';
import { DETECT_SAMPLE_LINES, detectFormat } from '../analysis/templates/line-reader.js';
import type { LogFormat } from '../analysis/templates/log-format.js';
import type { StampDefaults, TimeFormat } from '../analysis/templates/time-format.js';

export interface PlainLine {
  message: string;
  /** Epoch ms. */
  time?: number;
  /** As written (`INFO`, `notice`, `D`). */
  level?: string;
  /** Header fields of a `--log-format` besides time, level and content, by lower-cased name. */
  fields?: [string, string][];
}

export interface PlainReader {
  /** How lines are read, in words, for the report; undefined when no layout was learned. */
  readonly layout?: string;
  /** Undefined for a line that does not match the `--log-format` header. */
  read(line: string): PlainLine | undefined;
}

export interface PlainReaderOptions {
  dates: StampDefaults;
  timestampFormat?: TimeFormat;
  logFormat?: LogFormat;
  /** Lines that continue a record, left out when learning. */
  continues?: (line: string) => boolean;
}

/** Loghub's date and time fields; `Timestamp` is a whole stamp by itself. */
const TIME_FIELDS = new Set(['Month', 'Date', 'Day', 'Time']);

function logFormatReader(format: LogFormat, sample: readonly string[], opts: PlainReaderOptions): PlainReader {
  const timeFields = format.fields.includes('Timestamp') ? ['Timestamp'] : format.fields.filter((f) => TIME_FIELDS.has(f));
  const timeText = (fields: Record<string, string | undefined>): string => timeFields.map((f) => fields[f]).filter((v) => v !== undefined).join(' ');
  const texts: string[] = [];
  for (const line of sample) {
    const fields = format.parse(line);
    if (fields) texts.push(timeText(fields));
  }
  const stamp = timeFields.length ? learnTimestamp(texts, { dates: opts.dates, ...(opts.timestampFormat ? { format: opts.timestampFormat } : {}) }) : undefined;
  const others = format.fields.filter((f) => f !== 'Content' && f !== 'Level' && !timeFields.includes(f));
  const spelled = stamp && (texts.map((text) => stamp.spelledAt(text, 0)).find((s) => s !== undefined) ?? stamp.pattern);
  return {
    layout: `--log-format ${format.source}; ${spelled ? `timestamp ${spelled}` : 'no timestamp read from its fields'}`,
    read(line) {
      const fields = format.parse(line);
      if (fields?.Content === undefined) return undefined;
      const text = stamp && timeText(fields);
      const found = text !== undefined ? stamp!.readAt(text, 0, opts.dates) : undefined;
      const level = fields.Level !== undefined ? levelWord(fields.Level) : undefined;
      // A field in an optional group of the format (`(\[<PID>\])?`) may be absent.
      const rest: [string, string][] = others.filter((f) => fields[f] !== undefined).map((f) => [f.toLowerCase(), fields[f]]);
      // A <Level> that holds no level word (Loghub's Linux format names the host so) is kept as a field.
      if (fields.Level !== undefined && !level) rest.push(['level', fields.Level]);
      return {
        message: fields.Content,
        ...(found && found.end === text!.length ? { time: found.time } : {}),
        ...(level ? { level } : {}),
        ...(rest.length ? { fields: rest } : {}),
      };
    },
  };
}

/** The reader for a plain-text file whose first lines are `sample`. */
export function createPlainReader(sample: readonly string[], opts: PlainReaderOptions): PlainReader {
  if (opts.logFormat) return logFormatReader(opts.logFormat, sample, opts);
  const layout = learnLineLayout(sample, { dates: opts.dates, ...(opts.timestampFormat ? { format: opts.timestampFormat } : {}), ...(opts.continues ? { continues: opts.continues } : {}) });
  return layout ? { layout: layout.description, read: layout.read } : { read: readerWithoutLayout(opts.dates) };
}

/**
 * The layout of lines from one source that arrive together (a Loki stream's entries, the string
 * bodies of an OTLP resource's records), learned as from a file's first lines; undefined when they
 * are mostly JSON or logfmt, or when no layout could be learned, for the caller to read them line
 * by line (level.ts).
 */
export function learnSourceLayout(lines: readonly string[], dates: StampDefaults): PlainReader | undefined {
  const sample = lines.slice(0, LAYOUT_SAMPLE_LINES);
  if (detectFormat(sample.slice(0, DETECT_SAMPLE_LINES)) !== 'plain') return undefined;
  const reader = createPlainReader(sample, { dates });
  return reader.layout ? reader : undefined;
}
