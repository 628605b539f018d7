import { open } from 'node:fs/promises';
import type { ReadStream, WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { compileLogFormat, type LogFormat } from '../analysis/templates/log-format.js';
import { DETECT_SAMPLE_LINES, createLineReader, createLogFormatReader, detectFormat, type AsciiLine, type LineReader } from '../analysis/templates/line-reader.js';
import { TemplateMiner } from '../analysis/templates/miner.js';
import { HandleList, writeAssignments } from './assignments.js';
import { OpenError, openFailure, openReadableFile } from './open-failure.js';
import { renderJson, renderTable, type PatternsSummary } from './patterns-report.js';
import { ProgressBar } from './progress.js';
import { MAX_LINE_CHARS, forEachLineBytes, type LineBytes } from './read-lines.js';
import { Tally } from './tally.js';

export const PATTERNS_USAGE = 'telemcp patterns <file|-> [--log-format FMT] [--regex R]... [--top N] [--assignments OUT.csv] [--json]';

const TOP = { default: 20, min: 1, max: 1000 };

const PATTERNS_HELP = `Usage: ${PATTERNS_USAGE}

Mines a log file (or standard input, "-") for its message templates: lines of one kind become
one template with <*> where they vary, counted, with an exemplar and the values each <*> took.
Reads the file as a stream; memory stays bounded whatever its size (with --assignments, 4 bytes
per line are kept until the end).

Without --log-format the format is detected from the first ${DETECT_SAMPLE_LINES} lines: JSON lines (the
message from message/msg/log/@message/event.original/body), logfmt (msg=/message=), or plain
text (a leading ISO 8601, syslog, Apache or epoch timestamp and a level word are taken off).

  --log-format FMT     the Loghub header syntax, e.g. '<Date> <Time> <Level> <Component>: <Content>';
                       <Content> is mined; lines that do not match are mined whole (counted unparsed)
  --regex R            extra masking pattern (JavaScript syntax); may be given several times
  --top N              templates to show, ${TOP.min}-${TOP.max} (default ${TOP.default})
  --assignments FILE   also write LineId,EventTemplate (CSV, one row per input line, LineId from 1)
  --json               machine output: {"summary":{…},"templates":[…]}

Lines longer than ${MAX_LINE_CHARS.toLocaleString('en-US')} characters are cut; invalid UTF-8 reads as U+FFFD. Exit codes: 0 done,
1 reading or writing failed midway, 2 bad arguments or a file that cannot be opened.`;

/** The options of `telemcp patterns`, parsed by the CLI's one parseArgs call (main.ts). */
export const PATTERNS_OPTIONS = {
  'log-format': { type: 'string' },
  regex: { type: 'string', multiple: true },
  top: { type: 'string' },
  assignments: { type: 'string' },
} as const;

export interface PatternsArgValues {
  'log-format'?: string;
  regex?: string[];
  top?: string;
  assignments?: string;
  json?: boolean;
  help?: boolean;
}

interface PatternsArgs {
  input: string;
  logFormat?: LogFormat;
  masks: RegExp[];
  top: number;
  assignments?: string;
  json: boolean;
}

class UsageError extends Error {}

/** A line for the handle list that is no template: blank lines get an empty EventTemplate. */
const BLANK_LINE = -2;
const COUNTS_SHOWN = 10;
const PROGRESS_EVERY = 8192;
/** Lines held for format detection when the file starts with many blank lines. */
const MAX_SAMPLE_HELD = 20 * DETECT_SAMPLE_LINES;

function mask(source: string): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    throw new UsageError(`--regex ${JSON.stringify(source)} is not a valid regular expression: ${(err as Error).message}`);
  }
  // An empty match would put <*> between every two characters of every line.
  if (re.test('')) throw new UsageError(`--regex ${JSON.stringify(source)} matches the empty string; give a pattern that needs at least one character`);
  return re;
}

