import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { embeddedStoreOn, remoteLogBackends } from '../settings.js';
import { LAYOUT_SAMPLE_LINES } from '../analysis/templates/line-layout.js';
import { DETECT_SAMPLE_LINES } from '../analysis/templates/line-reader.js';
import { TelemcpError } from '../core/errors.js';
import { MAX_DATASET_CHARS } from '../ingest/bounds.js';
import { createFileRecordAssembler } from '../ingest/file-records.js';
import { LOCK_FILE } from '../store/lock.js';
import { StoreWriter, type WriteChain } from '../store/writer.js';
import { FILE_FORMATS, INGEST_USAGE, STDIN, UsageError, parseIngestArgs, type IngestArgValues, type IngestArgs, type IngestInputArg } from './ingest-args.js';
import { BATCH_RECORDS, BatchWriter } from './ingest-batch.js';
import { describeReadError, openInput, type IngestInput } from './ingest-input.js';
import { FileStats, SAMPLES_KEPT, renderJson, renderText, runStatus, type IngestReport } from './ingest-report.js';
import { OpenError } from './open-failure.js';
import { ProgressBar } from './progress.js';
import { MAX_LINE_CHARS, forEachLine } from './read-lines.js';

export { INGEST_OPTIONS, INGEST_USAGE } from './ingest-args.js';

const INGEST_HELP = `Usage: ${INGEST_USAGE}

Loads log files (or standard input, "-") into the embedded store under DATA_DIR, where
\`telemcp serve\` and the log tools (logs_patterns, logs_bursts, incident_summary, …) read them.
Files are read one after the other as streams (memory stays bounded whatever their size);
gzip is recognised by its magic bytes and unpacked on the fly.

  --format F     auto (default: detected per file from its first ${DETECT_SAMPLE_LINES} lines), ndjson, ecs (JSON
                 lines; ECS and flat field names), logfmt, syslog (RFC 3164/5424), plain (the
                 timestamp and level are read where the file's first lines put them)
  --timestamp-format FMT
                 the format of plain-text timestamps instead of the one learned, as a Java
                 pattern (yyMMdd HHmmss, dd/MMM/yyyy:HH:mm:ss Z) or ISO8601, UNIX, UNIX_MS
  --log-format FMT
                 the header of plain-text lines instead of the layout learned, in the Loghub
                 syntax of telemcp patterns: '<Date> <Time> <Level> <Component>: <Content>'
  --service S    service of the records that name none (plain text: all of them)
  --dataset D    dataset of every record (what a tool's scope selects); default: the file name
                 without its log extensions (app.log.1.gz -> app), stdin for -. Lowercase letters,
                 digits, . _ -; at most ${MAX_DATASET_CHARS} bytes
  --json         machine output: {"status","data_dir","total","files":[…],"datasets":[…],"default_window","next_tool_input"}

Lines that continue a record (stack traces, tracebacks, indented lines) are joined to it and
take its time. Where plain-text lines keep their timestamp and level is learned from a file's
first ${LAYOUT_SAMPLE_LINES.toLocaleString('en-US')} lines (ISO 8601 and its variants, syslog, epoch numbers, Apache, logcat, the
log4j/logback/Python/Go/glog defaults, any field spelled as a date and time); the report names
the layout and counts the lines that had no timestamp of their own and what they got. Times are
stored in UTC (an offset is applied; a time without one is taken as UTC; a time without a year
gets the latest year that does not put it in the future). Binary input (NUL bytes, mostly
invalid UTF-8, UTF-16, xz/zstd/bzip2/zip data) is refused. A line that cannot be read in the
file's format is skipped and reported with its number (the first ${SAMPLES_KEPT} per file), never stopping
the run. Records are committed ${BATCH_RECORDS.toLocaleString('en-US')} at a time and at least every second: what was
committed survives a crash or kill -9.

All paths are checked before anything is ingested: one that cannot be opened stops the run with
nothing ingested. A read error midway (a truncated gzip, an I/O error) keeps what was read,
reports the line reached, and goes on with the next file. SIGINT/SIGTERM stops reading, commits
what was read and prints the summary.

One process at a time writes to a DATA_DIR: while \`telemcp serve\` runs on it, send logs to the
server's ingest endpoints instead (POST /_bulk, /loki/api/v1/push, /v1/logs with an API key of
role ingest; see the README).

Lines longer than ${MAX_LINE_CHARS.toLocaleString('en-US')} characters are cut; invalid UTF-8 reads as U+FFFD. Exit codes: 0 done (bad lines
included), 1 a read or write failed midway (or standard input was refused as binary), 2 bad
arguments, a path that cannot be opened or is refused as binary, or a store that cannot be opened
(DATA_DIR in use by another process), 130/143 interrupted by SIGINT/SIGTERM.`;