function parsePatternsArgs(values: PatternsArgValues, positionals: string[]): PatternsArgs {
  if (positionals.length === 0) throw new UsageError('give the file to mine, or - for standard input');
  if (positionals.length > 1) throw new UsageError(`one file at a time (got ${positionals.length}: ${positionals.slice(0, 3).map((p) => JSON.stringify(p)).join(' ')})`);
  let top = TOP.default;
  if (values.top !== undefined) {
    top = /^\d+$/.test(values.top) ? Number(values.top) : NaN;
    if (!(top >= TOP.min && top <= TOP.max)) throw new UsageError(`--top must be an integer from ${TOP.min} to ${TOP.max} (got ${JSON.stringify(values.top.slice(0, 40))})`);
  }
  let logFormat: LogFormat | undefined;
  if (values['log-format'] !== undefined) {
    try {
      logFormat = compileLogFormat(values['log-format']);
    } catch (err) {
      throw new UsageError(`--log-format: ${(err as Error).message}`);
    }
    if (!logFormat.fields.includes('Content')) throw new UsageError('--log-format must name <Content>, the part of the line to mine');
  }
  // Opening the output truncates it: it must not be the file about to be read.
  if (values.assignments !== undefined && positionals[0] !== '-' && resolve(values.assignments) === resolve(positionals[0])) {
    throw new UsageError('--assignments must not be the input file');
  }
  return { input: positionals[0], logFormat, masks: (values.regex ?? []).map(mask), top, assignments: values.assignments, json: values.json ?? false };
}

interface Input {
  chunks: AsyncIterable<Buffer>;
  /** Bytes in the file, for the progress bar; undefined for standard input. */
  size?: number;
  bytesRead(): number;
  close(): void;
}

/** Large reads: the file is read in 32 calls a 32 MB file instead of 500 (the stream's 64 KiB). */
const READ_CHUNK = 1 << 20;

async function openInput(path: string): Promise<Input> {
  if (path === '-') return { chunks: process.stdin, bytesRead: () => 0, close: () => process.stdin.pause() };
  const { handle, stat } = await openReadableFile(path);
  const stream: ReadStream = handle.createReadStream({ highWaterMark: READ_CHUNK });
  return { chunks: stream, size: stat.size, bytesRead: () => stream.bytesRead, close: () => stream.destroy() };
}

/** Opened before mining starts, so a bad path fails in a second rather than after an hour of reading. */
async function openOutput(path: string): Promise<WriteStream> {
  try {
    return (await open(path, 'w')).createWriteStream({ encoding: 'utf8' });
  } catch (err) {
    throw openFailure(path, err, 'write');
  }
}

interface MiningResult {
  reader: LineReader;
  lines: number;
  blank: number;
  unparsed: number;
  levels: Tally;
  services: Tally;
}

/**
 * Feeds every line through the line reader into the miner. Without --log-format the first lines
 * are held back until the format is detected from them, then mined like the rest.
 */
async function mine(input: Input, args: PatternsArgs, miner: TemplateMiner, handles: HandleList | undefined): Promise<MiningResult> {
  const result = { reader: args.logFormat ? createLogFormatReader(args.logFormat) : undefined, lines: 0, blank: 0, unparsed: 0, levels: new Tally(), services: new Tally() };
  const bar = process.stderr.isTTY && input.size ? new ProgressBar({ label: 'mining', unit: 'lines' }) : undefined;
  const sample: string[] = [];
  let sampleNonBlank = 0;

  const ascii: AsciiLine = { messageStart: 0, messageEnd: 0 };
  const mineBytes = (reader: LineReader, line: LineBytes): void => {
    if (!line.ascii || !reader.readAscii?.(line.bytes, line.start, line.end, ascii)) return mineLine(reader, line.text());
    result.lines++;
    if (bar && result.lines % PROGRESS_EVERY === 0) bar.update(input.bytesRead() / input.size!, result.lines);
    if (ascii.level) result.levels.add(ascii.level);
    handles?.push(miner.addAscii(line.bytes, ascii.messageStart, ascii.messageEnd, ascii.time));
  };
  const mineLine = (reader: LineReader, line: string): void => {
    result.lines++;
    if (bar && result.lines % PROGRESS_EVERY === 0) bar.update(input.bytesRead() / input.size!, result.lines);
    const parsed = reader.read(line);
    if (!parsed) {
      result.blank++;
      handles?.push(BLANK_LINE);
      return;
    }
    if (!parsed.parsed) result.unparsed++;
    if (parsed.level) result.levels.add(parsed.level);
    if (parsed.service) result.services.add(parsed.service);
    const handle = miner.add(parsed.message, parsed.time);
    handles?.push(handle);
  };
  const detect = (): LineReader => {
    const reader = createLineReader(detectFormat(sample));
    for (const line of sample) mineLine(reader, line);
    sample.length = 0;
    return reader;
  };

  await forEachLineBytes(input.chunks, (bytes) => {
    if (result.reader) return mineBytes(result.reader, bytes);
    const line = bytes.text();
    sample.push(line);
    if (/\S/.test(line)) sampleNonBlank++;
    if (sampleNonBlank >= DETECT_SAMPLE_LINES || sample.length >= MAX_SAMPLE_HELD) result.reader = detect();
  });
  const reader = result.reader ?? detect();
  bar?.finish(result.lines);
  return { ...result, reader };
}

async function run(args: PatternsArgs): Promise<number> {
  const started = Date.now();
  const input = await openInput(args.input);
  let output: WriteStream | undefined;
  try {
    output = args.assignments === undefined ? undefined : await openOutput(args.assignments);
  } catch (err) {
    input.close();
    throw err;
  }
  const miner = new TemplateMiner({ extraMasks: args.masks });
  const handles = output ? new HandleList() : undefined;
  let mined: MiningResult;
  try {
    mined = await mine(input, args, miner, handles);
  } catch (err) {
    output?.destroy();
    process.stderr.write(`\ntelemcp patterns: reading ${args.input} failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    input.close();
  }
  const templates = miner.templates();
  if (output) {
    try {
      await writeAssignments(output, handles!, (h) => (h === BLANK_LINE ? '' : miner.templateOf(h)));
    } catch (err) {
      process.stderr.write(`telemcp patterns: writing ${args.assignments} failed: ${(err as Error).message}\n`);
      return 1;
    }
  }
  const summary: PatternsSummary = {
    input: args.input,
    format: mined.reader.format,
    lines: mined.lines,
    blank: mined.blank,
    unparsed: mined.unparsed,
    overflow: miner.overflow,
    templates: templates.length,
    elapsed_ms: Date.now() - started,
    levels: mined.levels.top(COUNTS_SHOWN),
    services: mined.services.top(COUNTS_SHOWN),
    ...(args.assignments !== undefined ? { assignments: args.assignments } : {}),
  };
  const shown = templates.slice(0, args.top);
  process.stdout.write(args.json ? renderJson(summary, shown, miner.lines) : renderTable(summary, shown, miner.lines));
  return 0;
}

/** `telemcp patterns`: returns the process exit code (0 done, 1 failed midway, 2 usage or unopenable file). */
export async function runPatterns(values: PatternsArgValues, positionals: string[]): Promise<number> {
  if (values.help) {
    process.stdout.write(`${PATTERNS_HELP}\n`);
    return 0;
  }
  let args: PatternsArgs;
  try {
    args = parsePatternsArgs(values, positionals);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`telemcp patterns: ${err.message}\n\nUsage: ${PATTERNS_USAGE}\n`);
    return 2;
  }
  try {
    return await run(args);
  } catch (err) {
    if (!(err instanceof OpenError)) throw err;
    process.stderr.write(`telemcp patterns: ${err.message}\n  hint: ${err.hint}\n`);
    return 2;
  }
}