const PROGRESS_EVERY = 8192;
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** The run's state the signal handler shares with the read loop. */
interface Control {
  signal?: NodeJS.Signals;
  reading?: IngestInput;
}

function say(message: string, hint?: string): void {
  process.stderr.write(`telemcp ingest: ${message}\n${hint ? `  hint: ${hint}\n` : ''}`);
}

/** How to feed the rest of a file once it is fixed, starting after the last line read. */
function resumeCommand(path: string, gzip: boolean, nextLine: number, args: IngestArgs, dataset: string): string {
  const quote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`;
  const quoted = quote(path);
  const flags = [
    `--dataset ${dataset}`,
    ...(args.format !== 'auto' ? [`--format ${args.format}`] : []),
    ...(args.timestampFormat ? [`--timestamp-format ${quote(args.timestampFormat.pattern)}`] : []),
    ...(args.logFormat ? [`--log-format ${quote(args.logFormat.source)}`] : []),
    ...(args.service ? [`--service ${quote(args.service)}`] : []),
  ];
  return `${gzip ? `zcat ${quoted} | tail -n +${nextLine}` : `tail -n +${nextLine} ${quoted}`} | telemcp ingest - ${flags.join(' ')}`;
}

async function ingestFile(input: IngestInput, arg: IngestInputArg, args: IngestArgs, writer: WriteChain, control: Control, runStarted: number): Promise<{ stats: FileStats; writeFailed: boolean }> {
  const started = Date.now();
  const stats = new FileStats(input.path, arg.dataset, runStarted);
  const batch = new BatchWriter(writer, stats, () => input.stop());
  const assembler = createFileRecordAssembler(
    { format: args.format, dataset: arg.dataset, service: args.service, receivedAt: runStarted, timestampFormat: args.timestampFormat, logFormat: args.logFormat },
    { record: (r, line) => batch.add(r, line), bad: (b) => stats.addBad(b) },
  );
  const bar = process.stderr.isTTY && input.size ? new ProgressBar({ label: `ingesting ${basename(input.path)}`, unit: 'lines' }) : undefined;
  control.reading = input;
  // A slow stream still in format detection after a second is read with what has come so far.
  batch.start(() => assembler.detectNow());
  let readError: unknown;
  try {
    await forEachLine(input.text(), (line) => {
      stats.lines++;
      assembler.push(line, stats.lines);
      if (bar && stats.lines % PROGRESS_EVERY === 0) bar.update(input.bytesRead() / input.size!, stats.lines);
    }, { between: () => batch.backpressure() });
  } catch (err) {
    readError = err;
  } finally {
    batch.stop();
    control.reading = undefined;
  }
  // Every line read is committed, also when reading stopped early: the record being assembled
  // when the input ended is as complete as the input made it.
  await batch.settled();
  if (!batch.failure) {
    assembler.end();
    await batch.flush();
  }
  await batch.settled();
  stats.format = assembler.format;
  stats.layout = assembler.layout;
  stats.untimed = { ...assembler.untimed };
  stats.gzip = input.gzip;
  stats.elapsedMs = Date.now() - started;
  if (bar) {
    if (readError === undefined && !batch.failure) bar.finish(stats.lines);
    else process.stderr.write('\n');
  }
  if (batch.failure) {
    const err = batch.failure.error;
    stats.status = 'write_failed';
    stats.error = err instanceof Error ? err.message : String(err);
    say(
      `writing the records of ${input.path} from line ${batch.failure.fromLine.toLocaleString('en-US')} on failed: ${stats.error}; lines before it are stored, nothing after; the run stops here`,
      err instanceof TelemcpError ? err.hint : undefined,
    );
  } else if (control.signal) {
    stats.status = 'interrupted';
  } else if (readError !== undefined) {
    stats.status = 'read_failed';
    stats.error = `${describeReadError(readError)} (after line ${stats.lines})`;
    const kept = stats.lines === 0 ? 'nothing of it was read' : `the ${stats.records.toLocaleString('en-US')} records of lines 1-${stats.lines.toLocaleString('en-US')} are stored`;
    const hint = readError instanceof OpenError ? readError.hint : input.path === STDIN ? undefined : `once the file is fixed, ingest the rest with: ${resumeCommand(input.path, input.gzip, stats.lines + 1, args, arg.dataset)}`;
    say(`reading ${input.path} failed after line ${stats.lines.toLocaleString('en-US')}: ${describeReadError(readError)}; ${kept}`, hint);
  } else {
    stats.status = 'done';
  }
  return { stats, writeFailed: batch.failure !== undefined };
}

/** Every input opened before any is read: a wrong path costs a second, not a half-done run. */
async function openInputs(args: IngestArgs): Promise<IngestInput[]> {
  const opened: IngestInput[] = [];
  try {
    for (const a of args.inputs) opened.push(await openInput(a.path, a.dataset));
  } catch (err) {
    for (const input of opened) input.stop();
    throw err;
  }
  return opened;
}

async function openWriter(dataDir: string): Promise<StoreWriter | undefined> {
  try {
    return await StoreWriter.open(dataDir);
  } catch (err) {
    if (!(err instanceof TelemcpError)) throw err;
    say(err.message, err.hint);
    // The open releases its own lock when it fails, so a lock file left is another process's.
    if (existsSync(join(dataDir, LOCK_FILE))) {
      process.stderr.write(
        '  hint: to add logs while the server runs, send them to its ingest endpoints (POST /_bulk, /loki/api/v1/push or /v1/logs with an API key of role ingest): see "Sending logs (HTTP ingest)" in the README\n',
      );
    }
    return undefined;
  }
}

/** Where the next step reads from: a configured log backend takes the log tools unless EMBEDDED_STORE says otherwise. */
function serveContext(config: Config): Pick<IngestReport, 'serveNote' | 'toolSource'> {
  if (config.EMBEDDED_STORE === 'off') return { serveNote: 'EMBEDDED_STORE=off: telemcp serve does not read the embedded store; set EMBEDDED_STORE=auto (or on) to query these logs' };
  const remote = remoteLogBackends(config);
  if (!remote.length) return {};
  if (embeddedStoreOn(config)) return { toolSource: 'embedded' };
  return { serveNote: `${remote.join(' and ')} ${remote.length > 1 ? 'are' : 'is'} configured, so telemcp serve reads ${remote.length > 1 ? 'those' : 'it'}; start it with EMBEDDED_STORE=on to query these logs as source "embedded"`, toolSource: 'embedded' };
}

/** `telemcp ingest`: returns the process exit code (0 done, 1 failed midway, 2 usage or unopenable file/store, 130/143 interrupted). */
export async function runIngest(values: IngestArgValues & { help?: boolean }, positionals: string[], config: Config): Promise<number> {
  if (values.help) {
    process.stdout.write(`${INGEST_HELP}\n`);
    return 0;
  }
  let args: IngestArgs;
  try {
    args = parseIngestArgs(values, positionals);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`telemcp ingest: ${err.message}\n\nUsage: ${INGEST_USAGE}\n  formats: ${FILE_FORMATS.join(', ')}\n`);
    return 2;
  }
  const started = Date.now();
  let inputs: IngestInput[];
  try {
    inputs = await openInputs(args);
  } catch (err) {
    if (!(err instanceof OpenError)) throw err;
    say(`${err.message}; nothing was ingested`, err.hint);
    return 2;
  }
  const dataDir = resolve(config.DATA_DIR);
  const writer = await openWriter(dataDir);
  if (!writer) {
    for (const input of inputs) input.stop();
    return 2;
  }
  if (args.inputs.some((a) => a.path === STDIN) && process.stdin.isTTY) say('reading standard input from the terminal; end it with Ctrl-D');

  const control: Control = {};
  const onSignal = (signal: NodeJS.Signals) => {
    if (control.signal) return;
    control.signal = signal;
    control.reading?.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const files = args.inputs.map((a) => new FileStats(a.path, a.dataset, started));
  let report: IngestReport;
  try {
    // One chain for the whole run: after a failed batch nothing later is stored, so the store keeps a prefix of the input.
    const chain = writer.chain();
    for (let i = 0; i < inputs.length && !control.signal; i++) {
      const { stats, writeFailed } = await ingestFile(inputs[i], args.inputs[i], args, chain, control, started);
      files[i] = stats;
      if (writeFailed) break;
    }
    const touched = new Set(files.filter((f) => f.records > 0).map((f) => f.dataset));
    report = { dataDir, files, datasets: (await writer.summary()).datasets.filter((d) => touched.has(d.name)), elapsedMs: Date.now() - started, startedAt: started, interrupted: control.signal, ...serveContext(config) };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    for (const input of inputs) input.stop();
    await writer.close();
  }
  process.stdout.write(args.json ? renderJson(report) : renderText(report));
  if (report.interrupted) return SIGNAL_EXIT[report.interrupted] ?? 1;
  return runStatus(report) === 'failed' ? 1 : 0;
}
